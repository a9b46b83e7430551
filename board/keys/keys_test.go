package keys

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/scangate/gateway/board/internal/gpiofake"
	"github.com/scangate/gateway/panel"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// t0 is the virtual start of every script.
var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// event is a key delivered at a virtual time, in ms after t0.
type event struct {
	ms  int
	key panel.Key
}

// pressed returns the reading of an active-low key pressed during the given
// [from, to) spans of virtual ms.
func pressed(spans ...[2]int) func(ms int) gpio.Level {
	return func(ms int) gpio.Level {
		for _, s := range spans {
			if ms >= s[0] && ms < s[1] {
				return gpio.Low
			}
		}
		return gpio.High
	}
}

// toggles returns the reading of an active-low key released at first and
// changing at each of the given ms, as a bouncing contact does.
func toggles(at ...int) func(ms int) gpio.Level {
	return func(ms int) gpio.Level {
		l := gpio.High
		for _, a := range at {
			if ms >= a {
				l = !l
			}
		}
		return l
	}
}

// newPin returns periph's fake pin reading l.
func newPin(name string, l gpio.Level) *gpiotest.Pin { return &gpiotest.Pin{N: name, L: l} }

// set changes the level a fake pin reads.
func set(p *gpiotest.Pin, l gpio.Level) {
	p.Lock()
	p.L = l
	p.Unlock()
}

// wiring is one key of a script with the reading of its pin over time.
type wiring struct {
	key     panel.Key
	repeat  bool
	reading func(ms int) gpio.Level
}

