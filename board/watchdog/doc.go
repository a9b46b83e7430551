// Package watchdog keeps a Linux hardware watchdog (/dev/watchdog) from
// resetting the board while the gateway is healthy.
//
// Opening the device starts the watchdog: from then on, unless something is
// written to it within its timeout (15 s on a Raspberry Pi, 60 s on a
// BeagleBone, by default), the hardware resets the board. Keep writes a
// keep-alive byte every KeepAliveInterval as long as the caller says the
// gateway is healthy; a hung gateway stops kicking and the board restarts.
// Close writes the magic character 'V' before closing, which tells the
// driver the stop is deliberate and disarms the watchdog (unless the
// kernel was built with "nowayout"); a crash closes the device without it,
// and the board resets.
package watchdog
