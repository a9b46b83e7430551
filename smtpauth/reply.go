package smtpauth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Line limits for replies read from the server. RFC 4954 asks clients to handle challenges of 12288 octets;
// RFC 5321 allows 512 octets for other reply lines, which real servers sometimes exceed with long texts.
const (
	// MaxChallengeLine is the longest 334 line accepted, CRLF included.
	MaxChallengeLine = 12288
	// MaxReplyLine is the longest line of any other reply, CRLF included.
	MaxReplyLine = 4096
	// MaxReplyLines bounds the lines of one multi-line reply (an EHLO answer has a few dozen at most).
	MaxReplyLines = 128
)

// EnhancedCode is an enhanced status code (RFC 3463): class, subject and detail, so that {5, 7, 8} is 5.7.8.
// The zero value means the reply carried none.
type EnhancedCode [3]int

// String formats the code as "5.7.8", or "" for the zero code (a reply without one).
func (c EnhancedCode) String() string {
	if c == (EnhancedCode{}) {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}

// Reply is one complete SMTP reply.
type Reply struct {
	// Code is the three-digit reply code.
	Code int
	// Enhanced is the RFC 2034 enhanced status code of the first line, or the zero value when there is none.
	Enhanced EnhancedCode
	// Lines holds the text of each line, without the code, the separator and (for 2xx/4xx/5xx) without the
	// enhanced status code.
	Lines []string
}

// Text returns the reply's lines joined by a space, made safe for display by Sanitize: it goes into error
// messages, the journal and the panel. Lines keeps the text as the server sent it.
func (r *Reply) Text() string { return Sanitize(strings.Join(r.Lines, " ")) }

// String formats the reply as "535 5.7.8 text", for messages and logs; the text is Text's, made safe for
// display.
func (r *Reply) String() string {
	s := strconv.Itoa(r.Code)
	if e := r.Enhanced.String(); e != "" {
		s += " " + e
	}
	if t := r.Text(); t != "" {
		s += " " + t
	}
	return s
}

// Class returns the first digit of the code: 2 success, 3 intermediate, 4 temporary, 5 permanent.
func (r *Reply) Class() int { return r.Code / 100 }

// ErrMalformedReply is wrapped by every error about a reply that breaks the SMTP grammar or our limits.
var ErrMalformedReply = errors.New("malformed reply")

// ErrReplyTooLarge is wrapped, besides ErrMalformedReply, by errors about a reply that breaks our size limits: a
// line longer than MaxChallengeLine (MaxReplyLine for replies other than 334), or more than MaxReplyLines lines.
// Unlike a reply that breaks the grammar, such a reply is likely a passing fault of a real SMTP server (a
// runaway banner, a misconfigured front end), so callers treat it as temporary. The stream is out of step
// afterwards: the rest of the reply is still unread.
var ErrReplyTooLarge = errors.New("reply too large")

// limitError is a reply beyond our limits, said in words that name what the server did.
type limitError struct{ what string }

func (e *limitError) Error() string { return "smtpauth: the server sent " + e.what }

// Unwrap makes the error both malformed and too large for errors.Is.
func (e *limitError) Unwrap() []error { return []error{ErrMalformedReply, ErrReplyTooLarge} }

// Reader reads SMTP replies from a server.
type Reader struct {
	r     *bufio.Reader
	trace func(line string)
}

// NewReader returns a Reader on r. The buffer is sized for the longest challenge line.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, MaxChallengeLine)}
}

// SetTrace makes the Reader hand every line it reads to f, for wire transcripts: without CRLF, and made safe
// for display by Sanitize, since transcripts are read by people, on terminals.
func (rd *Reader) SetTrace(f func(line string)) { rd.trace = f }

// Peek waits until at least one byte of a reply has arrived, without consuming it, and returns the read error
// if none did (a deadline that passed, a closed connection). It lets a caller tell a server that says nothing at
// all from one that is slow in the middle of a reply.
func (rd *Reader) Peek() error {
	_, err := rd.r.Peek(1)
	return err
}

