package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/scangate/gateway/device/mfpsim"
)

// maxRSS is the footprint target: the gateway's resident memory while a 100-page job passes through.
const maxRSS = 24 << 20

// TestFootprint100Pages sends a 102-page job (34 copies of the 3-page sample) through the embedded server and
// checks the peak resident memory of the gateway process. Memory, unlike speed, is steady enough to bound.
func TestFootprint100Pages(t *testing.T) {
	_, maildir, args := sendSetup(t, "right-pass")
	dir := t.TempDir()
	sample := mfpsim.SamplePages().Data
	files := args[:len(args)-1]
	for i := range 34 {
		f := filepath.Join(dir, fmt.Sprintf("scan%02d.tif", i))
		os.WriteFile(f, sample, 0o600)
		files = append(files, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatewayBin, files...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	if got, _ := filepath.Glob(filepath.Join(maildir, "new", "*")); len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // kilobytes on Linux
	t.Logf("peak resident memory sending 102 pages: %.1f MB", float64(rss)/(1<<20))
	if rss > maxRSS {
		t.Errorf("peak resident memory %d bytes, over the %d-byte target", rss, maxRSS)
	}
}
