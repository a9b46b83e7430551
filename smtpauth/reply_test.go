package smtpauth

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		in   string
		want *Reply
	}{
		{"250 ok\r\n", &Reply{Code: 250, Lines: []string{"ok"}}},
		{"220 mx.test ESMTP\r\n", &Reply{Code: 220, Lines: []string{"mx.test ESMTP"}}},
		{"250-mx.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n", &Reply{Code: 250, Lines: []string{"mx.test", "AUTH PLAIN", "STARTTLS"}}},
		{"535 5.7.8 bad\r\n", &Reply{Code: 535, Enhanced: EnhancedCode{5, 7, 8}, Lines: []string{"bad"}}},
		{"535-5.7.8 a\r\n535 5.7.8 b\r\n", &Reply{Code: 535, Enhanced: EnhancedCode{5, 7, 8}, Lines: []string{"a", "b"}}},
		{"334 dGVzdA==\r\n", &Reply{Code: 334, Lines: []string{"dGVzdA=="}}},
		{"334 2.7.0\r\n", &Reply{Code: 334, Lines: []string{"2.7.0"}}}, // never strip from a 334
		{"334\r\n", &Reply{Code: 334, Lines: []string{""}}},
		{"334 \r\n", &Reply{Code: 334, Lines: []string{""}}},
		{"250 1.2.3.4 is an address\r\n", &Reply{Code: 250, Lines: []string{"1.2.3.4 is an address"}}},
		{"250 2.0.0\r\n", &Reply{Code: 250, Enhanced: EnhancedCode{2, 0, 0}, Lines: []string{""}}},
	}
	for _, tt := range tests {
		got, err := NewReader(strings.NewReader(tt.in)).ReadReply()
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestReadReplyMalformed(t *testing.T) {
	for _, in := range []string{
		"25\r\n", "abc ok\r\n", "250_ok\r\n", "199 x\r\n", "600 x\r\n", "250 ok\n", "535-a\r\n250 b\r\n",
		"250 " + strings.Repeat("a", MaxReplyLine) + "\r\n",
		"334 " + strings.Repeat("a", MaxChallengeLine) + "\r\n",
		strings.Repeat("250-x\r\n", MaxReplyLines+1) + "250 x\r\n",
	} {
		if _, err := NewReader(strings.NewReader(in)).ReadReply(); !errors.Is(err, ErrMalformedReply) {
			t.Errorf("%.40q: err = %v, want malformed", in, err)
		}
	}
}

// RFC 4954 §4: a 334 line of 12286 octets is read whole.
func TestReadReplyLongChallenge(t *testing.T) {
	body := strings.Repeat("A", 12286-len("334 \r\n"))
	r, err := NewReader(strings.NewReader("334 " + body + "\r\n")).ReadReply()
	if err != nil || r.Lines[0] != body {
		t.Fatalf("long challenge: %v", err)
	}
}

func TestReadReplyTruncated(t *testing.T) {
	_, err := NewReader(strings.NewReader("250-a\r\n250 b")).ReadReply()
	if err == nil || errors.Is(err, ErrMalformedReply) {
		t.Fatalf("truncated reply: %v, want an I/O error", err)
	}
}

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"250 ok\r\n", "250-a\r\n250 b\r\n", "535 5.7.8 x\r\n", "334\r\n", "334 QQ==\r\n", "2\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := NewReader(strings.NewReader(in)).ReadReply()
		if err != nil {
			return
		}
		if r.Code < 200 || r.Code > 599 || len(r.Lines) == 0 || len(r.Lines) > MaxReplyLines {
			t.Fatalf("accepted %#v from %q", r, in)
		}
		_ = r.String()
	})
}

// FuzzChallenge feeds arbitrary challenge lines to the engine: it must answer or cancel, never panic, and never
// send "*" except right after a 334.
func FuzzChallenge(f *testing.F) {
	for _, s := range []string{"334 QQ==", "334 =", "334 ", "334", "334 Zm9v!", "235 ok", "535 5.7.8 no", "334-a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n") {
			return
		}
		c := &fuzzConn{replies: []string{line + "\r\n", "501 cancelled\r\n", "501 cancelled\r\n", "501 x\r\n"}}
		_ = Auth(c, login("user", "pass"))
		for i, l := range c.sent {
			if l == "*" && (i == 0 || c.before[i] != 334) {
				t.Fatalf("* sent not in answer to a 334: %q", c.sent)
			}
		}
	})
}

type fuzzConn struct {
	replies []string
	sent    []string
	before  []int // code of the last reply read before each line was sent
	last    int
}

func (c *fuzzConn) WriteLine(line string, _ bool) error {
	c.sent = append(c.sent, line)
	c.before = append(c.before, c.last)
	return nil
}

func (c *fuzzConn) ReadReply() (*Reply, error) {
	if len(c.replies) == 0 {
		return nil, errors.New("eof")
	}
	r, err := NewReader(strings.NewReader(c.replies[0])).ReadReply()
	c.replies = c.replies[1:]
	if err == nil {
		c.last = r.Code
	} else {
		c.last = 0
	}
	return r, err
}

// A reply beyond our size limits is ErrReplyTooLarge (and still malformed), in words that say what the server
// did; a reply that breaks the grammar is not too large.
func TestReadReplyTooLarge(t *testing.T) {
	for _, tt := range []struct{ in, words string }{
		{"250 " + strings.Repeat("a", 10<<20) + "\r\n", "the server sent a reply line longer than 12288 octets"},
		{"250 " + strings.Repeat("a", MaxReplyLine) + "\r\n", "the server sent a reply line longer than 4096 octets"},
		{strings.Repeat("250-x\r\n", 10000) + "250 x\r\n", "the server sent a reply of more than 128 lines"},
	} {
		_, err := NewReader(strings.NewReader(tt.in)).ReadReply()
		if !errors.Is(err, ErrReplyTooLarge) || !errors.Is(err, ErrMalformedReply) || !strings.Contains(err.Error(), tt.words) {
			t.Errorf("%.20q: err = %v, want too large with %q", tt.in, err, tt.words)
		}
	}
	for _, in := range []string{"abc ok\r\n", "250 ok\n", "535-a\r\n250 b\r\n"} {
		if _, err := NewReader(strings.NewReader(in)).ReadReply(); errors.Is(err, ErrReplyTooLarge) {
			t.Errorf("%q: err = %v, want malformed but not too large", in, err)
		}
	}
}

// Peek waits for the first byte without taking it: the reply is still read whole.
func TestReaderPeek(t *testing.T) {
	rd := NewReader(strings.NewReader("220 ready\r\n"))
	if err := rd.Peek(); err != nil {
		t.Fatal(err)
	}
	if r, err := rd.ReadReply(); err != nil || r.Code != 220 || r.Lines[0] != "ready" {
		t.Fatalf("ReadReply after Peek = %+v, %v", r, err)
	}
	if err := NewReader(strings.NewReader("")).Peek(); err != io.EOF {
		t.Fatalf("Peek on a closed stream = %v, want EOF", err)
	}
}
