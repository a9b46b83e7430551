package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// maxBinarySize is the footprint target for the static ARM binary.
const maxBinarySize = 12 << 20

// TestCrossBuildsRunUnderQEMU builds the static ARM binaries the boards run and starts each under qemu-user.
func TestCrossBuildsRunUnderQEMU(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the ARM builds are checked from the amd64 run") // the 386 run repeats the unit tests only
	}
	for _, tt := range []struct {
		name, goarch, goarm, qemu, want string
	}{
		{"armv6", "arm", "6", "qemu-arm-static", "linux/arm"},
		{"armv7", "arm", "7", "qemu-arm-static", "linux/arm"},
		{"arm64", "arm64", "", "qemu-aarch64-static", "linux/arm64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			qemu := toolrun.Path(t, tt.qemu)
			bin := filepath.Join(t.TempDir(), "gateway-"+tt.name)
			build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=crosstest", "-o", bin, ".")
			build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+tt.goarch, "GOARM="+tt.goarm)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			st, err := os.Stat(bin)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > maxBinarySize {
				t.Errorf("%s binary is %d bytes, over the %d-byte footprint", tt.name, st.Size(), maxBinarySize)
			}
			t.Logf("%s binary: %d bytes", tt.name, st.Size())
			out, err := exec.Command(qemu, bin, "version").CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s version: %v\n%s", tt.qemu, tt.name, err, out)
			}
			if s := string(out); !strings.Contains(s, "scangate gateway crosstest") || !strings.Contains(s, tt.want) {
				t.Errorf("version under qemu: %q", s)
			}
		})
	}
}