// simulate reads the keys every step ms from 0 to end ms and returns the
// keys delivered with their virtual times.
func simulate(t *testing.T, cfg Config, wires []wiring, step, end int) []event {
	t.Helper()
	pins := make([]*gpiotest.Pin, len(wires))
	var keys []Key
	for i, w := range wires {
		pins[i] = newPin(w.key.String(), w.reading(0))
		keys = append(keys, Key{Key: w.key, Pin: pins[i], Repeat: w.repeat})
	}
	k, err := setup(keys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []event
	for ms := 0; ms <= end; ms += step {
		for i, w := range wires {
			set(pins[i], w.reading(ms))
		}
		k.scan(t0.Add(time.Duration(ms)*time.Millisecond), func(key panel.Key) { got = append(got, event{ms, key}) })
	}
	return got
}

func TestDebounceAndRepeat(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		wires []wiring
		end   int
		want  []event
	}{
		{
			name:  "clean press counts after 30 ms steady",
			wires: []wiring{{panel.KeyOK, false, pressed([2]int{100, 300})}},
			end:   1000, want: []event{{130, panel.KeyOK}},
		},
		{
			name: "bouncing press and release are one press",
			wires: []wiring{{panel.KeyOK, false, toggles(
				100, 102, 103, 107, 111, // press: steady from 111
				400, 401, 405, 409, 412, // release: steady from 412
				500, 800)}},
			end: 1000, want: []event{{141, panel.KeyOK}, {530, panel.KeyOK}},
		},
		{
			name:  "a glitch shorter than the debounce time is no press",
			wires: []wiring{{panel.KeyOK, false, pressed([2]int{100, 129}, [2]int{200, 201})}},
			end:   1000, want: nil,
		},
		{
			name:  "held repeating key repeats after 600 ms every 150 ms",
			wires: []wiring{{panel.KeyDown, true, pressed([2]int{100, 1200})}},
			end:   2000,
			want:  []event{{130, panel.KeyDown}, {730, panel.KeyDown}, {880, panel.KeyDown}, {1030, panel.KeyDown}, {1180, panel.KeyDown}},
		},
		{
			name: "release stops the repeat at once, and a new press starts over",
			// Released at 1020: the repeat due at 1030 does not come although
			// the release counts only at 1050.
			wires: []wiring{{panel.KeyUp, true, pressed([2]int{100, 1020}, [2]int{1100, 1500})}},
			end:   2000,
			want:  []event{{130, panel.KeyUp}, {730, panel.KeyUp}, {880, panel.KeyUp}, {1130, panel.KeyUp}},
		},
		{
			name:  "a key without repeat held long is one press",
			wires: []wiring{{panel.KeySend, false, pressed([2]int{100, 3000})}},
			end:   3500, want: []event{{130, panel.KeySend}},
		},
		{
			name: "two keys",
			wires: []wiring{
				{panel.KeyLeft, true, pressed([2]int{100, 800}, [2]int{1000, 1100})},
				{panel.KeyOK, false, pressed([2]int{250, 300}, [2]int{1000, 1100})},
			},
			end: 1500,
			want: []event{
				{130, panel.KeyLeft}, {280, panel.KeyOK}, {730, panel.KeyLeft},
				{1030, panel.KeyLeft}, {1030, panel.KeyOK},
			},
		},
		{
			name:  "a key held at the start counts only after a release",
			wires: []wiring{{panel.KeyStop, true, pressed([2]int{0, 900}, [2]int{1000, 1100})}},
			end:   1500, want: []event{{1030, panel.KeyStop}},
		},
		{
			name: "active high, other timing",
			cfg:  Config{ActiveHigh: true, Debounce: 50 * time.Millisecond, RepeatDelay: 300 * time.Millisecond, RepeatInterval: 100 * time.Millisecond},
			wires: []wiring{{panel.KeyRight, true, func(ms int) gpio.Level {
				return ms >= 100 && ms < 600 // high while pressed
			}}},
			end:  1000,
			want: []event{{150, panel.KeyRight}, {450, panel.KeyRight}, {550, panel.KeyRight}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := simulate(t, tt.cfg, tt.wires, 1, tt.end); !slices.Equal(got, tt.want) {
				t.Errorf("got %v\nwant %v", got, tt.want)
			}
			// Polling every 10 ms instead of every 1 ms delays each key by
			// less than one poll, and delivers as many.
			got := simulate(t, tt.cfg, tt.wires, 10, tt.end)
			if len(got) != len(tt.want) {
				t.Fatalf("polling every 10 ms: %v", got)
			}
			for i, e := range got {
				if d := e.ms - tt.want[i].ms; e.key != tt.want[i].key || d < 0 || d >= 10 {
					t.Errorf("polling every 10 ms: event %d = %v, want %v", i, e, tt.want[i])
				}
			}
		})
	}
}

// TestLatePoll checks that a poll that comes late delivers one repeat, not
// the ones it missed.
func TestLatePoll(t *testing.T) {
	pin := newPin("up", gpio.High)
	k, err := setup([]Key{{Key: panel.KeyUp, Pin: pin, Repeat: true}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	set(pin, gpio.Low)
	var got []int
	for _, ms := range []int{0, 30, 2000, 2100, 2150} {
		k.scan(t0.Add(time.Duration(ms)*time.Millisecond), func(panel.Key) { got = append(got, ms) })
	}
	if want := []int{30, 2000, 2150}; !slices.Equal(got, want) {
		t.Errorf("keys at %v ms, want %v", got, want)
	}
}

// TestChannel drives Keys through its ticks channel and reads the keys it
// delivers. It runs in a bubble so that it can wait until the poller has
// scanned the pins at the last tick before it changes them again: the
// poller reads a pin after it receives a tick, and a pin changed before that
// read would count at the wrong time.
func TestChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up, send := newPin("up", gpio.High), newPin("send", gpio.High)
		ticks := make(chan time.Time)
		k, err := Open([]Key{{Key: panel.KeyUp, Pin: up}, {Key: panel.KeySend, Pin: send}}, Config{Ticks: ticks, Pull: gpio.PullUp})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []*gpiotest.Pin{up, send} {
			if pull := p.Pull(); pull != gpio.PullUp {
				t.Errorf("%s: pull %v, want the pull-up", p, pull)
			}
		}
		now := t0
		// poll sends the ticks of the next 40 ms, 10 ms apart, and waits
		// until the poller has scanned at the last of them.
		poll := func() {
			for range 4 {
				ticks <- now
				now = now.Add(10 * time.Millisecond)
			}
			synctest.Wait()
		}
		for _, want := range []struct {
			pin *gpiotest.Pin
			key panel.Key
		}{{send, panel.KeySend}, {up, panel.KeyUp}} {
			set(want.pin, gpio.Low)
			poll() // steady for 30 ms: a press
			select {
			case got := <-k.C():
				if got != want.key {
					t.Fatalf("got %v, want %v", got, want.key)
				}
			default:
				t.Fatalf("no %v after %v pressed", want.key, DefaultDebounce+DefaultPoll)
			}
			set(want.pin, gpio.High)
			poll() // and a release
			select {
			case got := <-k.C():
				t.Fatalf("%v after %v was released", got, want.key)
			default:
			}
		}
		if err := errors.Join(k.Close(), k.Close()); err != nil {
			t.Fatal(err)
		}
		if key, ok := <-k.C(); ok {
			t.Errorf("after Close: %v", key)
		}
	})
}

