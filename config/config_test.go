package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const example = `
[account]
server = "smtp.example.com:587"
security = "starttls"
user = "scanner@example.com"
password = "hunter2"
from = "Front desk <scanner@example.com>"

[device]
name = "UF-9000"
port = "/dev/ttyUSB1"
timeout = "90s"

[[addressbook]]
name = "Sales"
address = "sales@example.com"
`

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gateway.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	c, err := Load(write(t, example))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(true); err != nil {
		t.Fatal(err)
	}
	if c.Device.Timeout.Duration != 90*time.Second || c.Device.Baud != 115200 || c.Device.Name != "UF-9000" {
		t.Errorf("device = %+v", c.Device)
	}
	if c.Account.Password.Reveal() != "hunter2" || len(c.AddressBook) != 1 {
		t.Errorf("account %+v, book %v", c.Account, c.AddressBook)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"[account]\nsevrer = \"x\"\n", "unknown setting account.sevrer"},
		{"[account\n", "to end table name"},
		{"[device]\ntimeout = \"soon\"\n", "soon"},
	} {
		_, err := Load(write(t, tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%q) = %v, want %q", tt.text, err, tt.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Account.Server = "" }, "account.server: missing"},
		{func(c *Config) { c.Account.Server = "smtp.example.com" }, "is not host:port"},
		{func(c *Config) { c.Account.Server = "smtp.example.com:99999" }, "out of range"},
		{func(c *Config) { c.Account.Security = "none" }, "account.security"},
		{func(c *Config) { c.Account.Password = "" }, "account.password: missing"},
		{func(c *Config) { c.Account.PasswordFile = "/x" }, "not both"},
		{func(c *Config) { c.Account.From = "nobody" }, "account.from"},
		{func(c *Config) { c.Mail.Subject = "Scan {pgaes}" }, "unknown placeholder {pgaes}"},
		{func(c *Config) { c.AddressBook[0].Address = "sales" }, "addressbook[0].address"},
		{func(c *Config) { c.Device.Baud = 0 }, "device.baud"},
		{func(c *Config) { c.Auth.Mechanisms = []string{"PLAIN", "KERBEROS"} }, "unknown mechanism \"KERBEROS\""},
		{func(c *Config) { c.Account.PinSHA256 = "AB:CD" }, "account.pin_sha256"},
		{func(c *Config) { c.Account.ClientCert = "/c.pem" }, "go together"},
		{func(c *Config) { c.Account.User, c.Account.TokenFile = "", "/t" }, "account.user: missing"},
	} {
		c, err := Load(write(t, example))
		if err != nil {
			t.Fatal(err)
		}
		tt.edit(c)
		err = c.Validate(true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate = %v, want %q", err, tt.want)
		}
	}
	// Commands that send nothing don't need the account.
	if err := Default().Validate(false); err != nil {
		t.Errorf("defaults without account: %v", err)
	}
}

func TestPasswordFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(p, []byte("s3cret\n"), 0o600)
	a := Account{PasswordFile: p}
	if s, err := a.PasswordValue(); err != nil || s.Reveal() != "s3cret" {
		t.Fatalf("PasswordValue = %q, %v", s.Reveal(), err)
	}
	a.PasswordFile = filepath.Join(t.TempDir(), "none")
	if _, err := a.PasswordValue(); err == nil {
		t.Fatal("missing password file accepted")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := Default()
	c.Account.Password = "hunter2"
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "password", c.Account.Password, "account", c.Account)
	for _, s := range []string{
		fmt.Sprint(c.Account.Password), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c.Account.Password, c.Account.Password, c.Account.Password),
		logged.String(),
	} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "68756e74657232") {
			t.Errorf("secret leaked: %s", s)
		}
	}
}

func TestExpand(t *testing.T) {
	got, err := Expand("Scan from {device} ({pages} pages)", map[string]string{"device": "UF-9000", "pages": "3"})
	if err != nil || got != "Scan from UF-9000 (3 pages)" {
		t.Errorf("Expand = %q, %v", got, err)
	}
	for _, bad := range []string{"{x}", "{pages", "pages}", "a}b{pages}"} {
		if err := CheckTemplate(bad); err == nil {
			t.Errorf("CheckTemplate(%q) accepted", bad)
		}
	}
}
