//go:build unix

package watchdog

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestFIFO runs the watchdog on a named pipe, which, like the device,
// cannot be read back: the test reads what arrives at the other end.
func TestFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(path) // until the writer closes
		got <- string(b)
	}()
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Kick(), w.Close()); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "\x00V" {
		t.Errorf("pipe got %q", s)
	}
}
