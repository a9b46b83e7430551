// Package keys reads the front panel's keys from GPIO inputs and delivers
// them as panel.Key values, debounced and with auto-repeat.
//
// # Debouncing
//
// A key's contacts bounce for a few milliseconds when pressed and released.
// Keys polls every pin (every 10 ms by default) and counts a press only
// after the pin has read "pressed" without a change for the debounce time
// (30 ms), and a release after it has read "released" as long. A bouncing
// press is thus exactly one press, whatever the bounces look like, at the
// cost of 30 to 40 ms of latency. periph's gpioutil.Debounce ignores its
// debounce argument, and edge interrupts see every bounce, so the package
// polls and debounces itself.
//
// # Auto-repeat
//
// A key marked Repeat (the arrows) held for the repeat delay (600 ms) is
// delivered again every repeat interval (150 ms) until it reads released;
// others are delivered once per press, so a long press on Send sends once.
//
// # Time
//
// Polling runs on a ticker; Config.Ticks replaces it, and the times it
// delivers are the only clock the debouncer knows, so tests drive it with
// virtual times.
package keys
