package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
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
		{func(c *Config) { c.Account.Password = "" }, "account.password: missing"},
		{func(c *Config) { c.Account.PasswordFile = "/x" }, "not both"},
		{func(c *Config) { c.Account.From = "nobody" }, "account.from"},
		{func(c *Config) { c.Mail.Subject = "Scan {pgaes}" }, "unknown placeholder {pgaes}"},
		{func(c *Config) { c.AddressBook[0].Address = "sales" }, "addressbook[0].address"},
		{func(c *Config) { c.Device.Baud = 0 }, "device.baud"},
		{func(c *Config) { c.Device.USB, c.Device.TCP = "0403:6001", "ser2net:4001" }, "set either usb or tcp"},
		{func(c *Config) { c.Device.TCP = "ser2net" }, "device.tcp: \"ser2net\" is not host:port"},
		{func(c *Config) { c.Device.TCP = "ser2net:0" }, "device.tcp: port \"0\" out of range"},
		{func(c *Config) { c.Device.DataBits = 9 }, "device.data_bits"},
		{func(c *Config) { c.Device.Parity = "mark" }, "device.parity"},
		{func(c *Config) { c.Device.StopBits = 3 }, "device.stop_bits"},
		{func(c *Config) { c.Spool.RetryMax = Duration{time.Second} }, "spool.retry_first"},
		{func(c *Config) { c.Spool.MaxMB = 0 }, "spool.max_mb"},
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
	// The checks of the parts that own a setting join config's own, in one error.
	check := func(c *Config, bad Bad) { bad("device.protocol", "%q is unknown", c.Device.Protocol) }
	c := Default()
	c.Spool.MaxMB = 0
	err := c.Validate(false, check)
	if err == nil || !strings.Contains(err.Error(), "spool.max_mb") || !strings.Contains(err.Error(), `device.protocol: "zmodem" is unknown`) {
		t.Errorf("Validate with an owner's check = %v", err)
	}
}

