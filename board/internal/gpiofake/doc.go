// Package gpiofake provides a fake GPIO pin for the board's tests: the test
// sets the level an input reads and looks at what an output was driven to.
//
// The keys are tested with periph's own gpiotest.Pin; this fake adds what
// the board's tests need besides: the history of an output's levels and a
// pin that fails.
package gpiofake
