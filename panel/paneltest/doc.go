// Package paneltest provides a fake character LCD for tests of the front
// panel.
//
// Display is the in-memory HD44780 of package board/simlcd, under the name
// the panel's tests know: it implements periph's display.TextDisplay with
// the controller's cursor and write semantics, counts bytes written and
// bytes that ran past the row the cursor was placed on, and shows what a
// person would see through Lines and String. See board/simlcd for the
// model. Programs use board/simlcd; only tests import this package.
package paneltest
