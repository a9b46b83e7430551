package smtptest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dovecotOAuthMechanisms are the SASL mechanisms that carry an OAuth 2.0 bearer token.
var dovecotOAuthMechanisms = []string{"XOAUTH2", "OAUTHBEARER"}

// DovecotOAuth2 makes a Dovecot instance accept OAuth 2.0 bearer tokens: its submission service offers
// XOAUTH2 and OAUTHBEARER besides DovecotConfig.Mechanisms, and checks each token with the authorization
// server's token introspection (RFC 7662, Dovecot's passdb oauth2), at every login: there is no auth cache,
// so a token that expired or was revoked is refused at once. The password users keep their mechanisms.
type DovecotOAuth2 struct {
	// IntrospectionURL is the introspection endpoint, which Dovecot POSTs token=... to. The resource server's
	// credentials go into the URL (http://id:secret@127.0.0.1:port/path): Dovecot sends them with basic
	// authentication.
	IntrospectionURL string
	// UsernameAttribute is the field of the introspection answer that must equal the SASL user, as Dovecot
	// lower-cases it; "email" when empty. The answer must also say "active": true.
	UsernameAttribute string
	// CAFile is the authority of an https IntrospectionURL.
	CAFile string
	// Debug makes the auth process log each step of the token check (auth_debug, and the passdb's debug).
	Debug bool
}

// oauth2ConfFile is the passdb oauth2 configuration in the instance's private directory.
const oauth2ConfFile = "dovecot-oauth2.conf.ext"

// writeOAuth2Conf writes the passdb oauth2 configuration, when the instance takes tokens.
func (d *Dovecot) writeOAuth2Conf() error {
	o := d.cfg.OAuth2
	if o == nil {
		return nil
	}
	if o.IntrospectionURL == "" || strings.ContainsAny(o.IntrospectionURL+o.UsernameAttribute+o.CAFile, "\n\r") {
		return fmt.Errorf("DovecotOAuth2: an IntrospectionURL on one line is needed, not %q", o.IntrospectionURL)
	}
	attr := o.UsernameAttribute
	if attr == "" {
		attr = "email"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `introspection_mode = post
introspection_url = %s
force_introspection = yes
username_attribute = %s
active_attribute = active
active_value = true
timeout_msecs = 5000
`, o.IntrospectionURL, attr)
	if o.CAFile != "" {
		fmt.Fprintf(&b, "tls_ca_cert_file = %s\n", o.CAFile)
	}
	if o.Debug {
		b.WriteString("debug = yes\n")
	}
	// The auth process reads it as the dovecot user; it holds the resource server's secret, which is a test's.
	return os.WriteFile(filepath.Join(d.Dir, oauth2ConfFile), []byte(b.String()), 0o644)
}

// authMechanisms is auth_mechanisms: the configured ones, and the token mechanisms when the instance takes
// tokens.
func (d *Dovecot) authMechanisms() []string {
	mechs := slices.Clone(d.cfg.Mechanisms)
	if d.cfg.OAuth2 != nil {
		for _, m := range dovecotOAuthMechanisms {
			if !slices.ContainsFunc(mechs, func(x string) bool { return strings.EqualFold(x, m) }) {
				mechs = append(mechs, m)
			}
		}
	}
	return mechs
}

// passdbs is the passdb section(s) of dovecot.conf. Without OAuth2 it is the passwd-file alone. With it, each
// passdb serves only its own mechanisms (passdb { mechanisms }): the passwd-file the password mechanisms, the
// oauth2 passdb the token mechanisms, so that no token is ever compared with a password and no password sent
// to the introspection endpoint.
func (d *Dovecot) passdbs() string {
	passwd := func(mechanisms string) string {
		return fmt.Sprintf("passdb {\n  driver = passwd-file\n%s  args = scheme=PLAIN username_format=%%u %s/passwd\n}\n",
			mechanisms, d.Dir)
	}
	if d.cfg.OAuth2 == nil {
		return passwd("")
	}
	var password []string
	for _, m := range d.authMechanisms() {
		if !slices.ContainsFunc(dovecotOAuthMechanisms, func(x string) bool { return strings.EqualFold(x, m) }) {
			password = append(password, strings.ToLower(m))
		}
	}
	var b strings.Builder
	if len(password) > 0 {
		b.WriteString(passwd("  mechanisms = " + strings.Join(password, " ") + "\n"))
	}
	fmt.Fprintf(&b, "passdb {\n  driver = oauth2\n  mechanisms = %s\n  args = %s/%s\n}\n",
		strings.ToLower(strings.Join(dovecotOAuthMechanisms, " ")), d.Dir, oauth2ConfFile)
	if d.cfg.OAuth2.Debug {
		b.WriteString("auth_debug = yes\n")
	}
	return b.String()
}
