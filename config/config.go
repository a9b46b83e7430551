package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is the whole of the gateway's settings.
type Config struct {
	Account     Account       `toml:"account"`
	Auth        Auth          `toml:"auth"`
	Device      Device        `toml:"device"`
	Mail        Mail          `toml:"mail"`
	Board       Board         `toml:"board"`
	Spool       Spool         `toml:"spool"`
	AddressBook []Destination `toml:"addressbook"`
}

// Account is the mail account the gateway submits through.
type Account struct {
	// Server is host:port of the submission server, e.g. "smtp.office365.com:587".
	Server string `toml:"server"`
	// Security is "starttls" (port 587) or "tls" (implicit TLS, port 465).
	Security string `toml:"security"`
	User     string `toml:"user"`
	// Password is the account's password; PasswordFile, when set, names a file that holds it instead.
	Password     Secret `toml:"password"`
	PasswordFile string `toml:"password_file"`
	// From is the sender, e.g. "Front desk scanner <scanner@example.com>".
	From string `toml:"from"`
	// CAFile names a PEM file of certificate authorities to trust instead of the system's.
	CAFile string `toml:"ca_file"`
	// PinSHA256 is the SHA-256 fingerprint of the server's certificate, for a self-signed office server
	// ("AB:CD:..."). A certificate with this fingerprint is accepted without an authority.
	PinSHA256 string `toml:"pin_sha256"`
	// TokenFile names a file holding an OAuth 2.0 access token for XOAUTH2/OAUTHBEARER (Microsoft 365).
	TokenFile string `toml:"token_file"`
	// ClientCert and ClientKey name PEM files of a TLS client certificate, for AUTH EXTERNAL.
	ClientCert string `toml:"client_cert"`
	ClientKey  string `toml:"client_key"`
	// HelloName is the name the gateway gives in EHLO; empty means "localhost".
	HelloName string `toml:"hello_name"`
	// AllowInsecureAuth lets credentials cross the network without verified TLS. For a lab only: the
	// gateway says so in its log every time it starts with it.
	AllowInsecureAuth bool `toml:"allow_insecure_auth"`
}

// Auth tunes authentication.
type Auth struct {
	// Mechanisms overrides the SASL mechanism preference, best first (e.g. ["PLAIN"]).
	Mechanisms []string `toml:"mechanisms"`
	// PasswordTransition allows one PLAIN login over verified TLS when the server asks for a password
	// transition (reply 432).
	PasswordTransition bool `toml:"password_transition"`
}

// Mechanisms lists the SASL mechanism names auth.mechanisms may hold.
var Mechanisms = []string{"EXTERNAL", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1",
	"OAUTHBEARER", "XOAUTH2", "CRAM-MD5", "PLAIN", "LOGIN"}

// Device is the link to the fax/MFP machine.
type Device struct {
	// Name is how the panel calls the machine.
	Name string `toml:"name"`
	// Port is the serial device, e.g. "/dev/ttyUSB0".
	Port string `toml:"port"`
	Baud int    `toml:"baud"`
	// Protocol is the file-transfer protocol: "ymodem".
	Protocol string `toml:"protocol"`
	// Timeout is how long the line may stay silent during a transfer.
	Timeout Duration `toml:"timeout"`
}

// Mail shapes the message sent for each scan.
type Mail struct {
	// Subject is a template; see Placeholders.
	Subject string `toml:"subject"`
	// Body is the text above the attachment; same placeholders.
	Body string `toml:"body"`
}

// Board chooses the hardware profile.
type Board struct {
	// Profile is "sim" (terminal panel) or "none" (no panel).
	Profile string `toml:"profile"`
}

// Spool says where jobs are kept.
type Spool struct {
	Dir string `toml:"dir"`
}

// Destination is one entry of the address book.
type Destination struct {
	Name    string `toml:"name"`
	Address string `toml:"address"`
}

// Duration is a time.Duration written as "90s" or "5m" in the file.
type Duration struct{ time.Duration }

// UnmarshalText reads "90s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes "1m30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the settings used when the file says nothing.
func Default() *Config {
	return &Config{
		Account: Account{Security: "starttls"},
		Auth:    Auth{PasswordTransition: true},
		Device: Device{
			Name:     "MFP",
			Port:     "/dev/ttyUSB0",
			Baud:     115200,
			Protocol: "ymodem",
			Timeout:  Duration{60 * time.Second},
		},
		Mail: Mail{
			Subject: "Scan from {device} {date} {time} ({pages} pages)",
			Body:    "The attached PDF holds {pages} scanned pages from {device}, sent to {dest} on {date} at {time}.\n",
		},
		Board: Board{Profile: "none"},
		Spool: Spool{Dir: "/var/spool/scangate"},
	}
}

