// Package simlcd is a character LCD in memory: the display of the simulated
// panel ("sim" board profile), of a board without a panel ("none") and of a
// hardware board whose LCD is missing. Tests of the front panel use it too,
// through panel/paneltest.
//
// Display implements periph's display.TextDisplay and behaves like an
// HD44780-class controller: text lives in display data RAM (DDRAM), the
// cursor is a DDRAM address, and the visible screen is a window onto that
// RAM. A program that draws correctly on a Display therefore draws
// correctly on the glass (package board/hd44780 checks its driver against
// this model). The package shows the screen nowhere: Lines returns what a
// person would see, and the board's simulators draw it.
//
// # Geometry
//
// With two or more rows the controller runs in two-line mode: DDRAM is two
// lines of 40 bytes. Row r shows line r%2, starting at byte (r/2)*Cols of
// that line, so a 20x4 module shows line 0 on rows 0 and 2 and line 1 on
// rows 1 and 3, and a 16x2 module has 24 hidden bytes at the end of each
// line. A one-row display uses one line of 80 bytes. A geometry too large
// for one controller (for example 40x4) is modelled with lines as long as
// needed.
//
// # Writing
//
// Write stores each byte at the cursor and advances the cursor by one
// address, exactly like the real controller: it never clips and never
// moves to "the next row". Past the end of a row the text runs into hidden
// RAM (16x2) or appears on another row (row 0 continues on row 2 of a
// 20x4), and the end of the last line wraps to the start of the first.
// Such bytes are counted by Overflows, so a test can assert that a program
// never writes past the row it positioned the cursor on. With AutoScroll
// on, every written byte shifts the visible window one position to the
// left, as the entry-mode shift does.
//
// MinRow and MinCol are 0. MoveTo and Move Up/Down reject positions
// outside the visible screen with an error wrapping
// display.ErrInvalidCommand.
//
// # Reading
//
// Lines returns what a person would see: bytes 0x20 to 0x7E as ASCII (a
// real A00 character ROM differs from ASCII at 0x5C and 0x7E), the custom
// characters (bytes 0x00 to 0x0F) as ' ' when blank, '#' when every pixel
// is lit and '=' otherwise, any other byte as '?', and blank rows while the
// display is switched off.
//
// # Custom characters and the cursor
//
// Like the controller's CGRAM, SetCustomChar defines eight characters of
// 5x8 pixels; CustomChar returns what was defined, for drawing them and
// for tests. CursorAt tells where the cursor is and whether a cursor mode
// makes it visible, so a simulator can show it. String frames the same
// lines for logs and readable test failures. Writes counts the bytes sent,
// so a test can check that a program redraws only what changed.
//
// A Display is safe for concurrent use.
package simlcd
