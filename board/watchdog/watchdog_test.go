package watchdog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// device makes a stand-in for the watchdog device under t.TempDir.
func device(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func written(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKickThenClose(t *testing.T) {
	path := device(t)
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.Kick(); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(w.Close(), w.Close()); err != nil {
		t.Fatal(err)
	}
	if got, want := written(t, path), "\x00\x00\x00V"; got != want {
		t.Errorf("device got %q, want %q", got, want)
	}
	if err := w.Kick(); !errors.Is(err, ErrClosed) {
		t.Errorf("Kick after Close = %v", err)
	}
}

func TestKickReportsFailure(t *testing.T) {
	path := device(t)
	if err := os.Chmod(path, 0o200); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.f.Close() // the device goes away under the watchdog
	err = w.Kick()
	if err == nil || errors.Is(err, ErrClosed) || !strings.HasPrefix(err.Error(), "watchdog: ") {
		t.Errorf("Kick = %v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "watchdog: ") {
		t.Errorf("Open = %v", err)
	}
}
