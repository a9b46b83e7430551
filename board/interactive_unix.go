//go:build unix

package board

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/scangate/gateway/panel"
)

const (
	// pollTimeout bounds each wait for keyboard input, so that the key
	// reader notices Close within this time.
	pollTimeout = 100 * time.Millisecond
	// escapeTimeout is how long a lone Esc (or CR) waits for the rest of a
	// sequence before it counts as a key of its own.
	escapeTimeout = 50 * time.Millisecond
	// keyBuffer is how many key presses wait for the caller.
	keyBuffer = 16
)

// openInteractive puts the terminal in into raw mode, draws the panel on out
// and starts reading keys.
func openInteractive(d *lcd, in *os.File, out io.Writer, color bool) (*Board, error) {
	fd := int(in.Fd())
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, fmt.Errorf("board: terminal raw mode: %w", err)
	}
	t := &terminal{lcd: d, out: out, color: color}
	if err := t.start(); err != nil {
		t.stop()
		term.Restore(fd, state)
		return nil, err
	}
	keys := make(chan panel.Key, keyBuffer)
	stop, done := make(chan struct{}), make(chan struct{})
	go readKeys(in, keys, stop, done)
	return &Board{
		Display: t,
		Keys:    keys,
		leds:    t.setLEDs,
		close: func() error {
			close(stop)
			<-done
			err := t.stop()
			if rerr := term.Restore(fd, state); rerr != nil {
				err = errors.Join(err, fmt.Errorf("board: terminal restore: %w", rerr))
			}
			return err
		},
	}, nil
}

// readKeys decodes key presses from f into keys until the user quits, input
// ends or stop is closed; then it closes keys and done.
func readKeys(f *os.File, keys chan<- panel.Key, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	defer close(keys)
	deliver := func(ins []input) bool {
		for _, in := range ins {
			if in.quit {
				return false
			}
			select {
			case keys <- in.key:
			case <-stop:
				return false
			}
		}
		return true
	}
	fd := int(f.Fd())
	buf := make([]byte, 64)
	var pending []byte
	for {
		wait := pollTimeout
		if len(pending) > 0 {
			wait = escapeTimeout
		}
		ready, err := readable(fd, wait)
		select {
		case <-stop:
			return
		default:
		}
		if err != nil {
			return
		}
		if !ready {
			if len(pending) > 0 {
				ins, _ := decodeKeys(pending, true)
				pending = pending[:0]
				if !deliver(ins) {
					return
				}
			}
			continue
		}
		n, rerr := f.Read(buf)
		pending = append(pending, buf[:n]...)
		ins, used := decodeKeys(pending, rerr != nil)
		pending = append(pending[:0], pending[used:]...)
		if !deliver(ins) || rerr != nil {
			return
		}
	}
}

// readable waits up to d for fd to have input (or end of input, or an error
// to report).
func readable(fd int, d time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, int(d/time.Millisecond))
	if errors.Is(err, unix.EINTR) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return n > 0, nil
}
