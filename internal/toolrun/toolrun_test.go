package toolrun

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder stands in for a test and records how it is stopped, without stopping the real one.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs f with a recorder on a goroutine of its own, which a skip or a failure ends as it would end a test.
func call(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestNeedSkipsOrFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // neither tool is found there, nor in the system directories
	const want = "needs pdfinfo, sz, rz (Debian: poppler-utils lrzsz)"
	for _, tt := range []struct {
		env  string
		fail bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Run("SCANGATE_INTEGRATION="+tt.env, func(t *testing.T) {
			t.Setenv(IntegrationEnv, tt.env)
			r := call(t, func(tb testing.TB) { Need(tb, "pdfinfo", "sz", "rz") })
			stopped, other := r.skipped, r.failed
			if tt.fail {
				stopped, other = r.failed, r.skipped
			}
			if !strings.HasPrefix(stopped, want) || other != "" {
				t.Errorf("skipped %q, failed %q; want only the %s one, saying %q", r.skipped, r.failed,
					map[bool]string{false: "skip", true: "failure"}[tt.fail], want)
			}
		})
	}
}

func TestNeedFindsPrograms(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "qpdf")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv(IntegrationEnv, "1")
	var got string
	r := call(t, func(tb testing.TB) { got = Path(tb, "qpdf") })
	if r.skipped != "" || r.failed != "" {
		t.Errorf("skipped %q, failed %q with qpdf on PATH", r.skipped, r.failed)
	}
	if got != prog {
		t.Errorf("Path = %q, want %q", got, prog)
	}
}

func TestNeedFindsFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "libplain.so.2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A dangling link is not the file it names.
	if err := os.Symlink(filepath.Join(dir, "gone.so.2"), filepath.Join(dir, "libsasldb.so")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(IntegrationEnv, "")
	r := call(t, func(tb testing.TB) { Need(tb, filepath.Join(dir, "libplain.so*")) })
	if r.skipped != "" {
		t.Errorf("skipped with the file there: %q", r.skipped)
	}
	r = call(t, func(tb testing.TB) { Need(tb, filepath.Join(dir, "libsasldb.so*")) })
	if !strings.HasPrefix(r.skipped, "needs "+dir) {
		t.Errorf("skipped %q, want the missing file named", r.skipped)
	}
}

func TestNeedRoot(t *testing.T) {
	t.Setenv(IntegrationEnv, "1")
	r := call(t, func(tb testing.TB) { NeedRoot(tb, "the master starts as root") })
	if root := os.Geteuid() == 0; root != (r.failed == "") {
		t.Errorf("as uid %d: failed %q", os.Geteuid(), r.failed)
	}
}

// TestPeersAreInstalled checks that every package the tests name is one that scripts/peers installs.
func TestPeersAreInstalled(t *testing.T) {
	Need(t, "bash")
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "peers"), "list").Output()
	if err != nil {
		t.Fatalf("scripts/peers list: %v", err)
	}
	listed := strings.Fields(string(out))
	for pkg := range peers {
		if !strings.Contains(" "+strings.Join(listed, " ")+" ", " "+pkg+" ") {
			t.Errorf("%s brings a peer of the tests but scripts/peers does not install it", pkg)
		}
	}
}
