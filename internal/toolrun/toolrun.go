// Package toolrun runs, for tests, the outside programs that the product is checked against (Ghostscript,
// libtiff, poppler, qpdf, lrzsz over socat): a missing one fails the test with the Debian package that brings
// it, a failing one fails the test with its output, and every run is bounded.
package toolrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Timeout bounds one run of a tool; each works on a few pages and takes well under a second. It is a hang
// guard, not a speed check.
const Timeout = 2 * time.Minute

// packages names the Debian package that brings each tool.
var packages = map[string]string{
	"gs": "ghostscript", "tiffcp": "libtiff-tools", "tiffset": "libtiff-tools", "tiffinfo": "libtiff-tools",
	"pdfinfo": "poppler-utils", "pdfimages": "poppler-utils", "qpdf": "qpdf", "socat": "socat",
	"sz": "lrzsz", "rz": "lrzsz", "sb": "lrzsz", "rb": "lrzsz", "sx": "lrzsz", "rx": "lrzsz",
}

// LrzszExit bounds the wait for socat and an lrzsz program to exit once the transfer is over.
const LrzszExit = 10 * time.Second

// Need fails t unless every named tool is installed.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			pkg := packages[tool]
			if pkg == "" {
				pkg = tool
			}
			t.Fatalf("%s is not installed (Debian package %s): %v", tool, pkg, err)
		}
	}
}

// Run runs a tool and returns its standard output and standard error, failing t when the tool is missing,
// fails or runs past Timeout.
func Run(t testing.TB, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	Need(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.Bytes(), errOut.Bytes())
	}
	return out.String(), errOut.String()
}

// GhostscriptTIFF renders the PostScript pages ps with a Ghostscript TIFF device (tiffg3, tiffg4, tiffcrle, ...)
// at resolution res ("204x196") into a file in dir, and returns its path. extra are further gs options.
func GhostscriptTIFF(t testing.TB, dir, ps, device, res string, extra ...string) string {
	t.Helper()
	src := filepath.Join(dir, "pages.ps")
	if _, err := os.Stat(src); err != nil {
		if err := os.WriteFile(src, []byte(ps), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, device+"-"+res+strings.Join(extra, "")+".tif")
	args := append([]string{"-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=" + device, "-r" + res}, extra...)
	Run(t, "gs", append(args, "-sOutputFile="+out, src)...)
	return out
}

// Tiffcp copies in with tiffcp options into a new file named after them, and returns its path.
func Tiffcp(t testing.TB, in string, opts ...string) string {
	t.Helper()
	out := strings.TrimSuffix(in, ".tif") + strings.ReplaceAll(strings.Join(opts, ""), ":", "") + ".tif"
	Run(t, "tiffcp", append(opts, in, out)...)
	return out
}

// StartLrzsz runs an lrzsz program (a command line such as "sz -q scan.tif") in dir on the pty slave, through
// socat rather than with the pty as its standard input and output, so that its exit-time flush of the terminal
// cannot swallow the peer's last bytes. It returns a function that waits, at most LrzszExit, for it to exit.
// The test's end kills socat and the program, by process group; a failed test logs the program's stderr.
func StartLrzsz(t testing.TB, slave, dir, program string) (wait func() error) {
	t.Helper()
	Need(t, "socat", strings.Fields(program)[0])
	cmd := exec.Command("socat", "-t", "0.2", "FILE:"+slave+",raw,echo=0", "EXEC:"+program)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGKILL) // socat and its child, by process group id
		<-done
		if t.Failed() {
			t.Logf("%s: %s", program, stderr.String())
		}
	})
	return func() error {
		select {
		case err := <-done:
			done <- err
			return err
		case <-time.After(LrzszExit):
			return fmt.Errorf("%s did not exit within %v", program, LrzszExit)
		}
	}
}
