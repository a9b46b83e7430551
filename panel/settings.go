package panel

import (
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/scangate/gateway/internal/secret"
)

// MaxBook is the largest address book the panel edits.
const MaxBook = 100

// DefaultPIN is the admin PIN while Config.PIN is empty.
const DefaultPIN = "0000"

// Lengths of a PIN, in digits.
const (
	MinPIN = 4
	MaxPIN = 8
)

// bauds are the line speeds the settings screens offer; a configured rate
// that is not among them is offered as well.
var bauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}

// Choices are the values the settings screens offer for the settings picked
// from a list. The packages that implement them own the lists (the mail
// session its security modes, the device layer its protocols and flow
// controls), and the appliance hands them on: the panel keeps no copy. A
// value that is not in its list cannot be saved; an empty list offers the
// value already set and nothing else. Rules between settings (XON/XOFF only
// with a protocol that escapes those bytes) are the owners' to check when
// the appliance saves.
type Choices struct {
	Securities []string
	Protocols  []string
	Flows      []string
}

// Settings is everything the admin can change on the panel. The panel edits
// a copy and hands the whole of it to the appliance with
// RequestSaveSettings; the appliance maps it to and from its configuration.
type Settings struct {
	Account Account
	// Book is the address book, at most MaxBook entries.
	Book   []Destination
	Device Device
	// PIN is the admin PIN, MinPIN to MaxPIN digits; empty means
	// DefaultPIN.
	PIN string
}

// Account is the mail account the gateway submits through.
type Account struct {
	// Server is the mail server's host name or address, without the port.
	Server string
	// Port is the server's TCP port, 1 to 65535.
	Port int
	// Security is "starttls" or "tls".
	Security string
	// User and Password log in; both may be empty. The password never shows: not on the screen (its field
	// shows stars), not when the settings are printed or logged.
	User     string
	Password secret.Secret
	// From is the sender's address, e.g. "scanner@example.com".
	From string
}

// Device is the serial link to the fax/MFP machine.
type Device struct {
	// Port is the serial device, e.g. "/dev/ttyUSB0".
	Port string
	// Baud is the line speed.
	Baud int
	// Protocol is "zmodem", "ymodem" or "xmodem".
	Protocol string
	// Flow is "none", "rtscts" or "xonxoff" (zmodem only).
	Flow string
}

// clone returns a copy of s that shares nothing with it.
func (s Settings) clone() Settings {
	s.Book = slices.Clone(s.Book)
	return s
}

// pin returns the PIN that unlocks the settings.
func (s Settings) pin() string {
	if s.PIN == "" {
		return DefaultPIN
	}
	return s.PIN
}

// problem is what is wrong with settings, in two short lines for the panel.
type problem struct{ what, where string }

// check returns the first problem of s that the panel can tell, or nil
// when s can go to the appliance to be saved.
func (s Settings) check(c Choices) *problem {
	offered := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	a := s.Account
	switch {
	case strings.TrimSpace(a.Server) == "":
		return &problem{"Missing", "Account server"}
	case strings.ContainsAny(a.Server, " /\\@"):
		return &problem{"Bad server name", "Account server"}
	case a.Port < 1 || a.Port > 65535:
		return &problem{"Port 1 to 65535", "Account port"}
	case a.Security == "" || !offered(c.Securities, a.Security):
		return &problem{"Pick security", "Account security"}
	case strings.TrimSpace(a.From) == "":
		return &problem{"Missing", "Account sender"}
	case !isAddress(a.From):
		return &problem{"Not an address", "Account sender"}
	case len(s.Book) > MaxBook:
		return &problem{"Max " + strconv.Itoa(MaxBook) + " entries", "Address book"}
	}
	for i, d := range s.Book {
		where := fmt.Sprintf("Book %d ", i+1)
		switch {
		case strings.TrimSpace(d.Name) == "":
			return &problem{"Missing", where + "name"}
		case strings.TrimSpace(d.Address) == "":
			return &problem{"Missing", where + "address"}
		case !isAddress(d.Address):
			return &problem{"Not an address", where + "address"}
		}
	}
	d := s.Device
	switch {
	case strings.TrimSpace(d.Port) == "":
		return &problem{"Missing", "Device port"}
	case d.Baud <= 0:
		return &problem{"Pick a speed", "Device baud"}
	case d.Protocol == "" || !offered(c.Protocols, d.Protocol):
		return &problem{"Pick a protocol", "Device protocol"}
	case d.Flow == "" || !offered(c.Flows, d.Flow):
		return &problem{"Pick a flow", "Device flow"}
	}
	return nil
}

// isAddress reports whether s is an e-mail address, optionally with a name
// ("Scanner <scanner@example.com>").
func isAddress(s string) bool {
	_, err := mail.ParseAddress(s)
	return err == nil
}

// ValidPIN reports whether s is MinPIN to MaxPIN ASCII digits: the rule of the admin PIN.
func ValidPIN(s string) bool {
	if len(s) < MinPIN || len(s) > MaxPIN {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
