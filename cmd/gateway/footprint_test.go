package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/scangate/gateway/device/mfpsim"
)

// maxRSS is the footprint target: the gateway's resident memory while a 100-page job passes through.
const maxRSS = 24 << 20

// TestFootprint100Pages sends a 102-page job (34 copies of the 3-page sample) through the embedded server and
// checks the peak resident memory of the gateway process. Memory, unlike speed, is steady enough to bound.
// The gateway reports its own peak ("send -v"): the rusage a parent gets from wait4 is no use here, since it
// also holds the parent's peak from before the child's exec.
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
	cmd := exec.CommandContext(ctx, gatewayBin, append([]string{files[0], "-v"}, files[1:]...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("send: %v\n%s", err, stderr.String())
	}
	if got, _ := filepath.Glob(filepath.Join(maildir, "new", "*")); len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	m := regexp.MustCompile(`msg="send finished" peak_rss_bytes=(\d+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("send -v did not report its peak memory:\n%s", tail(stderr.String(), 2000))
	}
	rss, _ := strconv.ParseInt(m[1], 10, 64)
	if rss == 0 {
		t.Fatal("the kernel did not tell the peak memory (no VmHWM in /proc/self/status)")
	}
	t.Logf("peak resident memory sending 102 pages: %.1f MB", float64(rss)/(1<<20))
	if rss > maxRSS {
		t.Errorf("peak resident memory %d bytes, over the %d-byte target", rss, maxRSS)
	}
}
