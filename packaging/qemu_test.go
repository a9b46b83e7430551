package packaging

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoWait bounds one demo under qemu-user (about a second here): a hang guard, not a speed check.
const demoWait = 2 * time.Minute

// TestPackagedARMBinariesUnderQEMU runs the binaries unpacked from the armhf and arm64 packages under
// qemu-user, as cmd/gateway's cross test runs its own builds: gateway version, and a whole demo (simulated
// machine, panel and mail server) that presses Send and exits after the delivery.
func TestPackagedARMBinariesUnderQEMU(t *testing.T) {
	version, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	for _, tt := range []struct{ arch, qemu, want string }{
		{"armhf", "qemu-arm-static", "linux/arm"},
		{"arm64", "qemu-aarch64-static", "linux/arm64"},
	} {
		t.Run(tt.arch, func(t *testing.T) {
			t.Parallel()
			qemu := need(t, "qemu-user-static", tt.qemu)
			bin := filepath.Join(extracted(t, pkgs[tt.arch]), "usr", "bin", "gateway")
			out, err := exec.Command(qemu, bin, "version").CombinedOutput()
			if err != nil {
				t.Fatalf("%s gateway version: %v\n%s", tt.qemu, err, out)
			}
			if s := string(out); !strings.HasPrefix(s, "scangate gateway "+version+" ("+tt.want+",") {
				t.Errorf("version under qemu: %q", s)
			}

			ctx, cancel := context.WithTimeout(context.Background(), demoWait)
			defer cancel()
			dir := t.TempDir()
			demo := exec.CommandContext(ctx, qemu, bin, "demo", "--once", "--keys", "send", "--dir", dir)
			out, err = demo.CombinedOutput()
			if err != nil {
				t.Fatalf("%s gateway demo --once --keys send: %v\n%s", tt.qemu, err, out)
			}
			mails, _ := os.ReadDir(filepath.Join(dir, "maildir", "new"))
			if len(mails) != 1 || !strings.Contains(string(out), "Delivered: ") {
				t.Errorf("the demo under qemu delivered %d mails:\n%s", len(mails), out)
			}
		})
	}
}
