package smtpauth

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/scangate/gateway/internal/secret"
)

// tokenError is the JSON a server sends in a 334 when it refuses an OAuth token (RFC 7628 §3.2.2; the same
// shape for XOAUTH2).
type tokenError struct {
	Status string `json:"status"`
	Scope  string `json:"scope"`
}

// parseTokenError reads the server's complaint (RFC 7628 §3.2.2); malformed JSON still counts as a refusal.
func parseTokenError(challenge []byte) string {
	var te tokenError
	if err := json.Unmarshal(challenge, &te); err != nil || te.Status == "" {
		return "token refused"
	}
	s := "token refused: " + te.Status
	if te.Scope != "" {
		s += " (scope " + te.Scope + ")"
	}
	return s
}

// xoauth2Client speaks XOAUTH2 as Microsoft and Google describe it: "user=U^Aauth=Bearer T^A^A". A 334 after
// that is an error report, never success. It is answered with an empty line, without which the server would
// wait for more, and then the server's final reply says what happened.
type xoauth2Client struct {
	user   string
	token  secret.Secret
	detail string
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token.Reveal() + "\x01\x01"), nil
}

func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if c.detail != "" {
		return nil, errors.New("XOAUTH2: unexpected challenge after the error report") // only one error report
	}
	c.detail = parseTokenError(challenge)
	return []byte{}, nil
}

// Detail returns the server's complaint about the token, if it made one.
func (c *xoauth2Client) Detail() string { return c.detail }

// oauthBearerClient speaks OAUTHBEARER (RFC 7628). On the error challenge it sends the single %x01 the RFC
// asks for (RFC 7628 §3.2.3; AQ== on the wire) and lets the server send its final reply. go-sasl's client
// cancels with "*" instead and does not escape the authorization identity.
type oauthBearerClient struct {
	user   string
	token  secret.Secret
	detail string
}

func (c *oauthBearerClient) Start() (string, []byte, error) {
	return "OAUTHBEARER", []byte("n,a=" + saslName(c.user) + ",\x01auth=Bearer " + c.token.Reveal() + "\x01\x01"), nil
}

func (c *oauthBearerClient) Next(challenge []byte) ([]byte, error) {
	if c.detail != "" {
		return nil, errors.New("OAUTHBEARER: unexpected challenge after the error report") // the %x01 ended our part
	}
	c.detail = parseTokenError(challenge)
	return []byte{0x01}, nil
}

// Detail returns the server's complaint about the token, if it made one.
func (c *oauthBearerClient) Detail() string { return c.detail }

// saslName escapes "," and "=" in a GS2 name (RFC 5801 §4).
func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}
