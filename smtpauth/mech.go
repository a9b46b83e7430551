package smtpauth

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/scangate/gateway/internal/secret"
	"github.com/xdg-go/stringprep"
)

// Credentials are what the account authenticates with. They never appear in errors or transcripts, and the
// password and the token print as "[redacted]" however Credentials are formatted, logged or marshalled: their
// values are read only to check them and by the mechanism that encodes them.
type Credentials struct {
	User     string
	Password secret.Secret
	// Token is an OAuth 2.0 access token for XOAUTH2 and OAUTHBEARER.
	Token secret.Secret
	// ClientCert reports that the TLS connection presented a client certificate, which EXTERNAL uses.
	ClientCert bool
}

// Channel describes the connection the exchange runs on, which decides what mechanisms may be used.
type Channel struct {
	// TLS is the state of the TLS connection; nil means no TLS.
	TLS *tls.ConnectionState
	// Verified reports that the server's certificate was verified (by a chain or by its pin) against the host
	// name the account names.
	Verified bool
	// AllowInsecure lets credentials go over a connection without verified TLS (lab use only).
	AllowInsecure bool
}

// protected reports whether credentials may cross this channel: only inside TLS whose certificate verified
// (RFC 8314 §5.2: nothing but capability discovery and STARTTLS below that; RFC 4954 §14), unless the account
// lifts the rule for a lab.
func (ch Channel) protected() bool { return ch.TLS != nil && ch.Verified || ch.AllowInsecure }

// strength lists the mechanisms we speak, strongest first. It is the default preference: PLAIN before LOGIN
// (draft-murchison-sasl-login §1), the stronger SCRAM hash first (RFC 5802 §9). A 534 "mechanism too weak"
// retries only with a mechanism that comes earlier in it (RFC 4954 §6).
var strength = []string{
	"EXTERNAL",           // a client certificate: nothing to steal
	"SCRAM-SHA-256-PLUS", // mutual proof, bound to this TLS channel
	"SCRAM-SHA-1-PLUS",   //
	"SCRAM-SHA-256",      // mutual proof, the password never crosses the wire
	"SCRAM-SHA-1",        //
	"OAUTHBEARER",        // a bearer token, inside verified TLS
	"XOAUTH2",            //
	"CRAM-MD5",           // the password never crosses, but the server is not authenticated
	"PLAIN",              // the password, inside verified TLS
	"LOGIN",              // the same, obsolete
}

// Mechanisms returns the name of every SASL mechanism the engine speaks, strongest first: the order they are
// tried in when Options.Prefer names none, and the names a setting that lists mechanisms may use. The slice is
// a copy that the caller may change.
func Mechanisms() []string { return slices.Clone(strength) }

// Options tune the exchange.
type Options struct {
	// Prefer overrides the default order (Mechanisms): only these mechanisms, in this order.
	Prefer []string
	// MaxIterations caps the SCRAM iteration count a server may ask for (a huge count is a denial of service
	// on a small board); 0 means DefaultMaxIterations.
	MaxIterations int
	// PasswordTransition allows one PLAIN login over verified TLS when the server answers 432 (RFC 4954 §6).
	PasswordTransition bool
}

// preference is the order mechanisms are tried in.
func (o Options) preference() []string {
	if len(o.Prefer) == 0 {
		return strength
	}
	return o.Prefer
}

// SCRAM iteration limits: RFC 7677 asks for at least 4096; more than the cap is refused rather than computed.
const (
	MinIterations        = 4096
	DefaultMaxIterations = 100000
)

// ErrBadCredentials is returned for credentials that cannot be sent as they are (an empty user, a NUL byte).
var ErrBadCredentials = errors.New("smtpauth: the user name or password holds a character that cannot be sent")

// Select picks the first mechanism of the preference list that the server advertised and that the channel and
// the credentials allow, and returns its name and a client for it. Names match exactly, ignoring case (RFC 4954
// §8): "PLAIN-CLIENTTOKEN" is not PLAIN.
func Select(advertised []string, cred Credentials, ch Channel, o Options) (string, sasl.Client, error) {
	if strings.ContainsRune(cred.User, 0) || strings.ContainsRune(cred.Password.Reveal(), 0) {
		return "", nil, ErrBadCredentials
	}
	for _, name := range candidates(advertised, cred, ch, o) {
		c, err := newClient(name, advertised, cred, ch, o)
		if errors.Is(err, ErrBadCredentials) {
			return "", nil, err
		}
		if err == nil {
			return name, c, nil
		}
	}
	return "", nil, &Error{Kind: Unsupported, Err: fmt.Errorf("the server offers %s; usable with these settings: %s",
		Sanitize(listOrNone(advertised)), listOrNone(usable(o.preference(), cred, ch)))}
}

