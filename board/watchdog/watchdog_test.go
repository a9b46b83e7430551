package watchdog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

func TestKeepWhileHealthy(t *testing.T) {
	path := device(t)
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Healthy at the start and the first two ticks, not at the third and
	// fourth, healthy again at the fifth.
	health := []bool{true, true, true, false, false, true}
	var calls atomic.Int32
	healthy := func() bool { return health[calls.Add(1)-1] }
	ticks := make(chan time.Time)
	done := make(chan error, 1)
	go func() { done <- w.Keep(context.Background(), ticks, healthy) }()
	for range len(health) - 1 {
		ticks <- time.Time{}
	}
	close(ticks)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Close(), w.Close()); err != nil {
		t.Fatal(err)
	}
	if got, want := written(t, path), "\x00\x00\x00\x00V"; got != want {
		t.Errorf("device got %q, want %q", got, want)
	}
	if err := w.Kick(); !errors.Is(err, ErrClosed) {
		t.Errorf("Kick after Close = %v", err)
	}
}

func TestKeepStopsWithContext(t *testing.T) {
	path := device(t)
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Keep(ctx, make(chan time.Time), func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	if got := written(t, path); got != "\x00" {
		t.Errorf("device got %q", got)
	}
}

func TestKeepEndsAtClose(t *testing.T) {
	w, err := Open(device(t))
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := w.Keep(context.Background(), nil, func() bool { return true }); err != nil {
		t.Errorf("Keep = %v", err)
	}
}

func TestKeepReportsFailedKick(t *testing.T) {
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
	err = w.Keep(context.Background(), nil, func() bool { return true })
	if err == nil || errors.Is(err, ErrClosed) || !strings.HasPrefix(err.Error(), "watchdog: ") {
		t.Errorf("Keep = %v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "none"))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "watchdog: ") {
		t.Errorf("Open = %v", err)
	}
}
