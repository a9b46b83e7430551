//go:build !linux

package devicetest

import "time"

func sleep(d time.Duration) { time.Sleep(d) }
