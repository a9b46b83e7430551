// Package hd44780 drives an HD44780-class character LCD through a PCF8574
// I2C port expander (the common "I2C backpack", at address 0x27, or 0x3F
// for the PCF8574A), on periph's i2c.Bus.
//
// # The wire
//
// The expander's eight outputs drive the LCD's RS, RW, E, the backlight
// transistor and the data lines D4 to D7 (PinMap; DefaultPins is the usual
// wiring). The controller runs its 4-bit interface: every byte is sent as
// two nibbles, high first, each latched by E going high then low, so one
// byte is four expander bytes, written in one I2C transaction. When RS
// changes a fifth byte comes first and sets RS while E is still low. RW
// stays low: the driver never reads the busy flag; it lets the execution
// times of the datasheet pass before the next write instead, counting the
// time the bytes took on the bus (tests replace its clock).
//
// # Initialization
//
// Open performs the datasheet's initialization by instruction for the 4-bit
// interface (figure 24): all expander lines low, more than 40 ms, the
// nibble 0x3 three times (8-bit function set, with waits of more than
// 4.1 ms and 100 µs), the nibble 0x2 (to 4-bit), then Function Set 0x28
// (two lines, 5x8 dots), display off, clear, entry mode 0x06 (increment, no
// shift) and display on with the cursor off. That sequence brings the
// controller into 4-bit mode from any state, even half-way through a
// byte, so after an I2C error (a loose cable, a module plugged back in)
// the next call runs it again and restores the display mode and the custom
// characters; the caller redraws the text.
//
// # The screen
//
// LCD implements periph's display.TextDisplay with the controller's own
// cursor semantics, numbering rows and columns from 0: the cursor is the
// address counter, row r starts at address 0x40*(r%2) + Cols*(r/2)
// (0x00/0x40 on 16x2, 0x00/0x40/0x14/0x54 on 20x4), and writing past the
// end of a row runs on into hidden memory or another row exactly as on the
// glass. Bytes 0x00 to 0x07 (and 0x08 to 0x0F) show the custom characters. It also implements
// display.DisplayBacklight (on or off) and SetCustomChar, which stores the
// eight user-defined characters of CGRAM.
//
// # Halting
//
// LCD is a periph conn.Resource: Halt leaves it dark and blank (backlight
// off, display off, memory cleared), the state a board leaves its LCD in
// when the gateway stops, so that no address or message stays lit on a
// panel nobody runs. Display and Backlight switch it on again.
package hd44780
