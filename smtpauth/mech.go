package smtpauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// Credentials are what the account authenticates with. They never appear in errors or transcripts.
type Credentials struct {
	User     string
	Password string
}

// DefaultPreference lists the mechanisms we speak, best first. PLAIN goes before LOGIN: both send the
// password (only ever inside verified TLS), and LOGIN is the obsolete one.
var DefaultPreference = []string{"PLAIN", "LOGIN"}

// ErrBadCredentials is returned for credentials that cannot be sent as they are (a NUL byte, an empty user).
var ErrBadCredentials = errors.New("smtpauth: user name and password must not be empty or contain NUL bytes")

// Select picks the first mechanism of prefer (DefaultPreference when empty) that the server advertised, and
// returns its name and a client for it. Names match exactly, ignoring case (RFC 4954 §8): "PLAIN-CLIENTTOKEN" is not PLAIN.
func Select(advertised, prefer []string, cred Credentials) (string, sasl.Client, error) {
	if cred.User == "" || cred.Password == "" || strings.ContainsRune(cred.User, 0) || strings.ContainsRune(cred.Password, 0) {
		return "", nil, ErrBadCredentials
	}
	if len(prefer) == 0 {
		prefer = DefaultPreference
	}
	for _, want := range prefer {
		for _, have := range advertised {
			if !strings.EqualFold(want, have) {
				continue
			}
			name := strings.ToUpper(want)
			if c := newClient(name, cred); c != nil {
				return name, c, nil
			}
		}
	}
	return "", nil, &Error{Kind: Unsupported, Err: fmt.Errorf("the server offers %s, we speak %s",
		listOrNone(advertised), strings.Join(prefer, ", "))}
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "no mechanism"
	}
	return strings.Join(l, ", ")
}

// newClient returns a client for an upper-case mechanism name, or nil if we don't speak it.
func newClient(name string, cred Credentials) sasl.Client {
	switch name {
	case "PLAIN":
		return sasl.NewPlainClient("", cred.User, cred.Password)
	case "LOGIN":
		return &loginClient{user: cred.User, password: cred.Password}
	}
	return nil
}

// loginClient speaks the LOGIN mechanism the way real servers expect: no initial response, then the user name
// in answer to the first challenge and the password to the second, whatever their text says ("Username:",
// "User Name\x00", ...). go-sasl's LOGIN client sends the user name as an initial response and accepts only
// the exact prompt "Password:", which several servers don't use.
type loginClient struct {
	user, password string
	round          int
}

func (c *loginClient) Start() (string, []byte, error) { return "LOGIN", nil, nil }

func (c *loginClient) Next([]byte) ([]byte, error) {
	c.round++
	switch c.round {
	case 1:
		return []byte(c.user), nil
	case 2:
		return []byte(c.password), nil
	}
	return nil, errors.New("LOGIN: unexpected third challenge")
}
