package smtpauth

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/xdg-go/scram"
)

// scramNonce replaces the client nonce in tests that replay published exchanges; nil means random.
var scramNonce func() string

// bindingOf returns the channel binding of a TLS connection: tls-exporter on TLS 1.3 (RFC 9266), tls-unique
// on TLS 1.2 unless the session was resumed (RFC 7677 §4: tls-unique is safe only on a full handshake).
func bindingOf(st *tls.ConnectionState) scram.ChannelBinding {
	if st == nil {
		return scram.ChannelBinding{}
	}
	if st.Version >= tls.VersionTLS13 {
		cb, err := scram.NewTLSExporterBinding(st)
		if err != nil {
			return scram.ChannelBinding{}
		}
		return cb
	}
	if st.DidResume || len(st.TLSUnique) == 0 {
		return scram.ChannelBinding{}
	}
	return scram.NewTLSUniqueBinding(st.TLSUnique)
}

// newSCRAM builds a SCRAM-SHA-1 or SCRAM-SHA-256 client (RFC 5802, RFC 7677), with channel binding for the
// -PLUS variants. The gs2 flag follows RFC 5802 §6: "p=..." for -PLUS; "y" when we could bind but the server
// advertised no -PLUS (a stripped list then fails at the server); "n" without TLS, or when the server offers
// -PLUS but the configuration chose the plain variant.
func newSCRAM(name string, advertised []string, cred Credentials, ch Channel, o Options) (sasl.Client, error) {
	base, plus := strings.CutSuffix(name, "-PLUS")
	hash := scram.SHA256
	if base == "SCRAM-SHA-1" {
		hash = scram.SHA1
	}
	// NewClient prepares user name and password with SASLprep (RFC 5802 §2) and refuses prohibited characters.
	client, err := hash.NewClient(cred.User, cred.Password.Reveal(), "")
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadCredentials, name, err)
	}
	client.WithMinIterations(MinIterations)
	if scramNonce != nil {
		client.WithNonceGenerator(scramNonce)
	}
	cb := bindingOf(ch.TLS)
	var conv *scram.ClientConversation
	switch {
	case plus:
		conv = client.NewConversationWithChannelBinding(cb)
	case cb.IsSupported() && !offered(advertised, base+"-PLUS"):
		conv = client.NewConversationAdvertisingChannelBinding()
	default:
		conv = client.NewConversation()
	}
	max := o.MaxIterations
	if max == 0 {
		max = DefaultMaxIterations
	}
	return &scramClient{name: name, conv: conv, maxIter: max}, nil
}

// scramClient adapts a SCRAM conversation to the engine: the client-first message is the initial response, the
// server-first message gets the client-final, the server-final ("v=") is verified and answered with an empty
// line, and a 235 counts only once that verification passed (Verify).
type scramClient struct {
	name    string
	conv    *scram.ClientConversation
	maxIter int
	round   int
	detail  string
}

func (c *scramClient) Start() (string, []byte, error) {
	first, err := c.conv.Step("")
	if err != nil {
		return c.name, nil, err
	}
	return c.name, []byte(first), nil
}

func (c *scramClient) Next(challenge []byte) ([]byte, error) {
	c.round++
	switch c.round {
	case 1:
		if err := checkServerFirst(string(challenge), c.maxIter); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		resp, err := c.conv.Step(string(challenge))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		return []byte(resp), nil
	case 2:
		if e, ok := strings.CutPrefix(string(challenge), "e="); ok {
			c.detail = "server error: " + clip(e)
		}
		if _, err := c.conv.Step(string(challenge)); err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		return []byte{}, nil // success data travels in a 334 and gets an empty response (RFC 4954 §4, RFC 4422 §3)
	}
	// The server-final message ends SCRAM (RFC 5802 §5).
	return nil, fmt.Errorf("%s: unexpected challenge after the server signature", c.name)
}

// Verify reports whether the server proved that it knows the password. Without that proof the exchange failed,
// whatever the server's final reply says (RFC 5802 §5).
func (c *scramClient) Verify() error {
	if !c.conv.Valid() {
		return errors.New(c.name + ": the server did not prove that it knows the password")
	}
	return nil
}

// Detail returns the server's SCRAM error, if it sent one.
func (c *scramClient) Detail() string { return c.detail }

// checkServerFirst applies the grammar checks the SCRAM library leaves out (RFC 5802 §7): the iteration count
// is a positive number without a leading zero, at least 4096 (RFC 7677 §3) and within our cap, since a huge
// count is a denial of service (RFC 5802 §9), and the salt is strict base64. Extensions after the iteration
// count are allowed and kept as they are (RFC 5802 §5: unknown optional extensions are ignored).
func checkServerFirst(s string, maxIter int) error {
	fields := strings.Split(s, ",")
	if len(fields) < 3 || !strings.HasPrefix(fields[0], "r=") {
		if strings.HasPrefix(s, "m=") {
			return errors.New("server-first message carries a mandatory extension") // RFC 5802 §5.1
		}
		return errors.New("malformed server-first message")
	}
	salt, ok := strings.CutPrefix(fields[1], "s=")
	if !ok {
		return errors.New("server-first message has no salt")
	}
	if _, err := base64.StdEncoding.Strict().DecodeString(salt); err != nil || salt == "" {
		return errors.New("server-first message has a salt that is not base64")
	}
	iter, ok := strings.CutPrefix(fields[2], "i=")
	if !ok || iter == "" || iter[0] < '1' || iter[0] > '9' {
		return fmt.Errorf("bad iteration count %q", clip(fields[2]))
	}
	n, err := strconv.Atoi(iter)
	if err != nil {
		return fmt.Errorf("bad iteration count %q", clip(fields[2]))
	}
	if n > maxIter {
		return fmt.Errorf("iteration count %d above our limit of %d", n, maxIter)
	}
	if n < MinIterations {
		return fmt.Errorf("iteration count %d below the minimum of %d", n, MinIterations)
	}
	return nil
}