// Load reads the TOML file at path over the defaults. Unknown keys are an error.
func Load(path string) (*Config, error) {
	c := Default()
	md, err := toml.DecodeFile(path, c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("config: %s: line %d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("config: %s: unknown setting %s", path, strings.Join(keys, ", "))
	}
	return c, nil
}

// Validate checks the settings that every command needs. account says whether the mail account must be
// complete (commands that send mail) or may be left empty (convert, pull).
func (c *Config) Validate(account bool) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if account {
		a := c.Account
		if a.Server == "" {
			bad("account.server", "missing (host:port of the mail server, e.g. smtp.example.com:587)")
		} else if host, port, err := net.SplitHostPort(a.Server); err != nil || host == "" {
			bad("account.server", "%q is not host:port", a.Server)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			bad("account.server", "port %q out of range 1-65535", port)
		}
		if a.Security != "starttls" && a.Security != "tls" {
			bad("account.security", "%q is neither starttls nor tls", a.Security)
		}
		if a.User != "" && a.Password == "" && a.PasswordFile == "" && a.TokenFile == "" {
			bad("account.password", "missing for user %q (set password, password_file or token_file)", a.User)
		}
		if a.TokenFile != "" && a.User == "" {
			bad("account.user", "missing: an OAuth token is sent with the user's address")
		}
		if (a.ClientCert == "") != (a.ClientKey == "") {
			bad("account.client_cert", "client_cert and client_key go together")
		}
		if a.PinSHA256 != "" && !validPin(a.PinSHA256) {
			bad("account.pin_sha256", "%q is not a SHA-256 fingerprint (64 hex digits, colons allowed)", a.PinSHA256)
		}
		if a.Password != "" && a.PasswordFile != "" {
			bad("account.password", "set either password or password_file, not both")
		}
		if a.From == "" {
			bad("account.from", "missing (the sender address, e.g. Scanner <scanner@example.com>)")
		} else if _, err := mail.ParseAddress(a.From); err != nil {
			bad("account.from", "%q is not an e-mail address", a.From)
		}
	}
	for _, m := range c.Auth.Mechanisms {
		if !slices.Contains(Mechanisms, strings.ToUpper(m)) {
			bad("auth.mechanisms", "unknown mechanism %q (known: %s)", m, strings.Join(Mechanisms, ", "))
		}
	}
	if c.Device.Timeout.Duration <= 0 {
		bad("device.timeout", "must be positive")
	}
	if c.Device.Baud < 50 || c.Device.Baud > 4000000 {
		bad("device.baud", "%d out of range", c.Device.Baud)
	}
	for _, t := range []struct{ key, s string }{{"mail.subject", c.Mail.Subject}, {"mail.body", c.Mail.Body}} {
		if err := CheckTemplate(t.s); err != nil {
			bad(t.key, "%v", err)
		}
	}
	for i, d := range c.AddressBook {
		key := fmt.Sprintf("addressbook[%d]", i)
		if d.Name == "" {
			bad(key+".name", "missing")
		}
		if _, err := mail.ParseAddress(d.Address); err != nil {
			bad(key+".address", "%q is not an e-mail address", d.Address)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

func validPin(s string) bool {
	h := strings.NewReplacer(":", "", " ", "").Replace(s)
	if len(h) != 64 {
		return false
	}
	for _, c := range strings.ToLower(h) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// PasswordValue returns the account's password, reading PasswordFile if it is set (one trailing newline is
// dropped).
func (a *Account) PasswordValue() (Secret, error) {
	if a.PasswordFile == "" {
		return a.Password, nil
	}
	b, err := os.ReadFile(a.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("config: account.password_file: %w", err)
	}
	return Secret(strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")), nil
}

// TokenValue returns the OAuth access token from TokenFile, or "" when none is configured.
func (a *Account) TokenValue() (Secret, error) {
	if a.TokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(a.TokenFile)
	if err != nil {
		return "", fmt.Errorf("config: account.token_file: %w", err)
	}
	return Secret(strings.TrimSpace(string(b))), nil
}
