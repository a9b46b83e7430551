package smtpauth

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/hex"
	"errors"

	"github.com/scangate/gateway/internal/secret"
)

// cramMD5Client speaks CRAM-MD5 (RFC 2195): a server-first mechanism whose one answer is the user name, a
// space and the lower-case hex HMAC-MD5 of the challenge keyed with the password. The challenge's content is
// not interpreted (draft-nerenberg-sasl-crammd5 §2); a second challenge is refused.
type cramMD5Client struct {
	user     string
	password secret.Secret
	answered bool
}

func (c *cramMD5Client) Start() (string, []byte, error) { return "CRAM-MD5", nil, nil }

func (c *cramMD5Client) Next(challenge []byte) ([]byte, error) {
	if c.answered {
		return nil, errors.New("CRAM-MD5: unexpected second challenge")
	}
	c.answered = true
	mac := hmac.New(md5.New, []byte(c.password.Reveal()))
	mac.Write(challenge)
	return []byte(c.user + " " + hex.EncodeToString(mac.Sum(nil))), nil
}
