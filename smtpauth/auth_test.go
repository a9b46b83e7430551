package smtpauth

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/scangate/gateway/internal/secret"
)

// scriptConn plays a server from a transcript: "C: " lines are what the client must send next, "S: " lines
// what the server answers. It fails the test on the first difference.
type scriptConn struct {
	t      *testing.T
	steps  []string
	pos    int
	secret []bool // whether each client line was marked secret
}

func (s *scriptConn) WriteLine(line string, secret bool) error {
	s.t.Helper()
	if s.pos >= len(s.steps) || !strings.HasPrefix(s.steps[s.pos], "C: ") {
		s.t.Fatalf("client sent %q, script expected %s", line, s.next())
	}
	if want := strings.TrimPrefix(s.steps[s.pos], "C: "); line != want {
		s.t.Fatalf("step %d: client sent %q, want %q", s.pos, line, want)
	}
	s.secret = append(s.secret, secret)
	s.pos++
	return nil
}

func (s *scriptConn) ReadReply() (*Reply, error) {
	s.t.Helper()
	var raw strings.Builder
	for s.pos < len(s.steps) && strings.HasPrefix(s.steps[s.pos], "S: ") {
		raw.WriteString(strings.TrimPrefix(s.steps[s.pos], "S: ") + "\r\n")
		s.pos++
	}
	if raw.Len() == 0 {
		if s.pos == len(s.steps) {
			return nil, io.EOF // the server hung up
		}
		s.t.Fatalf("client reads a reply, script expected %s", s.next())
	}
	return NewReader(strings.NewReader(raw.String())).ReadReply()
}

func (s *scriptConn) next() string {
	if s.pos < len(s.steps) {
		return s.steps[s.pos]
	}
	return "the end"
}

func (s *scriptConn) done() {
	s.t.Helper()
	if s.pos != len(s.steps) {
		s.t.Fatalf("script not finished: next step %q", s.steps[s.pos])
	}
}

func run(t *testing.T, m sasl.Client, steps ...string) error {
	t.Helper()
	c := &scriptConn{t: t, steps: steps}
	err := Auth(c, m)
	c.done()
	return err
}

func plain(user, pass string) sasl.Client { return sasl.NewPlainClient("", user, pass) }

func login(user, pass string) sasl.Client {
	return &loginClient{user: user, password: secret.Secret(pass)}
}