// Buffered returns how many bytes have been received but not read yet (a server that answers before being
// asked, for example).
func (rd *Reader) Buffered() int { return rd.r.Buffered() }

// ReadReply reads one complete reply, all lines of a multi-line reply included.
func (rd *Reader) ReadReply() (*Reply, error) {
	var rep Reply
	for n := 0; ; n++ {
		if n == MaxReplyLines {
			return nil, &limitError{fmt.Sprintf("a reply of more than %d lines", MaxReplyLines)}
		}
		line, err := rd.readLine()
		if err != nil {
			return nil, err
		}
		if rd.trace != nil {
			rd.trace(Sanitize(line[:len(line)-2]))
		}
		code, more, text, err := parseLine(line)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			rep.Code = code
		} else if code != rep.Code {
			return nil, fmt.Errorf("smtpauth: %w: continuation line with code %d after %d", ErrMalformedReply, code, rep.Code)
		}
		if code != 334 && len(line) > MaxReplyLine {
			return nil, &limitError{fmt.Sprintf("a reply line longer than %d octets", MaxReplyLine)}
		}
		if c := code / 100; c == 2 || c == 4 || c == 5 {
			if ec, rest, ok := parseEnhanced(text); ok {
				if n == 0 {
					rep.Enhanced = ec
				}
				text = rest
			}
		}
		rep.Lines = append(rep.Lines, text)
		if !more {
			return &rep, nil
		}
	}
}

// readLine returns one line including its CRLF. A line without CRLF, or ending in a bare LF, is an error;
// so is a line longer than MaxChallengeLine.
func (rd *Reader) readLine() (string, error) {
	var b []byte
	for {
		chunk, err := rd.r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > MaxChallengeLine {
			return "", &limitError{fmt.Sprintf("a reply line longer than %d octets", MaxChallengeLine)}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		break
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return "", fmt.Errorf("smtpauth: %w: line ends in a bare LF", ErrMalformedReply)
	}
	return string(b), nil
}

// parseLine splits "250-text\r\n" into its code, whether more lines follow, and the text.
// A code alone ("334\r\n") is accepted, as RFC 5321 §4.2 asks.
func parseLine(line string) (code int, more bool, text string, err error) {
	s := line[:len(line)-2]
	if len(s) < 3 {
		return 0, false, "", fmt.Errorf("smtpauth: %w: %q", ErrMalformedReply, clip(s))
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false, "", fmt.Errorf("smtpauth: %w: no reply code in %q", ErrMalformedReply, clip(s))
		}
	}
	code = int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if code < 200 || code > 599 {
		return 0, false, "", fmt.Errorf("smtpauth: %w: reply code %d out of range", ErrMalformedReply, code)
	}
	if len(s) == 3 {
		return code, false, "", nil
	}
	switch s[3] {
	case ' ':
		return code, false, s[4:], nil
	case '-':
		return code, true, s[4:], nil
	}
	return 0, false, "", fmt.Errorf("smtpauth: %w: bad separator in %q", ErrMalformedReply, clip(s))
}

// parseEnhanced reads a leading "class.subject.detail " (RFC 3463). The class must be 2, 4 or 5; when it
// disagrees with the reply code the code still governs (RFC 5321 §4.2), so the enhanced code is kept as sent.
func parseEnhanced(text string) (EnhancedCode, string, bool) {
	var ec EnhancedCode
	word, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 {
		return ec, text, false
	}
	for i, p := range parts {
		if len(p) == 0 || len(p) > 3 || (i == 0 && len(p) != 1) {
			return ec, text, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return ec, text, false
		}
		ec[i] = v
	}
	if ec[0] != 2 && ec[0] != 4 && ec[0] != 5 {
		return EnhancedCode{}, text, false
	}
	return ec, rest, true
}

// clip shortens untrusted text for error messages.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
