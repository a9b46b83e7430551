// Package procstat reads what Linux tells a process about itself.
package procstat

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// PeakRSS is the process's peak resident memory in bytes: VmHWM in /proc/self/status, which starts afresh at
// exec, so that, unlike the rusage a parent reads, it counts this program only. It is 0 where the kernel does
// not say.
func PeakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if f := bytes.Fields(sc.Bytes()); len(f) >= 2 && string(f[0]) == "VmHWM:" {
			kb, _ := strconv.ParseInt(string(f[1]), 10, 64)
			return kb << 10
		}
	}
	return 0
}