// Each case names the specification section whose requirement it checks.
func TestAuthTranscripts(t *testing.T) {
	long := strings.Repeat("p", 352) // "AUTH PLAIN <b64>" would pass 512 octets (RFC 5321 §4.5.3.1.4)
	tests := []struct {
		name  string
		mech  sasl.Client
		steps []string
		kind  Kind // 0: success
	}{
		{"RFC 4954 §8/PLAIN initial response", plain("test", "1234"), []string{
			"C: AUTH PLAIN AHRlc3QAMTIzNA==", "S: 235 2.7.0 Authentication successful"}, 0},
		{"RFC 4954 §4/PLAIN password 351 still fits", plain("scanner@example.com", strings.Repeat("p", 351)), []string{
			"C: AUTH PLAIN " + b64("\x00scanner@example.com\x00"+strings.Repeat("p", 351)), "S: 235 ok"}, 0},
		{"RFC 4954 §4/PLAIN password 352 goes after an empty 334", plain("scanner@example.com", long), []string{
			"C: AUTH PLAIN", "S: 334 ", "C: " + b64("\x00scanner@example.com\x00"+long), "S: 235 ok"}, 0},
		{"RFC 5321 §4.2/bare 334 is an empty challenge", plain("scanner@example.com", long), []string{
			"C: AUTH PLAIN", "S: 334", "C: " + b64("\x00scanner@example.com\x00"+long), "S: 235 ok"}, 0},
		{"draft-murchison-sasl-login/LOGIN answers by position (Microsoft prompts)", login("tim", "tanstaaftanstaaf"), []string{
			"C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: dGlt", "S: 334 UGFzc3dvcmQ6",
			"C: dGFuc3RhYWZ0YW5zdGFhZg==", "S: 235 2.7.0 Authentication successful"}, 0},
		{"draft-murchison-sasl-login/LOGIN answers by position (Cyrus prompts)", login("tim", "tanstaaftanstaaf"), []string{
			"C: AUTH LOGIN", "S: 334 VXNlciBOYW1lAA==", "C: dGlt", "S: 334 UGFzc3dvcmQA",
			"C: dGFuc3RhYWZ0YW5zdGFhZg==", "S: 235 2.7.0 Authentication successful"}, 0},
		{"MS-XLOGIN §3.1.5.1/LOGIN third challenge is cancelled", login("tim", "x"), []string{
			"C: AUTH LOGIN", "S: 334 ", "C: dGlt", "S: 334 ", "C: eA==", "S: 334 ", "C: *",
			"S: 501 5.0.0 cancelled"}, Cancelled},
		{"RFC 4954 §8/no * after 535", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 535 5.7.8 Authentication credentials invalid"}, CredentialsRejected},
		{"RFC 5321 §4.2.1/multi-line 535 read whole", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 535-5.7.8 Username and Password not accepted. Learn more at",
			"S: 535 5.7.8 https://support.example.com/mail/?p=BadCredentials"}, CredentialsRejected},
		{"RFC 5321 §4.2/base code wins over enhanced code", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 535 4.7.0 odd"}, CredentialsRejected},
		{"RFC 4954 §6/454 is temporary", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 454 4.7.0 Temporary authentication failure"}, Temporary},
		{"RFC 5321 §4.2/unknown 4yz is temporary", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 439 4.7.99 whatever"}, Temporary},
		{"RFC 5321 §4.2/out-of-range code is a protocol error", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 635 x"}, Protocol},
		{"RFC 4954 §6/432 password transition", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 432 4.7.12 A password transition is needed"}, PasswordTransition},
		{"RFC 4954 §6/534 too weak", login("user", "pass"), []string{
			"C: AUTH LOGIN", "S: 534 5.7.9 Authentication mechanism is too weak"}, TooWeak},
		{"RFC 4954 §6/538 encryption required", login("user", "pass"), []string{
			"C: AUTH LOGIN", "S: 538 5.7.11 Encryption required"}, EncryptionRequired},
		{"RFC 5248/x.7.10 encryption needed", login("user", "pass"), []string{
			"C: AUTH LOGIN", "S: 550 5.7.10 Encryption needed"}, EncryptionRequired},
		{"RFC 4954 §6/504 unsupported", login("user", "pass"), []string{
			"C: AUTH LOGIN", "S: 504 5.5.4 Unrecognized authentication type"}, Unsupported},
		{"RFC 3207 §4/530 must STARTTLS first", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 530 5.7.0 Must issue a STARTTLS command first"}, EncryptionRequired},
		{"RFC 5321 §4.2.1/other 5xx is permanent", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 554 5.7.1 no"}, Permanent},
		{"RFC 4616 §2/PLAIN refuses a 334 after its initial response", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 334 ", "C: *", "S: 501 5.0.0 cancelled"}, Cancelled},
		{"RFC 4954 §4/235 after * is not believed", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 334 ", "C: *", "S: 235 2.7.0 ok"}, Cancelled},
		{"RFC 5321 §3.8/connection dropped is temporary", login("user", "pass"), []string{
			"C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: dXNlcg=="}, Temporary},
		{"RFC 5321 §2.3.8/bare LF reply is refused", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 235 ok\n"}, Protocol},
		{"RFC 5321 §4.2.1/continuation with another code", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 535-a", "S: 250 b"}, Protocol},
		{"unexpected 250 to AUTH", plain("user", "pass"), []string{
			"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 250 ok"}, Protocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t, tt.mech, tt.steps...)
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Auth: %v", err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Kind != tt.kind {
				t.Fatalf("Auth = %v, want kind %v", err, tt.kind)
			}
			if !errors.Is(err, sentinels[tt.kind]) {
				t.Errorf("errors.Is(%v, %v) = false", err, sentinels[tt.kind])
			}
		})
	}
}

// RFC 4954 §4: a challenge that is not strict base64 is cancelled with "*" and the client reads one reply.
func TestAuthStrictBase64(t *testing.T) {
	for _, ch := range []string{"=AAA", "AAA=BBB", "QQ", "QQ=", "Q Q==", "dGVzdA== ", "Zm9v!", "=",
		"GSSAPI supported", "QR=="} {
		t.Run(ch, func(t *testing.T) {
			err := run(t, login("user", "pass"), "C: AUTH LOGIN", "S: 334 "+ch, "C: *", "S: 501 5.0.0 cancelled")
			if !errors.Is(err, ErrCancelled) {
				t.Fatalf("Auth = %v, want cancelled", err)
			}
		})
	}
	// And a valid one is answered.
	if err := run(t, login("user", "pass"), "C: AUTH LOGIN", "S: 334 QQ==", "C: dXNlcg==", "S: 334 QQ==",
		"C: cGFzcw==", "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
}

// A multi-line 334 must not be decoded as the concatenation of its lines: RFC 4954 §4 rejects any character
// outside the base64 alphabet, line breaks included.
func TestAuthMultiLineChallenge(t *testing.T) {
	err := run(t, login("user", "pass"), "C: AUTH LOGIN", "S: 334-Zm9v", "S: 334 YmFy", "C: *", "S: 501 cancelled")
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("Auth = %v, want cancelled", err)
	}
}

// RFC 4954 §4 and §8: an empty initial response is sent as "=", an empty response to a 334 as an empty line.
func TestAuthEmptyResponses(t *testing.T) {
	m := &fixedClient{mech: "EXTERNAL", ir: []byte{}, next: [][]byte{{}}}
	if err := run(t, m, "C: AUTH EXTERNAL =", "S: 334 ", "C: ", "S: 235 ok"); err != nil {
		t.Fatal(err)
	}
}

// Server-first mechanisms (nil initial response) send the bare command (RFC 4954 §4).
func TestAuthServerFirst(t *testing.T) {
	m := &fixedClient{mech: "CRAM-MD5", next: [][]byte{[]byte("tim b913a602c7eda7a495b4e6e7334d3890")}}
	if err := run(t, m, "C: AUTH CRAM-MD5", "S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
		"C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw", "S: 235 2.7.0 ok"); err != nil {
		t.Fatal(err)
	}
	if got := string(m.challenges[0]); got != "<1896.697170952@postoffice.reston.mci.net>" {
		t.Errorf("challenge handed to the mechanism = %q", got)
	}
}

// Rounds are bounded even for a mechanism that would answer forever.
func TestAuthRoundBound(t *testing.T) {
	m := &fixedClient{mech: "X", repeat: []byte("a")}
	steps := []string{"C: AUTH X"}
	for i := 0; i < MaxRounds; i++ {
		steps = append(steps, "S: 334 ", "C: YQ==")
	}
	steps = append(steps, "S: 334 ", "C: *", "S: 501 cancelled")
	if err := run(t, m, steps...); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Auth = %v, want cancelled", err)
	}
}

// RFC 5802 §5: a Verifier mechanism must be satisfied before a 235 counts.
func TestAuthVerifier(t *testing.T) {
	m := &fixedClient{mech: "SCRAM-X", ir: []byte("n,,"), verifyErr: errors.New("no server signature")}
	err := run(t, m, "C: AUTH SCRAM-X biws", "S: 235 2.7.0 ok")
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Auth = %v, want protocol error", err)
	}
}

// Lines that carry credentials are marked secret so that transcripts can redact them; the bare command is not.
func TestAuthSecretMarking(t *testing.T) {
	c := &scriptConn{t: t, steps: []string{"C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: dGlt", "S: 334 UGFzc3dvcmQ6",
		"C: cHc=", "S: 235 ok"}}
	if err := Auth(c, login("tim", "pw")); err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, true}; !equalBools(c.secret, want) {
		t.Errorf("secret marks = %v, want %v", c.secret, want)
	}
	c = &scriptConn{t: t, steps: []string{"C: AUTH PLAIN AHVzZXIAcGFzcw==", "S: 235 ok"}}
	if err := Auth(c, plain("user", "pass")); err != nil || !c.secret[0] {
		t.Errorf("AUTH PLAIN with initial response: err %v, secret %v", err, c.secret)
	}
}

// Errors never carry the password.
func TestAuthErrorHasNoSecret(t *testing.T) {
	err := run(t, plain("user", "hunter2"), "C: AUTH PLAIN AHVzZXIAaHVudGVyMg==", "S: 535 5.7.8 no")
	if s := err.Error(); strings.Contains(s, "hunter2") || strings.Contains(s, "AHVzZXIAaHVudGVyMg==") {
		t.Fatalf("error leaks the secret: %s", s)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fixedClient is a mechanism with canned responses, for engine tests.
type fixedClient struct {
	mech       string
	ir         []byte
	next       [][]byte
	repeat     []byte
	verifyErr  error
	challenges [][]byte
}

func (f *fixedClient) Start() (string, []byte, error) { return f.mech, f.ir, nil }

func (f *fixedClient) Next(ch []byte) ([]byte, error) {
	f.challenges = append(f.challenges, ch)
	if f.repeat != nil {
		return f.repeat, nil
	}
	if len(f.next) == 0 {
		return nil, errors.New("unexpected challenge")
	}
	r := f.next[0]
	f.next = f.next[1:]
	return r, nil
}

func (f *fixedClient) Verify() error { return f.verifyErr }

// A reply beyond our size limits during AUTH is temporary, like a dropped connection; one that breaks the
// grammar is the server's protocol error.
func TestAuthReplyTooLarge(t *testing.T) {
	err := run(t, login("u", "p"), "C: AUTH LOGIN", "S: 334 "+strings.Repeat("A", MaxChallengeLine))
	var ae *Error
	if !errors.As(err, &ae) || ae.Kind != Temporary || !errors.Is(err, ErrReplyTooLarge) {
		t.Fatalf("oversized challenge: %v, want temporary", err)
	}
	err = run(t, login("u", "p"), "C: AUTH LOGIN", "S: 33x what")
	if !errors.As(err, &ae) || ae.Kind != Protocol {
		t.Fatalf("malformed reply: %v, want a protocol error", err)
	}
}
