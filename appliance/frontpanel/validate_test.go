package frontpanel

import (
	"strings"
	"testing"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/internal/secret"
)

// One Validate: config's checks and those of the parts that own a name or a rule, each problem naming its
// setting, before anything is opened.
func TestValidateUsesTheOwners(t *testing.T) {
	valid := func() *config.Config {
		c := config.Default()
		c.Account = config.Account{Server: "smtp.example.com:587", Security: "starttls", User: "scanner",
			Password: secret.Secret("pw"), From: "scanner@example.com"}
		return c
	}
	if err := Validate(valid(), true); err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	for _, tt := range []struct {
		edit func(*config.Config)
		want string
	}{
		// The device layer's protocols and flow controls (an unknown protocol used to pass until the first Send).
		{func(c *config.Config) { c.Device.Protocol = "zmodme" }, `device.protocol: unknown protocol "zmodme" (known: xmodem, xmodem-1k, ymodem, zmodem)`},
		{func(c *config.Config) { c.Device.Flow = "hardware" }, `device.flow: invalid serial configuration: unknown flow control "hardware"`},
		{func(c *config.Config) { c.Device.Flow, c.Device.Protocol = "xonxoff", "ymodem" }, "device.flow: flow control and protocol do not go together: xonxoff would swallow the XON/XOFF bytes inside ymodem blocks"},
		{func(c *config.Config) { c.Device.USB = "FTDI" }, "device.usb: "},
		// The SASL engine's mechanisms and the session's security modes.
		{func(c *config.Config) { c.Auth.Mechanisms = []string{"PLAIN", "KERBEROS"} }, `auth.mechanisms: unknown mechanism "KERBEROS" (known: EXTERNAL,`},
		{func(c *config.Config) { c.Account.Security = "none" }, `account.security: "none" is neither starttls nor tls`},
		// The board's profiles, display and pins, and the panel's PIN.
		{func(c *config.Config) { c.Board.Profile = "pi" }, `board.profile: "pi" is not one of`},
		{func(c *config.Config) { c.Board.Rows = 3 }, "16x3 is not an LCD size the panel supports"},
		{func(c *config.Config) { c.Board.LCDAddress = 0x78 }, "board.lcd_address: 0x78 is not a 7-bit I2C address"},
		{func(c *config.Config) { c.Board.KeyPins = map[string]string{"enter": "GPIO4"} }, `board.key_pins`},
		{func(c *config.Config) { c.Board.LEDPins = map[string]string{"power": "GPIO4"} }, `board.led_pins`},
		{func(c *config.Config) { c.Board.Watchdog = "watchdog" }, `board.watchdog: "watchdog" is not an absolute path`},
		{func(c *config.Config) { c.Panel.PIN = "12" }, "panel.pin: must be 4 to 8 digits"},
	} {
		c := valid()
		tt.edit(c)
		err := Validate(c, true)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate = %v\nwant %q", err, tt.want)
		}
	}
	// The core checks what it uses; the board and the PIN are the panel's business.
	c := valid()
	c.Panel.PIN, c.Device.Protocol = "12", "zmodme"
	if err := appliance.Validate(c, true); err == nil || strings.Contains(err.Error(), "panel.pin") || !strings.Contains(err.Error(), "device.protocol") {
		t.Errorf("appliance.Validate = %v", err)
	}
	// An empty PIN is the panel's default, and every protocol the device layer knows can be set.
	c = valid()
	c.Panel.PIN, c.Device.Protocol = "", "xmodem-1k"
	if err := Validate(c, true); err != nil {
		t.Errorf("default PIN, xmodem-1k: %v", err)
	}
}