func TestDeviceSettings(t *testing.T) {
	c, err := Load(write(t, `
[device]
usb = "0403:6001:A10KZP4Q"
flow = "xonxoff"
protocol = "zmodem"
data_bits = 7
parity = "even"
stop_bits = 2
trigger = "SEND\r"
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(false); err != nil {
		t.Fatal(err)
	}
	d := c.Device
	if d.USB != "0403:6001:A10KZP4Q" || d.Flow != "xonxoff" || d.DataBits != 7 || d.Parity != "even" || d.StopBits != 2 || d.Trigger != "SEND\r" {
		t.Errorf("device = %+v", d)
	}
	// Settings that leave the line settings out mean 8N1 without flow control.
	var zero Device
	zero.validate(func(key, format string, args ...any) {
		t.Errorf("zero device: %s: "+format, append([]any{key}, args...)...)
	})
}

func TestBoardSettings(t *testing.T) {
	c, err := Load(write(t, `
[board]
profile = "rpi"
i2c_bus = "3"
lcd_address = 0x3F
cols = 20
rows = 4
key_pins = { send = "GPIO26", Stop = " " }
led_pins = { error = "GPIO12" }
watchdog = ""
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(false); err != nil {
		t.Fatal(err)
	}
	b := c.Board
	if b.Profile != "rpi" || b.I2CBus != "3" || b.LCDAddress != 0x3f || b.Cols != 20 || b.Rows != 4 ||
		b.KeyPins["send"] != "GPIO26" || b.KeyPins["Stop"] != " " || b.LEDPins["error"] != "GPIO12" || b.Watchdog != "" {
		t.Errorf("board = %+v", b)
	}
	if d := Default().Board; d.Profile != "none" || d.Watchdog != "/dev/watchdog" || d.Cols != 0 || d.LCDAddress != 0 {
		t.Errorf("default board = %+v", d)
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

func TestSaveAndLoad(t *testing.T) {
	path := write(t, example)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c.AddressBook = append(c.AddressBook, Destination{Name: "Müller", Address: "mueller@example.com"})
	c.Account.Password = "new-secret"
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AddressBook) != 2 || got.AddressBook[1].Name != "Müller" || got.Account.Password.Reveal() != "new-secret" ||
		got.Device.Timeout != c.Device.Timeout || got.Spool != c.Spool {
		t.Fatalf("saved and loaded %+v", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v: the file holds the password", st.Mode())
	}
}

// A panel save keeps the [oauth] section as it was, and a file without one gets none.
func TestSaveKeepsOAuth(t *testing.T) {
	path := write(t, example+`
[oauth]
provider = "microsoft"
client_id = "0000-1111"
tenant = "contoso.onmicrosoft.com"
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.OAuth == nil || !reflect.DeepEqual(*got.OAuth, OAuth{Provider: "microsoft", ClientID: "0000-1111", Tenant: "contoso.onmicrosoft.com"}) {
		t.Fatalf("[oauth] after a save: %+v", got.OAuth)
	}
	plain := write(t, example)
	c, _ = Load(plain)
	c.Save(plain)
	if b, _ := os.ReadFile(plain); strings.Contains(string(b), "oauth") {
		t.Fatalf("a save added an [oauth] section:\n%s", b)
	}
}

// A power cut during a save, just before the rename: the old file is intact and no temporary file stays.
func TestSavePowerCut(t *testing.T) {
	path := write(t, example)
	before, _ := os.ReadFile(path)
	writeFile = func(path string, mode fs.FileMode, write func(*os.File) error) error {
		return atomicfile.WriteFile(path, mode, func(f *os.File) error {
			if err := write(f); err != nil {
				return err
			}
			return errors.New("power cut") // every byte written, not yet renamed
		})
	}
	defer func() { writeFile = atomicfile.WriteFile }()
	c, _ := Load(path)
	c.Account.Server = "other.example.com:587"
	if err := c.Save(path); err == nil {
		t.Fatal("Save reported success")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the old settings were damaged")
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("the old settings no longer load: %v", err)
	}
}

// Password and token files are read with care: bounded, regular files only, private, not empty.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode) // whatever the umask
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	for _, tt := range []struct {
		name, path, want string
	}{
		{"empty", write("empty", "", 0o600), "is empty"},
		{"newline only", write("nl", "\n", 0o600), "is empty"},
		{"device", "/dev/zero", "is not a regular file"},
		{"fifo", fifo, "is not a regular file"},
		{"too large", write("big", strings.Repeat("x", MaxSecretFile+1), 0o600), "larger than 4096 bytes"},
		{"group readable", write("group", "s3cret", 0o640), "readable by other users (mode 0640): run chmod 600"},
		{"world readable", write("world", "s3cret", 0o644), "readable by other users (mode 0644): run chmod 600"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				a := Account{PasswordFile: tt.path}
				_, err := a.PasswordValue()
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "config: account.password_file: ") {
					t.Errorf("got %v, want %q", err, tt.want)
				}
			case <-time.After(10 * time.Second): // a hang guard, not a speed check
				t.Fatal("reading the password file blocked")
			}
		})
	}
	a := Account{TokenFile: write("token", "  tok\n", 0o600)}
	if tok, err := a.TokenValue(); err != nil || tok.Reveal() != "tok" {
		t.Errorf("TokenValue = %q, %v", tok.Reveal(), err)
	}
	a.TokenFile = write("token-open", "tok", 0o604)
	if _, err := a.TokenValue(); !errors.Is(err, ErrExposed) || !strings.Contains(err.Error(), "account.token_file") {
		t.Errorf("TokenValue of an open file: %v", err)
	}
}

// A settings file that holds the password must not be readable by every user; group read stays allowed (the
// packaged file is root:scangate 0640).
func TestLoadRefusesWorldReadablePassword(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "gateway.toml")
	os.WriteFile(p, []byte("[account]\npassword = \"s3cret\"\n"), 0o600)
	for mode, ok := range map[os.FileMode]bool{0o600: true, 0o640: true, 0o644: false, 0o604: false} {
		os.Chmod(p, mode)
		_, err := Load(p)
		if ok != (err == nil) || !ok && (!errors.Is(err, ErrExposed) || !strings.Contains(err.Error(), "chmod 600 "+p)) {
			t.Errorf("mode %04o: %v", mode, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	os.WriteFile(p, []byte("[account]\npassword_file = \"/etc/scangate/password\"\n"), 0o644)
	if _, err := Load(p); err != nil {
		t.Errorf("a readable file without the password: %v", err)
	}
}
