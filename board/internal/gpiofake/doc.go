// Package gpiofake provides a fake GPIO pin for the board's tests: the test
// sets the level an input reads and looks at what an output was driven to.
//
// periph's own gpiotest.Pin would do, but it needs a clock library this
// module does not depend on.
package gpiofake
