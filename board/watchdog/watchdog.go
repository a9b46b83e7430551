package watchdog

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// KeepAliveInterval is how often Keep kicks the watchdog: well inside the
// shortest default timeout of the boards' watchdogs (15 s).
const KeepAliveInterval = 5 * time.Second

// ErrClosed is wrapped by the error of Kick after Close.
var ErrClosed = errors.New("watchdog: closed")

// keepAlive is written to kick the watchdog; it must not contain the magic
// 'V', which would arm the deliberate stop.
var keepAlive = []byte{0}

// magicClose is written before a deliberate close.
var magicClose = []byte{'V'}

// Watchdog is an open hardware watchdog device. It is safe for concurrent
// use.
type Watchdog struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// Open opens the watchdog device at path, which starts it.
func Open(path string) (*Watchdog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	return &Watchdog{f: f, path: path}, nil
}

// String returns the device's path.
func (w *Watchdog) String() string { return w.path }

// Kick restarts the watchdog's countdown.
func (w *Watchdog) Kick() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("%w: %s", ErrClosed, w.path)
	}
	if _, err := w.f.Write(keepAlive); err != nil {
		return fmt.Errorf("watchdog: %s: %w", w.path, err)
	}
	return nil
}

// Close stops the watchdog deliberately: it writes the magic 'V' and closes
// the device. Close may be called more than once; later calls do nothing.
func (w *Watchdog) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	_, werr := w.f.Write(magicClose)
	cerr := w.f.Close()
	w.f = nil
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("watchdog: %s: %w", w.path, err)
	}
	return nil
}