// candidates returns the advertised mechanisms that may be used, best first.
func candidates(advertised []string, cred Credentials, ch Channel, o Options) []string {
	var out []string
	for _, want := range o.preference() {
		name := strings.ToUpper(want)
		if slices.Contains(out, name) || !offered(advertised, name) || !allowed(name, cred, ch) {
			continue
		}
		out = append(out, name)
	}
	return out
}

func offered(advertised []string, name string) bool {
	return slices.ContainsFunc(advertised, func(a string) bool { return strings.EqualFold(a, name) })
}

func usable(prefer []string, cred Credentials, ch Channel) []string {
	var out []string
	for _, p := range prefer {
		if allowed(strings.ToUpper(p), cred, ch) {
			out = append(out, strings.ToUpper(p))
		}
	}
	return out
}

// allowed says whether the credentials and the channel permit a mechanism: no exchange below the minimum
// security (RFC 4422 §6.1.2), no password or bearer token outside protected TLS (RFC 4616 §5, RFC 7628 §3,
// RFC 4954 §14).
func allowed(name string, cred Credentials, ch Channel) bool {
	protected := ch.protected()
	hasPassword := cred.User != "" && cred.Password.Reveal() != ""
	switch name {
	case "EXTERNAL":
		return cred.ClientCert && ch.TLS != nil && ch.Verified
	case "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS":
		return hasPassword && protected && bindingOf(ch.TLS).IsSupported()
	case "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN":
		return hasPassword && protected
	case "OAUTHBEARER", "XOAUTH2":
		return cred.Token.Reveal() != "" && cred.User != "" && protected
	}
	return false
}

// newClient returns a client for an upper-case mechanism name.
func newClient(name string, advertised []string, cred Credentials, ch Channel, o Options) (sasl.Client, error) {
	switch name {
	case "EXTERNAL":
		return sasl.NewExternalClient(""), nil
	case "PLAIN", "LOGIN", "CRAM-MD5":
		user, password, err := prepare(cred)
		if err != nil {
			return nil, err
		}
		switch name {
		case "PLAIN":
			// go-sasl's client takes the password as a string and encodes it in Start.
			return sasl.NewPlainClient("", user, password.Reveal()), nil
		case "LOGIN":
			return &loginClient{user: user, password: password}, nil
		}
		return &cramMD5Client{user: user, password: password}, nil
	case "XOAUTH2":
		return &xoauth2Client{user: cred.User, token: cred.Token}, nil
	case "OAUTHBEARER":
		return &oauthBearerClient{user: cred.User, token: cred.Token}, nil
	case "SCRAM-SHA-256", "SCRAM-SHA-1", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS":
		return newSCRAM(name, advertised, cred, ch, o)
	}
	return nil, fmt.Errorf("smtpauth: mechanism %s not spoken", name)
}

// prepare applies SASLprep (RFC 4013) to the user name and password, as RFC 4954 §4 asks, so that a password
// typed with a different Unicode form still matches; a prohibited character is refused here, before AUTH.
// SCRAM prepares its own (xdg-go/scram).
func prepare(cred Credentials) (user string, password secret.Secret, err error) {
	if user, err = stringprep.SASLprep.Prepare(cred.User); err != nil {
		return "", "", fmt.Errorf("%w: user name: %v", ErrBadCredentials, err)
	}
	p, err := stringprep.SASLprep.Prepare(cred.Password.Reveal())
	if err != nil {
		return "", "", fmt.Errorf("%w: password: %v", ErrBadCredentials, err)
	}
	return user, secret.Secret(p), nil
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// loginClient speaks the LOGIN mechanism the way real servers expect: no initial response, then the user name
// in answer to the first challenge and the password to the second, whatever their text says ("Username:",
// "User Name\x00", ...). go-sasl's LOGIN client sends the user name as an initial response and accepts only
// the exact prompt "Password:", which several servers don't use.
type loginClient struct {
	user     string
	password secret.Secret
	round    int
}

func (c *loginClient) Start() (string, []byte, error) { return "LOGIN", nil, nil }

func (c *loginClient) Next([]byte) ([]byte, error) {
	c.round++
	switch c.round {
	case 1:
		return []byte(c.user), nil
	case 2:
		return []byte(c.password.Reveal()), nil
	}
	return nil, errors.New("LOGIN: unexpected third challenge")
}
