// Package board is the front-panel hardware of one board profile: the
// character LCD, the keys and the three LEDs (Ready, Sending, Error). Open
// returns a Board for a profile name; the appliance draws the panel on
// Board.Display, reads Board.Keys and calls Board.SetLEDs.
//
// # Profiles
//
// "sim" simulates the panel on this computer. "none" is a board without a
// panel: its display remembers what it is sent and shows it nowhere. "rpi"
// and "beaglebone" (an HD44780 LCD on an I2C backpack, keys and LEDs on
// GPIO) are known names but not built yet.
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
// The sim's displays are paneltest displays: they behave like an HD44780
// and implement panel.Flusher, which tells them a screen is complete.
package board
