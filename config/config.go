package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/scangate/gateway/internal/secret"
)

// Config is the whole of the gateway's settings.
type Config struct {
	Account     Account       `toml:"account"`
	OAuth       *OAuth        `toml:"oauth,omitempty"`
	Auth        Auth          `toml:"auth"`
	Device      Device        `toml:"device"`
	Mail        Mail          `toml:"mail"`
	Board       Board         `toml:"board"`
	Panel       Panel         `toml:"panel"`
	Spool       Spool         `toml:"spool"`
	AddressBook []Destination `toml:"addressbook"`
	// Relay, when present, opens the relay port: the office's network MFPs submit their own mail to the gateway,
	// which queues and sends it through the account like a scan.
	Relay *Relay `toml:"relay,omitempty"`
}

// Account is the mail account the gateway submits through.
type Account struct {
	// Server is host:port of the submission server, e.g. "smtp.office365.com:587".
	Server string `toml:"server"`
	// Security is "starttls" (port 587) or "tls" (implicit TLS, port 465).
	Security string `toml:"security"`
	User     string `toml:"user"`
	// Password is the account's password; PasswordFile, when set, names a file that holds it instead.
	Password     secret.Secret `toml:"password"`
	PasswordFile string        `toml:"password_file"`
	// From is the sender, e.g. "Front desk scanner <scanner@example.com>".
	From string `toml:"from"`
	// CAFile names a PEM file of certificate authorities to trust instead of the system's.
	CAFile string `toml:"ca_file"`
	// PinSHA256 is the SHA-256 fingerprint of the server's certificate, for a self-signed office server
	// ("AB:CD:..."). A certificate with this fingerprint is accepted without an authority.
	PinSHA256 string `toml:"pin_sha256"`
	// TokenFile names a file holding an OAuth 2.0 access token for XOAUTH2/OAUTHBEARER, minted and kept fresh
	// by something else; it is read before each session. An [oauth] section lets the gateway sign in itself.
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

// OAuth makes the account sign in with OAuth 2.0 (the device authorization grant, RFC 8628) and send with
// XOAUTH2 or OAUTHBEARER; Account.User is the mailbox that signs in. Package oauth owns the providers and
// their rules.
type OAuth struct {
	// Provider is "microsoft", "google" or "custom"; a preset fills the endpoints and scopes.
	Provider string `toml:"provider"`
	// ClientID is the application (client) id registered with the provider.
	ClientID string `toml:"client_id"`
	// ClientSecretFile names a file holding the client secret (Google's device flow wants one).
	ClientSecretFile string `toml:"client_secret_file,omitempty"`
	// Tenant is the Microsoft tenant (id or domain); empty means "organizations".
	Tenant string `toml:"tenant,omitempty"`
	// DeviceAuthURL and TokenURL are the endpoints of a custom provider.
	DeviceAuthURL string `toml:"device_auth_url,omitempty"`
	TokenURL      string `toml:"token_url,omitempty"`
	// Scopes replace the preset's scopes.
	Scopes []string `toml:"scopes,omitempty"`
	// Store is the file that keeps the tokens; empty means oauth.json in the spool directory.
	Store string `toml:"store,omitempty"`
}

// Auth tunes authentication.
type Auth struct {
	// Mechanisms overrides the SASL mechanism preference, best first (e.g. ["PLAIN"]).
	Mechanisms []string `toml:"mechanisms"`
	// PasswordTransition allows one PLAIN login over verified TLS when the server asks for a password
	// transition (reply 432).
	PasswordTransition bool `toml:"password_transition"`
}

// Device is the link to the fax/MFP machine.
type Device struct {
	// Name is how the panel calls the machine.
	Name string `toml:"name"`
	// Port is the serial device, e.g. "/dev/ttyUSB0".
	Port string `toml:"port"`
	// USB finds the serial port by its USB device instead, wherever the kernel puts it: "VID:PID" or
	// "VID:PID:SERIAL" in hex, e.g. "0403:6001". TCP reaches the machine through a network serial server in raw
	// TCP mode instead: "host:port". Set at most one of them; either takes the place of Port.
	USB  string `toml:"usb"`
	TCP  string `toml:"tcp"`
	Baud int    `toml:"baud"`
	// DataBits (5 to 8), Parity ("none", "even", "odd") and StopBits (1 or 2) complete the line settings.
	DataBits int    `toml:"data_bits"`
	Parity   string `toml:"parity"`
	StopBits int    `toml:"stop_bits"`
	// Flow is the flow control: "none", "rtscts" or "xonxoff". XON/XOFF suits zmodem only, which escapes those
	// bytes in its data (package device owns the names and the rule).
	Flow string `toml:"flow"`
	// Protocol is the file-transfer protocol: "zmodem" (the main path), "ymodem", "xmodem" or "xmodem-1k".
	Protocol string `toml:"protocol"`
	// Timeout is how long the line may stay silent during a transfer.
	Timeout Duration `toml:"timeout"`
	// Trigger is sent to the machine before each pull, for machines that start sending on a command
	// (e.g. "SEND\r"); empty sends nothing.
	Trigger string `toml:"trigger"`
}

// Mail shapes the message sent for each scan.
type Mail struct {
	// Subject is a template; see Placeholders.
	Subject string `toml:"subject"`
	// Body is the text above the attachment; same placeholders.
	Body string `toml:"body"`
}

// Board chooses the hardware profile and says how the panel of a real board is wired.
type Board struct {
	// Profile is "sim" (terminal panel), "none" (no panel), "rpi" (Raspberry Pi) or "beaglebone" (package
	// board owns the list and checks the board settings).
	Profile string `toml:"profile"`
	// I2CBus is the I2C bus of the LCD, by number ("1") or name ("/dev/i2c-1"); empty means the profile's
	// (rpi 1, beaglebone 2).
	I2CBus string `toml:"i2c_bus"`
	// LCDAddress is the I2C address of the LCD's backpack, e.g. 0x27; 0 tries 0x27, then 0x3F.
	LCDAddress int `toml:"lcd_address"`
	// Cols and Rows are the size of the LCD: 16x2 when 0, also 20x2, 20x4, 40x2.
	Cols int `toml:"cols"`
	Rows int `toml:"rows"`
	// KeyPins overrides the profile's key pins: key name (the panel's keys) to pin name as the board's GPIO
	// driver knows it, e.g. { send = "GPIO26" } on a Raspberry Pi or { ok = "P8_16" } on a BeagleBone. An
	// empty pin name takes the key away.
	KeyPins map[string]string `toml:"key_pins"`
	// LEDPins overrides the profile's LED pins the same way (the board's LEDs).
	LEDPins map[string]string `toml:"led_pins"`
	// Watchdog is the hardware watchdog device the rpi and beaglebone profiles keep alive while the gateway
	// is healthy; empty disables it.
	Watchdog string `toml:"watchdog"`
}

// Panel tunes the front panel.
type Panel struct {
	// PIN guards the settings on the panel (the panel's rule: 4 to 8 digits); empty means the panel's
	// default, 0000. Change it.
	PIN string `toml:"pin"`
}

// Spool says where jobs are kept, how much room they may take, and how failed deliveries are retried.
type Spool struct {
	Dir string `toml:"dir"`
	// MaxMB bounds the queue's size; MinFreeMB is the free space the storage card must keep.
	MaxMB     int `toml:"max_mb"`
	MinFreeMB int `toml:"min_free_mb"`
	// RetryFirst is the delay before the first retry of a temporary failure; each later one doubles up to
	// RetryMax; a job is retried for Lifetime after it was queued.
	RetryFirst Duration `toml:"retry_first"`
	RetryMax   Duration `toml:"retry_max"`
	Lifetime   Duration `toml:"lifetime"`
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

// DefaultPath is where the gateway looks for its settings when no -config is given.
const DefaultPath = "/etc/scangate/gateway.toml"

// Default returns the settings used when the file says nothing.
func Default() *Config {
	return &Config{
		Account: Account{Security: "starttls"},
		Auth:    Auth{PasswordTransition: true},
		Device: Device{
			Name:     "MFP",
			Port:     "/dev/ttyUSB0",
			Baud:     115200,
			DataBits: 8,
			Parity:   "none",
			StopBits: 1,
			Flow:     "none",
			Protocol: "zmodem",
			Timeout:  Duration{60 * time.Second},
		},
		Mail: Mail{
			Subject: "Scan from {device} {date} {time} ({pages} pages)",
			Body:    "The attached PDF holds {pages} scanned pages from {device}, sent to {dest} on {date} at {time}.\n",
		},
		Board: Board{Profile: "none", Watchdog: "/dev/watchdog"},
		Spool: Spool{
			Dir:        "/var/spool/scangate",
			MaxMB:      256,
			MinFreeMB:  32,
			RetryFirst: Duration{time.Minute},
			RetryMax:   Duration{time.Hour},
			Lifetime:   Duration{72 * time.Hour},
		},
	}
}

// Load reads the TOML file at path over the defaults. Unknown keys are an error, and so is a file that
// holds the password itself and that every user of the machine can read.
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
	if c.Account.Password != "" {
		// Group read is fine: a packaged config is root:scangate 0640.
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := privateFile("account.password", path, st.Mode(), 0o004); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Bad records one problem of the settings: the setting's key as the file writes it ("device.flow") and what is
// wrong with it.
type Bad func(key, format string, args ...any)

// Check is a check of the settings that a part of the gateway owns: the names and rules of what it
// implements (protocols, mechanisms, board profiles), which this package does not copy. It reports each
// problem through bad.
type Check func(c *Config, bad Bad)

// Validate checks the settings that every command needs, then those of checks, and reports every problem at
// once, each naming its setting. account says whether the mail account must be complete (commands that send
// mail) or may be left empty (convert, pull).
func (c *Config) Validate(account bool, checks ...Check) error {
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
		switch {
		case c.OAuth != nil:
			if a.User == "" {
				bad("account.user", "missing: the mailbox that signs in with [oauth]")
			}
			if a.Password != "" || a.PasswordFile != "" || a.TokenFile != "" {
				bad("account.password", "not used: the account signs in with [oauth]; remove password, password_file and token_file")
			}
		case a.User != "" && a.Password == "" && a.PasswordFile == "" && a.TokenFile == "":
			bad("account.password", "missing for user %q (set password, password_file or token_file, or sign in with [oauth])", a.User)
		case a.TokenFile != "" && a.User == "":
			bad("account.user", "missing: an OAuth token is sent with the user's address")
		}
		if (a.ClientCert == "") != (a.ClientKey == "") {
			bad("account.client_cert", "client_cert and client_key go together")
		}
		if a.PinSHA256 != "" && !validFingerprint(a.PinSHA256) {
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
	sp := c.Spool
	if sp.Dir == "" {
		bad("spool.dir", "missing")
	}
	if sp.MaxMB < 1 {
		bad("spool.max_mb", "must be at least 1")
	}
	if sp.MinFreeMB < 0 {
		bad("spool.min_free_mb", "must not be negative")
	}
	if sp.RetryFirst.Duration <= 0 || sp.RetryMax.Duration < sp.RetryFirst.Duration || sp.Lifetime.Duration < sp.RetryFirst.Duration {
		bad("spool.retry_first", "retry_first must be positive, and retry_max and lifetime at least as long")
	}
	if c.Device.Timeout.Duration <= 0 {
		bad("device.timeout", "must be positive")
	}
	if c.Device.Baud < 50 || c.Device.Baud > 4000000 {
		bad("device.baud", "%d out of range", c.Device.Baud)
	}
	c.Device.validate(bad)
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
	if c.Relay != nil {
		c.Relay.validate(bad)
	}
	for _, check := range checks {
		check(c, bad)
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// validate checks the line settings and the choice of link; zero values stand for 8N1 without flow control.
func (d Device) validate(bad func(key, format string, args ...any)) {
	if d.USB != "" && d.TCP != "" {
		bad("device.usb", "set either usb or tcp, not both")
	}
	if d.TCP != "" {
		if host, port, err := net.SplitHostPort(d.TCP); err != nil || host == "" {
			bad("device.tcp", "%q is not host:port", d.TCP)
		} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			bad("device.tcp", "port %q out of range 1-65535", port)
		}
	}
	if d.DataBits != 0 && (d.DataBits < 5 || d.DataBits > 8) {
		bad("device.data_bits", "%d is not 5 to 8", d.DataBits)
	}
	if p := strings.ToLower(d.Parity); p != "" && p != "none" && p != "even" && p != "odd" {
		bad("device.parity", "%q is not none, even or odd", d.Parity)
	}
	if d.StopBits != 0 && d.StopBits != 1 && d.StopBits != 2 {
		bad("device.stop_bits", "%d is not 1 or 2", d.StopBits)
	}
}

func validFingerprint(s string) bool {
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
// dropped; see ReadSecretFile for what the file must be).
func (a *Account) PasswordValue() (secret.Secret, error) {
	if a.PasswordFile == "" {
		return a.Password, nil
	}
	b, err := ReadSecretFile("account.password_file", a.PasswordFile)
	if err != nil {
		return "", err
	}
	return secret.Secret(strings.TrimSuffix(strings.TrimSuffix(b, "\n"), "\r")), nil
}

// TokenValue returns the OAuth access token from TokenFile, or "" when none is configured.
func (a *Account) TokenValue() (secret.Secret, error) {
	if a.TokenFile == "" {
		return "", nil
	}
	b, err := ReadSecretFile("account.token_file", a.TokenFile)
	if err != nil {
		return "", err
	}
	return secret.Secret(strings.TrimSpace(b)), nil
}

// MaxSecretFile bounds a password or token file: a secret is short, and a path that names something else
// (/dev/zero, a log file) must not fill the memory of a small board.
const MaxSecretFile = 4 << 10

// ReadSecretFile reads a file that holds a password or a token, for the setting key. It must be a regular
// file (a FIFO would block the gateway), readable by its owner only (chmod 600: anyone else who can read it
// has the secret), at most MaxSecretFile bytes and not empty.
func ReadSecretFile(key, path string) (string, error) {
	// Stat before opening: opening a FIFO waits for a writer.
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("config: %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("config: %s: %s is not a regular file", key, path)
	}
	if err := privateFile(key, path, st.Mode(), 0o077); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("config: %s: %w", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("config: %s: %w", key, err)
	}
	switch {
	case len(b) > MaxSecretFile:
		return "", fmt.Errorf("config: %s: %s is larger than %d bytes: it does not look like a secret", key, path, MaxSecretFile)
	case len(strings.TrimSpace(string(b))) == 0:
		return "", fmt.Errorf("config: %s: %s is empty", key, path)
	}
	return string(b), nil
}

// ErrExposed is wrapped by the errors about a file that holds a secret and that other users can read.
var ErrExposed = errors.New("readable by other users")

// privateFile refuses a file holding a secret whose permission bits mode has any of the bits in forbidden.
func privateFile(key, path string, mode os.FileMode, forbidden os.FileMode) error {
	if mode.Perm()&forbidden == 0 {
		return nil
	}
	return fmt.Errorf("config: %s: %s is %w (mode %04o): run chmod 600 %s", key, path, ErrExposed, mode.Perm(), path)
}
