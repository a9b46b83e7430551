package devicetest

import (
	"time"

	"golang.org/x/sys/unix"
)

// sleep blocks its thread in nanosleep, which the kernel's high-resolution
// timers end within tens of microseconds.
func sleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}
