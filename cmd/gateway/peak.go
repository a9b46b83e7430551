package main

import (
	"os"
	"strconv"
	"strings"
)

// peakRSS is the process's peak resident memory in bytes (VmHWM in /proc/self/status, which starts afresh at
// exec, so, unlike the rusage a parent sees, it counts this program only); 0 where the kernel does not say.
// "send -v" and "run -v" log it at the end, so the footprint can be checked on a board.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
