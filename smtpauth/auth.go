package smtpauth

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/emersion/go-sasl"
)

// Conn is the line-oriented connection an exchange runs on. The submission session implements it on its
// TCP or TLS connection, with an absolute deadline for every reply; tests implement it with a script.
type Conn interface {
	// WriteLine sends line followed by CRLF. secret marks a line that carries credentials: a transcript must
	// show it redacted.
	WriteLine(line string, secret bool) error
	// ReadReply reads one complete reply.
	ReadReply() (*Reply, error)
}

// Verifier is implemented by mechanisms that authenticate the server in turn (SCRAM). Auth accepts a 235 only
// once Verify returns nil: a server that claims success without proving it knows the password is refused.
type Verifier interface {
	Verify() error
}

// Limits of the AUTH command line and of the exchange.
const (
	// MaxCommandLine is the longest command line, CRLF included (RFC 5321 §4.5.3.1.4). An initial response
	// that would make "AUTH <MECH> <response>" longer is sent after an empty 334 instead (RFC 4954 §4).
	MaxCommandLine = 512
	// MaxRounds bounds the 334 challenges of one exchange. The mechanisms we speak need at most three
	// (SCRAM without initial response); each mechanism also refuses rounds it does not expect.
	MaxRounds = 4
)

// Detailer is implemented by mechanisms that learn why the server refused them (an OAuth error report, a
// SCRAM "e=" attribute); the text goes into Error.Detail.
type Detailer interface {
	Detail() string
}

// Auth runs one AUTH exchange with mechanism m over c. It returns nil once the server has answered 235 and the
// mechanism is satisfied, or an *Error saying why not. It never sends "*" except as the answer to a 334, and it
// always reads the server's final reply before returning, so the session stays in step.
func Auth(c Conn, m sasl.Client) error {
	_, err := auth(c, m, false)
	return err
}

// auth runs the exchange; noIR holds the initial response back until the first 334. It reports whether an
// initial response went with the AUTH command.
func auth(c Conn, m sasl.Client, noIR bool) (irSent bool, err error) {
	mech, ir, err := m.Start()
	if err != nil {
		return false, &Error{Kind: Unsupported, Mechanism: mech, Err: err}
	}
	fail := func(kind Kind, rep *Reply, err error) error {
		e := &Error{Kind: kind, Mechanism: mech, Reply: rep, Err: err}
		if d, ok := m.(Detailer); ok {
			e.Detail = Sanitize(d.Detail()) // the server's words
		}
		return e
	}

	cmd := "AUTH " + mech
	pending := ir // an initial response still to be sent as the answer to the first 334
	if ir != nil && !noIR {
		arg := "="
		if len(ir) > 0 {
			arg = base64.StdEncoding.EncodeToString(ir)
		}
		if len(cmd)+1+len(arg)+2 <= MaxCommandLine {
			cmd += " " + arg
			pending = nil
			irSent = true
		}
	}
	if err := c.WriteLine(cmd, irSent); err != nil {
		return irSent, fail(Temporary, nil, err)
	}

	for round := 0; ; round++ {
		rep, err := c.ReadReply()
		if err != nil {
			return irSent, fail(readKind(err), nil, err)
		}
		switch {
		case rep.Code == 235:
			if v, ok := m.(Verifier); ok {
				if err := v.Verify(); err != nil {
					return irSent, fail(Protocol, rep, fmt.Errorf("server claimed success without proof: %w", err))
				}
			}
			return irSent, nil
		case rep.Code != 334:
			if rep.Class() == 2 || rep.Class() == 3 {
				return irSent, fail(Protocol, rep, errors.New("unexpected reply to AUTH"))
			}
			return irSent, fail(Classify(rep), rep, nil)
		}

		// A 334 challenge.
		resp, cause := answer(m, rep, round, &pending)
		if cause != nil {
			return irSent, cancel(c, mech, cause, m)
		}
		line := ""
		if len(resp) > 0 {
			line = base64.StdEncoding.EncodeToString(resp)
		}
		if err := c.WriteLine(line, true); err != nil {
			return irSent, fail(Temporary, nil, err)
		}
	}
}

// answer computes the response to the 334 challenge rep. An initial response held back for length is the
// answer to the first challenge, which must be empty.
func answer(m sasl.Client, rep *Reply, round int, pending *[]byte) ([]byte, error) {
	if round >= MaxRounds {
		return nil, fmt.Errorf("more than %d challenges", MaxRounds)
	}
	if len(rep.Lines) != 1 {
		return nil, errors.New("multi-line challenge")
	}
	challenge, err := base64.StdEncoding.Strict().DecodeString(rep.Lines[0])
	if err != nil {
		return nil, fmt.Errorf("challenge is not valid base64: %w", err)
	}
	if *pending != nil {
		if len(challenge) != 0 {
			return nil, errors.New("non-empty challenge before the initial response")
		}
		resp := *pending
		*pending = nil
		return resp, nil
	}
	resp, err := m.Next(challenge)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// cancel sends "*" in answer to a 334 and reads the one reply that follows (RFC 4954 §4: the server answers
// 501). Whatever that reply says, the exchange has failed; a 235 here is not believed.
func cancel(c Conn, mech string, cause error, m sasl.Client) error {
	e := &Error{Kind: Cancelled, Mechanism: mech, Err: cause}
	if d, ok := m.(Detailer); ok {
		e.Detail = Sanitize(d.Detail()) // the server's words
	}
	if err := c.WriteLine("*", false); err != nil {
		e.Kind, e.Err = Temporary, err
		return e
	}
	rep, err := c.ReadReply()
	if err != nil {
		if readKind(err) == Temporary {
			e.Kind = Temporary
		}
		e.Err = errors.Join(cause, err)
		return e
	}
	e.Reply = rep
	return e
}

// readKind classifies a failure to read a reply: a reply that breaks the grammar is the server's protocol
// error; a dropped connection, a timeout, or a reply beyond our size limits may pass (ErrReplyTooLarge).
func readKind(err error) Kind {
	if errors.Is(err, ErrMalformedReply) && !errors.Is(err, ErrReplyTooLarge) {
		return Protocol
	}
	return Temporary
}
