package board

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scangate/gateway/board/hd44780"
	"github.com/scangate/gateway/panel"
)

// The settings Validate checks, as the gateway's settings file names them
// (its [board] table).
const (
	settingProfile    = "board.profile"
	settingSize       = "board.cols" // cols and rows are checked together
	settingLCDAddress = "board.lcd_address"
	settingKeyPins    = "board.key_pins"
	settingLEDPins    = "board.led_pins"
	settingWatchdog   = "board.watchdog"
)

// SettingError is a board setting that Validate refuses.
type SettingError struct {
	// Setting names the setting as the settings file does, e.g.
	// "board.lcd_address" or "board.key_pins.up".
	Setting string
	// Problem says what is wrong, e.g. `"pi" is not one of sim, none, rpi,
	// beaglebone`.
	Problem string
	// Err is the error behind the problem, for errors.Is: ErrUnknownProfile
	// for board.profile, panel.ErrUnknownKey for a name in board.key_pins;
	// nil otherwise.
	Err error
}

// Error returns "setting: problem", the form of the settings file's
// other errors.
func (e *SettingError) Error() string { return e.Setting + ": " + e.Problem }

// Unwrap returns Err.
func (e *SettingError) Unwrap() error { return e.Err }

// Validate checks a profile name and the options Open takes from the
// settings file, without opening anything:
//
//   - board.profile: the profile is one of Profiles;
//   - board.cols (and rows): the LCD size is one the panel and the LCD
//     driver support, 0 standing for DefaultCols or DefaultRows;
//   - board.lcd_address: 0, or a 7-bit I2C address;
//   - board.key_pins and board.led_pins: every name is a key (panel's
//     names) or a light (LEDNames), each named once, and every pin name is
//     one word;
//   - no pin is given twice, ignoring case: among the overrides, and on
//     rpi and beaglebone also against the profile's pins that stay, and at
//     least one key keeps a pin there;
//   - board.watchdog: empty or an absolute path.
//
// The checks apply to every profile: a mistake in the hardware settings
// shows even while the gateway runs on sim or none. Pin names are compared
// as written: that two different names are one pin only the board itself
// can tell, and Open does.
//
// Validate returns nil or the errors.Join of one *SettingError per
// problem, in the order above.
func (o Options) Validate(profile string) error {
	var errs []error
	bad := func(setting string, err error, format string, args ...any) {
		errs = append(errs, &SettingError{Setting: setting, Problem: fmt.Sprintf(format, args...), Err: err})
	}
	if !slices.Contains(profiles, profile) {
		bad(settingProfile, ErrUnknownProfile, "%q is not one of %s", profile, strings.Join(profiles, ", "))
	}
	cols, rows := cmp.Or(o.Cols, DefaultCols), cmp.Or(o.Rows, DefaultRows)
	if !lcdSizeOK(cols, rows) {
		bad(settingSize, nil, "%dx%d is not an LCD size the panel supports (2 rows of %d to 40 columns, or 4 rows of %d to 20)",
			cols, rows, panel.MinCols, panel.MinCols)
	}
	if a := o.LCDAddress; a != 0 && (a < minI2CAddr || a > maxI2CAddr) {
		bad(settingLCDAddress, nil, "%#x is not a 7-bit I2C address (backpacks answer at 0x20-0x27 or 0x38-0x3F)", a)
	}
	o.validatePins(profile, bad)
	if o.Watchdog != "" && !filepath.IsAbs(o.Watchdog) {
		bad(settingWatchdog, nil, "%q is not an absolute path (e.g. /dev/watchdog; empty disables it)", o.Watchdog)
	}
	return errors.Join(errs...)
}

// lcdSizeOK reports whether the panel can be laid out on a cols x rows LCD
// and the HD44780 driver can run one.
func lcdSizeOK(cols, rows int) bool {
	return cols >= panel.MinCols && rows >= panel.MinRows && hd44780.CheckSize(cols, rows) == nil
}

// pinTable is one of the two tables of pin overrides.
type pinTable struct {
	setting string
	pins    map[string]string
	what    string   // "key" or "light"
	names   []string // the valid names
	// index returns the key or light a name stands for.
	index func(name string) (int, bool)
	// unknown is wrapped by the error for a name that is neither.
	unknown error
}

// pinUser is a key or light that has a pin.
type pinUser struct {
	name    string // the override's name
	setting string // the override that gave the pin
	pin     string // as the override wrote it
}

// validatePins checks KeyPins and LEDPins for Validate.
func (o Options) validatePins(profile string, bad func(setting string, err error, format string, args ...any)) {
	tables := []pinTable{
		{settingKeyPins, o.KeyPins, "key", keyNames(), func(name string) (int, bool) {
			k, err := panel.ParseKey(name)
			return int(k), err == nil
		}, panel.ErrUnknownKey},
		{settingLEDPins, o.LEDPins, "light", ledNames, ledIndex, nil},
	}
	users := map[string]pinUser{}      // upper-case pin name -> who has it
	given := [2]map[int]string{{}, {}} // per table: key or light -> the override's name
	for ti, t := range tables {
		for _, name := range slices.Sorted(maps.Keys(t.pins)) {
			i, ok := t.index(name)
			if !ok {
				bad(t.setting, t.unknown, "unknown name %q (valid: %s)", name, strings.Join(t.names, ", "))
				continue
			}
			setting := t.setting + "." + name
			if other, ok := given[ti][i]; ok {
				bad(setting, nil, "%q names the same %s as %q", name, t.what, other)
				continue
			}
			given[ti][i] = name
			pin := strings.TrimSpace(t.pins[name])
			switch u := users[strings.ToUpper(pin)]; {
			case strings.ContainsAny(pin, " \t"):
				bad(setting, nil, "%q is not a pin name", pin)
			case pin == "":
			case u.name != "":
				bad(setting, nil, "pin %s is given to %s too", pin, u.name)
			default:
				users[strings.ToUpper(pin)] = pinUser{name: name, setting: setting, pin: pin}
			}
		}
	}
	w, ok := wirings[profile]
	if !ok {
		return
	}
	// The profile's own pins that stay must not be given to another key or
	// light as well.
	keyPins, ledPins := pinNames(w, o)
	taken := func(pin, user string) {
		if u := users[strings.ToUpper(pin)]; u.name != "" {
			bad(u.setting, nil, "pin %s is given to %s too (the %s profile's pin for it)", u.pin, user, profile)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keyPins)) {
		if _, ok := given[0][int(k)]; !ok {
			taken(keyPins[k], k.String())
		}
	}
	for i, pin := range ledPins {
		if _, ok := given[1][i]; !ok && pin != "" {
			taken(pin, ledNames[i])
		}
	}
	if len(keyPins) == 0 {
		bad(settingKeyPins, nil, "no keys left: the %s profile needs at least one key", profile)
	}
}
