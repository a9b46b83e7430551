package board

import (
	"errors"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/scangate/gateway/board/hd44780"
	"github.com/scangate/gateway/panel"
)

// problems returns the messages of the errors Validate joined.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Validate returned %T, not joined errors", err)
	}
	var out []string
	for _, e := range joined.Unwrap() {
		var se *SettingError
		if !errors.As(e, &se) {
			t.Fatalf("%v is a %T, not a *SettingError", e, e)
		}
		out = append(out, se.Error())
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		opts    Options
		want    []string
	}{
		{"rpi defaults", "rpi", Options{}, nil},
		{"sizes", "none", Options{Cols: 40, Rows: 2}, nil},
		{"20x4", "sim", Options{Cols: 20, Rows: 4}, nil},
		{"address range", "rpi", Options{LCDAddress: 0x08}, nil},
		{"address range end", "rpi", Options{LCDAddress: 0x77}, nil},
		{"keys and lights moved, one taken away", "rpi", Options{
			KeyPins: map[string]string{"ok": "GPIO16", " UP ": "GPIO4", "stop": ""},
			LEDPins: map[string]string{"Ready": "GPIO26"},
		}, nil},
		{"two keys swap pins", "beaglebone", Options{KeyPins: map[string]string{"up": "P8_8", "down": "P8_7"}}, nil},
		{"profile", "pi", Options{}, []string{`board.profile: "pi" is not one of sim, none, rpi, beaglebone`}},
		{"profile case", "SIM", Options{}, []string{`board.profile: "SIM" is not one of sim, none, rpi, beaglebone`}},
		{"rows", "rpi", Options{Rows: 3}, []string{
			"board.cols: 16x3 is not an LCD size the panel supports (2 rows of 16 to 40 columns, or 4 rows of 16 to 20)"}},
		{"too narrow for the panel", "none", Options{Cols: 8}, []string{
			"board.cols: 8x2 is not an LCD size the panel supports (2 rows of 16 to 40 columns, or 4 rows of 16 to 20)"}},
		{"too wide for 4 rows", "sim", Options{Cols: 40, Rows: 4}, []string{
			"board.cols: 40x4 is not an LCD size the panel supports (2 rows of 16 to 40 columns, or 4 rows of 16 to 20)"}},
		{"negative", "none", Options{Cols: -1}, []string{
			"board.cols: -1x2 is not an LCD size the panel supports (2 rows of 16 to 40 columns, or 4 rows of 16 to 20)"}},
		{"address", "rpi", Options{LCDAddress: 0x78}, []string{
			"board.lcd_address: 0x78 is not a 7-bit I2C address (backpacks answer at 0x20-0x27 or 0x38-0x3F)"}},
		{"reserved address", "rpi", Options{LCDAddress: 0x07}, []string{
			"board.lcd_address: 0x7 is not a 7-bit I2C address (backpacks answer at 0x20-0x27 or 0x38-0x3F)"}},
		{"unknown key", "rpi", Options{KeyPins: map[string]string{"enter": "GPIO4"}}, []string{
			`board.key_pins: unknown name "enter" (valid: up, down, left, right, ok, back, send, stop)`}},
		{"unknown light", "sim", Options{LEDPins: map[string]string{"power": "GPIO4"}}, []string{
			`board.led_pins: unknown name "power" (valid: ready, sending, error)`}},
		{"pin name with a space", "rpi", Options{KeyPins: map[string]string{"up": "GPIO 4"}}, []string{
			`board.key_pins.up: "GPIO 4" is not a pin name`}},
		{"pin given twice", "rpi", Options{
			KeyPins: map[string]string{"ok": "GPIO4"}, LEDPins: map[string]string{"error": "gpio4"},
		}, []string{"board.led_pins.error: pin gpio4 is given to ok too"}},
		{"pin given twice on sim", "sim", Options{KeyPins: map[string]string{"up": "GPIO4", "down": "GPIO4"}}, []string{
			"board.key_pins.up: pin GPIO4 is given to down too"}},
		{"key name given twice", "rpi", Options{KeyPins: map[string]string{"up": "GPIO4", " UP ": "GPIO26"}}, []string{
			`board.key_pins.up: "up" names the same key as " UP "`}},
		{"light name given twice", "none", Options{LEDPins: map[string]string{"ready": "", "READY": ""}}, []string{
			`board.led_pins.ready: "ready" names the same light as "READY"`}},
		{"key on a light's pin", "rpi", Options{KeyPins: map[string]string{"ok": "GPIO16"}}, []string{
			"board.key_pins.ok: pin GPIO16 is given to ready too (the rpi profile's pin for it)"}},
		{"light on a key's pin", "beaglebone", Options{LEDPins: map[string]string{"error": "p8_7"}}, []string{
			"board.led_pins.error: pin p8_7 is given to up too (the beaglebone profile's pin for it)"}},
		{"other profiles have no pins of their own", "sim", Options{KeyPins: map[string]string{"ok": "GPIO16"}}, nil},
		{"no keys left", "rpi", Options{KeyPins: map[string]string{
			"up": "", "down": "", "left": "", "right": "", "ok": "", "back": "", "send": "", "stop": "",
		}}, []string{"board.key_pins: no keys left: the rpi profile needs at least one key"}},
		{"no keys on none", "none", Options{KeyPins: map[string]string{
			"up": "", "down": "", "left": "", "right": "", "ok": "", "back": "", "send": "", "stop": "",
		}}, nil},
		{"watchdog", "rpi", Options{Watchdog: "watchdog"}, []string{
			`board.watchdog: "watchdog" is not an absolute path (e.g. /dev/watchdog; empty disables it)`}},
		{"everything at once, in order", "pi", Options{
			Cols: 16, Rows: 1, LCDAddress: 0x80, Watchdog: "dev/watchdog",
			KeyPins: map[string]string{"menu": "GPIO4", "ok": "GPIO4 "},
			LEDPins: map[string]string{"power": "", "sending": "GPIO4"},
		}, []string{
			`board.profile: "pi" is not one of sim, none, rpi, beaglebone`,
			"board.cols: 16x1 is not an LCD size the panel supports (2 rows of 16 to 40 columns, or 4 rows of 16 to 20)",
			"board.lcd_address: 0x80 is not a 7-bit I2C address (backpacks answer at 0x20-0x27 or 0x38-0x3F)",
			`board.key_pins: unknown name "menu" (valid: up, down, left, right, ok, back, send, stop)`,
			`board.led_pins: unknown name "power" (valid: ready, sending, error)`,
			"board.led_pins.sending: pin GPIO4 is given to ok too",
			`board.watchdog: "dev/watchdog" is not an absolute path (e.g. /dev/watchdog; empty disables it)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate(tt.profile)
			if got := problems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("Validate(%q) =\n%q\nwant\n%q", tt.profile, got, tt.want)
			}
			if tt.want != nil || tt.profile != "rpi" {
				return
			}
			// What Validate accepts, Open can open.
			synctest.Test(t, func(t *testing.T) {
				m := newMachine("rpi", []string{"GPIO4", "GPIO5", "GPIO26"}, newBus("1", hd44780.AddrPCF8574))
				b, err := open("rpi", tt.opts, m)
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				b.Close()
			})
		})
	}
}

// TestLCDSizes checks that the sizes Validate accepts are those its
// message names.
func TestLCDSizes(t *testing.T) {
	for rows := -1; rows <= 5; rows++ {
		for cols := -1; cols <= 50; cols++ {
			want := rows == 2 && cols >= 16 && cols <= 40 || rows == 4 && cols >= 16 && cols <= 20
			if got := lcdSizeOK(cols, rows); got != want {
				t.Errorf("lcdSizeOK(%d, %d) = %v", cols, rows, got)
			}
		}
	}
}

func TestValidateErrorsIs(t *testing.T) {
	err := Options{KeyPins: map[string]string{"enter": ""}}.Validate("pi")
	if !errors.Is(err, ErrUnknownProfile) || !errors.Is(err, panel.ErrUnknownKey) {
		t.Errorf("Validate = %v; want it to wrap ErrUnknownProfile and panel.ErrUnknownKey", err)
	}
	var se *SettingError
	if !errors.As(err, &se) || se.Setting != "board.profile" || se.Problem != `"pi" is not one of sim, none, rpi, beaglebone` {
		t.Errorf("first error %+v", se)
	}
}

// TestKeyNames checks that the key names are panel's, all of them.
func TestKeyNames(t *testing.T) {
	names := keyNames()
	var want []string
	for k := panel.KeyUp; k <= panel.KeyStop; k++ {
		want = append(want, k.String())
	}
	if !slices.Equal(names, want) {
		t.Errorf("keyNames() = %v, want %v", names, want)
	}
	if _, err := panel.ParseKey((panel.KeyStop + 1).String()); err == nil {
		t.Errorf("panel has a key after stop: %v", panel.KeyStop+1)
	}
}
