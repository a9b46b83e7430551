package procstat

import (
	"runtime"
	"testing"
)

func TestPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux's")
	}
	big := make([]byte, 32<<20)
	for i := range big {
		big[i] = byte(i)
	}
	if got := PeakRSS(); got < int64(len(big)) {
		t.Errorf("PeakRSS = %d after touching %d bytes", got, len(big))
	}
	runtime.KeepAlive(big)
}
