// Package toolrun runs, for tests, the outside programs that the product is checked against (Ghostscript,
// libtiff, poppler, qpdf, lrzsz over socat, qemu, tmux, SMTP clients and servers), and decides what a test does
// when one is missing: it is skipped, naming the Debian packages to install, or, when SCANGATE_INTEGRATION=1
// says the machine is meant to have every peer (as make test sets once it has installed them, and CI), it
// fails. A failing tool fails the test with its output, and every run is bounded.
package toolrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Timeout bounds one run of a tool; each works on a few pages and takes well under a second. It is a hang
// guard, not a speed check.
const Timeout = 2 * time.Minute

// IntegrationEnv names the environment variable that makes the outside peers mandatory: when it is "1", a test
// whose peer is missing fails instead of being skipped.
const IntegrationEnv = "SCANGATE_INTEGRATION"

// Integration reports whether missing peers fail tests (IntegrationEnv is "1").
func Integration() bool { return os.Getenv(IntegrationEnv) == "1" }

// peers lists, by the Debian package that brings them, the peers that tests look for: programs, found on PATH
// or in the system directories, and, for a name that begins with "/", files, given as glob patterns. The list
// of packages to install is scripts/peers; this table only says which of them brings what.
var peers = map[string][]string{
	"ghostscript":         {"gs"},
	"libtiff-tools":       {"tiffcp", "tiffset", "tiffinfo", "tiffdump", "tiff2pdf"},
	"poppler-utils":       {"pdfinfo", "pdfimages", "pdftoppm"},
	"qpdf":                {"qpdf"},
	"socat":               {"socat"},
	"lrzsz":               {"sz", "rz", "sb", "rb", "sx", "rx"},
	"qemu-user-static":    {"qemu-arm-static", "qemu-aarch64-static"},
	"tmux":                {"tmux"},
	"curl":                {"curl"},
	"msmtp":               {"msmtp"},
	"postfix":             {"postfix"},
	"sasl2-bin":           {"saslpasswd2"},
	"libsasl2-modules":    {"/usr/lib/*/sasl2/libplain.so*"},  // Cyrus SASL loads its mechanisms as plugins,
	"libsasl2-modules-db": {"/usr/lib/*/sasl2/libsasldb.so*"}, // and the sasldb too
	"dovecot-core":        {"dovecot"},
	"dovecot-submissiond": {"/usr/lib/dovecot/submission"},
}

// packageOf returns the Debian package that brings a peer, or the peer's own name when the table lacks it.
func packageOf(peer string) string {
	for pkg, names := range peers {
		if slices.Contains(names, peer) {
			return pkg
		}
	}
	return peer
}

// systemDirs are where Debian installs the daemons and their tools, which a non-login PATH may lack.
var systemDirs = []string{"/usr/sbin", "/sbin"}

// Find returns the path of a peer (a program or, for a name that begins with "/", a file pattern), or an
// error when this machine lacks it.
func Find(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		matches, err := filepath.Glob(name)
		if err != nil {
			return "", err
		}
		for _, m := range matches {
			if _, err := os.Stat(m); err == nil { // a dangling link is no plugin
				return m, nil
			}
		}
		return "", fmt.Errorf("no file %s", name)
	}
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range systemDirs {
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", err
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Need stops t, as Unavailable does, unless every named peer is on this machine; the message names the Debian
// packages that bring the missing ones.
func Need(t testing.TB, names ...string) {
	t.Helper()
	var missing, pkgs []string
	for _, peer := range names {
		if _, err := Find(peer); err == nil {
			continue
		}
		missing = append(missing, peer)
		if pkg := packageOf(peer); !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	if len(missing) > 0 {
		Unavailable(t, fmt.Sprintf("needs %s (Debian: %s)", strings.Join(missing, ", "), strings.Join(pkgs, " ")))
	}
}

// Path returns the path of a program, after Need.
func Path(t testing.TB, program string) string {
	t.Helper()
	Need(t, program)
	p, _ := Find(program)
	return p
}

// NeedRoot stops t, as Unavailable does, unless the test runs as root; why says what needs root.
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "needs root: "+why)
	}
}

// Unavailable stops t because this machine lacks what it needs; what says it ("needs pdfinfo (Debian:
// poppler-utils)"). The test is skipped, so that go test passes on a machine without the peers, or, when
// Integration says the peers must be there, it fails. It is the one place that makes this choice.
func Unavailable(t testing.TB, what string) {
	t.Helper()
	if Integration() {
		t.Fatalf("%s; with %s=1 this is a failure", what, IntegrationEnv)
	}
	t.Skip(what)
}

// LrzszExit bounds the wait for socat and an lrzsz program to exit once the transfer is over.
const LrzszExit = 10 * time.Second

// Run runs a tool and returns its standard output and standard error. A missing tool stops t as Need does;
// one that fails or runs past Timeout fails t.
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
