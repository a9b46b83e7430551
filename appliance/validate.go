package appliance

import (
	"errors"
	"slices"
	"strings"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/oauth"
	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/submit"
)

// Validate checks settings before anything is opened: config's own checks, and the names and rules owned by
// the parts of the core (the machine's protocols and flow control, the SASL mechanisms, the security modes),
// then more, the checks of an edge. account says whether the mail account must be complete (commands that send
// mail). Every problem is reported at once, each naming its setting.
func Validate(cfg *config.Config, account bool, more ...config.Check) error {
	checks := []config.Check{checkDevice, checkAuth}
	if account {
		checks = append(checks, checkSecurity, oauth.Check)
	}
	return cfg.Validate(account, append(checks, more...)...)
}

// checkDevice applies the device package's rules: a protocol it implements, a flow control it knows, the two
// together, and a USB identity it can look for.
func checkDevice(c *config.Config, bad config.Bad) {
	d := c.Device
	if err := device.CheckLink(d.Protocol, d.Flow); err != nil {
		key := "device.flow"
		if errors.Is(err, device.ErrUnknownProtocol) {
			key = "device.protocol"
		}
		bad(key, "%s", strings.TrimPrefix(err.Error(), "device: "))
	}
	if d.USB != "" {
		if _, err := device.ParseUSBID(d.USB); err != nil {
			bad("device.usb", "%s", strings.TrimPrefix(err.Error(), "device: "))
		}
	}
}

// checkAuth applies the SASL engine's list of mechanisms.
func checkAuth(c *config.Config, bad config.Bad) {
	known := smtpauth.Mechanisms()
	for _, m := range c.Auth.Mechanisms {
		if !slices.Contains(known, strings.ToUpper(m)) {
			bad("auth.mechanisms", "unknown mechanism %q (known: %s)", m, strings.Join(known, ", "))
		}
	}
}

// checkSecurity applies the session's security modes.
func checkSecurity(c *config.Config, bad config.Bad) {
	if _, err := submit.ParseSecurity(c.Account.Security); err != nil {
		bad("account.security", "%q is neither starttls nor tls", c.Account.Security)
	}
}
