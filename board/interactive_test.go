//go:build linux

package board

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/scangate/gateway/panel"
)

// keyWait bounds how long the test waits for a key to come through the pty;
// it only turns a hang into a failure.
const keyWait = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the board and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func termios(t *testing.T, fd uintptr) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

// TestInteractive types on a real pseudo-terminal and checks the keys that
// come out, the drawing and that Close restores the terminal.
func TestInteractive(t *testing.T) {
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer m.Close()
	defer s.Close()
	before := termios(t, s.Fd())

	var out syncBuffer
	b, err := Open("sim", Options{In: s, Out: &out, Interactive: true, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.Keys == nil {
		t.Fatal("interactive sim without keys")
	}
	if raw := termios(t, s.Fd()); raw.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Error("terminal not in raw mode")
	}

	// Each write is followed by reading its keys, so sequences are not merged.
	typed := []struct {
		in   string
		want []panel.Key
	}{
		{"\x1b[B", []panel.Key{panel.KeyDown}},
		{"\x1bOA\r", []panel.Key{panel.KeyUp, panel.KeyOK}},
		{"\x1b", []panel.Key{panel.KeyBack}}, // a lone Esc, after escapeTimeout
		{"s x", []panel.Key{panel.KeySend, panel.KeyStop, panel.KeyStop}},
	}
	for _, ty := range typed {
		if _, err := m.Write([]byte(ty.in)); err != nil {
			t.Fatal(err)
		}
		for _, want := range ty.want {
			select {
			case k, ok := <-b.Keys:
				if !ok || k != want {
					t.Fatalf("typed %q: got %v (open %v), want %v", ty.in, k, ok, want)
				}
			case <-time.After(keyWait):
				t.Fatalf("typed %q: no key", ty.in)
			}
		}
	}

	if err := b.SetLEDs(panel.LEDs{Sending: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case k, ok := <-b.Keys:
		if ok {
			t.Fatalf("after q got key %v, want the channel closed", k)
		}
	case <-time.After(keyWait):
		t.Fatal("q did not close Keys")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if after := termios(t, s.Fd()); after != before {
		t.Errorf("terminal not restored:\n%+v\nwant\n%+v", after, before)
	}
	got := out.String()
	for _, want := range []string{ansiStart, "│                │", "○ Ready   ● Sending   ○ Error", ansiStop} {
		if !strings.Contains(got, want) {
			t.Errorf("drawing lacks %q:\n%q", want, got)
		}
	}
	if !strings.HasSuffix(got, ansiStop) {
		t.Errorf("drawing does not end by leaving the alternate screen: %q", got)
	}
}

// TestInteractiveClose checks that Close stops the key reader while nobody
// types, and closes Keys.
func TestInteractiveClose(t *testing.T) {
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	defer m.Close()
	defer s.Close()
	b, err := Open("sim", Options{In: s, Out: &syncBuffer{}, Interactive: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, ok := <-b.Keys; ok {
		t.Error("Keys still open after Close")
	}
}
