// Package board is the front-panel hardware of one board profile: the
// character LCD, the keys and the three LEDs (Ready, Sending, Error). Open
// returns a Board for a profile name; the appliance draws the panel on
// Board.Display, reads Board.Keys and calls Board.SetLEDs.
//
// # Profiles
//
// "sim" simulates the panel on this computer. "none" is a board without a
// panel: its display remembers what it is sent and shows it nowhere. "rpi"
// and "beaglebone" are real boards: an HD44780 LCD on a PCF8574 I2C
// backpack (package hd44780), eight keys on GPIO inputs (package keys) and
// three LEDs on GPIO outputs, reached through periph's host drivers.
// Profiles lists the names.
//
// # Settings
//
// Package board owns the vocabulary of the board.* settings of the
// settings file: the profile names (Profiles), the names of the lights
// (LEDNames), the LCD sizes and addresses it can drive, and the rules for
// pin overrides. The key names are the front panel's (panel.ParseKey reads
// them). Options.Validate checks a profile and its options against all of
// it without touching any hardware, and names each problem by its setting,
// as in
//
//	board.lcd_address: 0x99 is not a 7-bit I2C address (backpacks answer at 0x20-0x27 or 0x38-0x3F)
//
// so that the settings file can be checked when it is read, before any
// device is opened. Open runs the same check first.
//
// # Wiring of the hardware profiles
//
// Every key connects its pin to ground when pressed; the arrows repeat
// while held. Every LED, with its resistor, goes from its pin to ground.
// The LCD backpack sits on the I2C bus at 0x27 (or 0x3F, tried next), 16x2
// unless Options say otherwise. Pin names are periph's.
//
//	            rpi (BCM numbers)        beaglebone (header pins)
//	I2C bus     1 (pins 3, 5)            2 (P9_20 SDA, P9_19 SCL)
//	up          GPIO17 (pin 11)          P8_7
//	down        GPIO27 (pin 13)          P8_8
//	left        GPIO22 (pin 15)          P8_9
//	right       GPIO23 (pin 16)          P8_10
//	ok          GPIO24 (pin 18)          P8_11
//	back        GPIO25 (pin 22)          P8_12
//	send        GPIO5  (pin 29)          P8_14
//	stop        GPIO6  (pin 31)          P8_15
//	Ready LED   GPIO16 (pin 36)          P9_12
//	Sending LED GPIO20 (pin 38)          P9_15
//	Error LED   GPIO21 (pin 40)          P9_23
//
// On the Raspberry Pi these pins are free in the default configuration
// (not I2C, UART, SPI0 or 1-Wire), and the key inputs get the SoC's
// pull-ups. On the BeagleBone the pins are GPIOs in the default pin mux
// and free of the eMMC and HDMI; its GPIO driver cannot set pulls, so the
// keys need pull-ups: 10 kΩ resistors to 3.3 V, or "config-pin P8_11
// gpio_pu" (and so on) at boot. Options.I2CBus, LCDAddress, KeyPins and
// LEDPins override the defaults; Validate refuses a pin given to two keys
// or lights, and Open also catches two names of one pin.
//
// # Missing hardware
//
// The LCD is a module on a cable, and the watchdog a kernel driver: either
// may be missing on a board in the field. Open then logs one line to
// Options.Log and the board runs without it (the display becomes the one
// of "none", so the panel still works by its keys and LEDs, and mail still
// goes out). An LCD that loses contact while the gateway runs comes back
// by itself: the LCD driver re-initializes the controller after an I2C
// error, and the panel redraws the screen. A key or LED pin that cannot be
// had is an error: the pins are on the board itself, so it is a wrong name
// or a wrong profile, which the installer must see at once rather than a
// panel with dead keys.
//
// # Closing
//
// Close leaves a hardware board inert: the keys are no longer read, the
// LEDs go dark, and the LCD is halted (backlight off, display off, its
// memory cleared; see hd44780.LCD.Halt) before the I2C bus is closed, so
// that no address or message stays lit on a panel nobody runs.
//
// # Watchdog and clock
//
// With Options.Watchdog set (usually "/dev/watchdog"), a hardware board
// opens the watchdog, which the caller kicks while the gateway is healthy;
// Close disarms it with the magic 'V' (package
// watchdog). WaitForClock holds the caller back, showing "Waiting for
// clock", until the system clock reads a plausible date, as a board
// without a battery-backed clock needs before it can check TLS
// certificates.
//
// # The interactive sim
//
// With Options.Interactive set and Options.In a terminal, the sim puts the
// terminal into raw mode, switches to the alternate screen and draws the
// LCD in a box, the three lights (● lit, ○ dark, in colour unless turned
// off) and a key legend, redrawing in place whenever the panel flushes a
// new screen or the lights change. Keys:
//
//	arrow keys        up, down, left, right
//	Enter             ok
//	Backspace, Esc    back
//	s                 send
//	x, space          stop
//	q, Ctrl-C, Ctrl-D quit
//
// Quitting closes Board.Keys; so do the end of input and Close. The caller
// must still call Close, which restores the terminal. Because the terminal
// is raw, anything else written to it needs "\r\n" line ends; a program
// should send its logs elsewhere while the interactive sim runs.
//
// # Script mode
//
// Otherwise the sim writes one line to Options.Out for each new screen the
// panel flushes, rows joined by " | " with spaces squeezed, and one for each
// change of the lights:
//
//	[leds] Ready
//	[panel] Ready 12:04 | To: Demo inbox
//
// Board.Keys is nil: the caller feeds scripted keys to the panel itself.
//
// The displays of sim and none, and of a board whose LCD is missing, are
// memory LCDs of package simlcd, which behave like an HD44780. The sim's
// also implement panel.Flusher, which tells them a screen is complete.
package board
