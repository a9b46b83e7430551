package board_test

import (
	"errors"
	"fmt"

	"github.com/scangate/gateway/board"
)

// Validate names every problem by its setting; the settings file's checks
// pass its errors on as they are.
func ExampleOptions_Validate() {
	opts := board.Options{
		LCDAddress: 0x99,
		KeyPins:    map[string]string{"ok": "GPIO16"}, // the Ready LED's pin on a Raspberry Pi
	}
	err := opts.Validate("rpi")
	fmt.Println(err)
	var se *board.SettingError
	if errors.As(err, &se) {
		fmt.Println("first:", se.Setting)
	}
	// Output:
	// board.lcd_address: 0x99 is not a 7-bit I2C address (backpacks answer at 0x20-0x27 or 0x38-0x3F)
	// board.key_pins.ok: pin GPIO16 is given to ready too (the rpi profile's pin for it)
	// first: board.lcd_address
}