// TestTicker runs Keys on its own ticker, in a bubble of virtual time.
func TestTicker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pin := newPin("back", gpio.High)
		k, err := Open([]Key{{Key: panel.KeyBack, Pin: pin}}, Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		set(pin, gpio.Low)
		time.Sleep(DefaultDebounce + 2*DefaultPoll)
		synctest.Wait()
		select {
		case got := <-k.C():
			if got != panel.KeyBack {
				t.Errorf("got %v", got)
			}
		default:
			t.Error("no key after the debounce time")
		}
	})
}

// TestClosedTicks checks that Keys stops when its ticks end.
func TestClosedTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ticks := make(chan time.Time)
		k, err := Open([]Key{{Key: panel.KeyOK, Pin: newPin("ok", gpio.High)}}, Config{Ticks: ticks})
		if err != nil {
			t.Fatal(err)
		}
		close(ticks)
		synctest.Wait()
		select {
		case _, ok := <-k.C():
			if ok {
				t.Error("a key from nowhere")
			}
		default:
			t.Fatal("C not closed")
		}
		k.Close()
	})
}

func TestFullBufferDrops(t *testing.T) {
	pin := newPin("down", gpio.High)
	k, err := setup([]Key{{Key: panel.KeyDown, Pin: pin}}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 * buffer {
		set(pin, gpio.Low)
		k.scan(t0.Add(time.Duration(i*100)*time.Millisecond), k.emit)
		k.scan(t0.Add(time.Duration(i*100+30)*time.Millisecond), k.emit)
		set(pin, gpio.High)
		k.scan(t0.Add(time.Duration(i*100+50)*time.Millisecond), k.emit)
		k.scan(t0.Add(time.Duration(i*100+80)*time.Millisecond), k.emit)
	}
	if len(k.c) != buffer {
		t.Errorf("%d keys waiting, want %d", len(k.c), buffer)
	}
}

func TestOpenErrors(t *testing.T) {
	broken := gpiofake.New("GPIO4", gpio.High)
	broken.Fail(errors.New("busy"))
	tests := []struct {
		keys []Key
		cfg  Config
		want string
	}{
		{nil, Config{}, "keys: no keys"},
		{[]Key{{Key: panel.KeyOK}}, Config{}, "keys: key ok has no pin"},
		{[]Key{{Key: panel.KeyOK, Pin: broken}}, Config{}, "keys: key ok on GPIO4: busy"},
		{[]Key{{Key: panel.KeyOK, Pin: newPin("x", gpio.High)}}, Config{Debounce: -1}, "keys: negative duration"},
	}
	for _, tt := range tests {
		if _, err := Open(tt.keys, tt.cfg); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Open(%v) = %v, want %q", tt.keys, err, tt.want)
		}
	}
}
