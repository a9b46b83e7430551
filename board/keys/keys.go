package keys

import (
	"cmp"
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/scangate/gateway/panel"
)

// Defaults of Config.
const (
	// DefaultDebounce is how long a key must read steady before a press or
	// a release counts.
	DefaultDebounce = 30 * time.Millisecond
	// DefaultRepeatDelay is how long a repeating key is held before it
	// repeats.
	DefaultRepeatDelay = 600 * time.Millisecond
	// DefaultRepeatInterval is the time between repeats.
	DefaultRepeatInterval = 150 * time.Millisecond
	// DefaultPoll is the time between two readings of the pins.
	DefaultPoll = 10 * time.Millisecond
)

// buffer is how many key presses wait for the reader; more are dropped.
const buffer = 16

// Key is one key of the panel on a GPIO input.
type Key struct {
	Key panel.Key
	Pin gpio.PinIn
	// Repeat makes the key repeat while held (arrows, typically; never
	// send or stop).
	Repeat bool
}

// Config tunes Open. Zero durations mean the defaults.
type Config struct {
	Debounce       time.Duration
	RepeatDelay    time.Duration
	RepeatInterval time.Duration
	Poll           time.Duration
	// ActiveHigh says a pressed key reads high. By default a pressed key
	// reads low: the key connects the pin to ground, against a pull-up.
	ActiveHigh bool
	// Pull is set on every pin. gpio.PullNoChange (the zero value) keeps
	// what the board set up, for pins without a settable pull.
	Pull gpio.Pull
	// Ticks, when not nil, delivers the poll times instead of a ticker
	// every Poll; tests send virtual times.
	Ticks <-chan time.Time
}

// state is the debouncing state of one key.
type state struct {
	Key
	raw       bool      // the last reading: pressed or not
	since     time.Time // when raw last changed
	pressed   bool      // the debounced state
	repeating bool      // pressed by a counted press: repeats are due
	next      time.Time // when the next repeat is due
}

// Keys polls the pins of the panel's keys and delivers debounced presses on
// C.
type Keys struct {
	cfg       Config
	keys      []*state
	c         chan panel.Key
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// Open sets up the pins as inputs and starts polling them. A key already
// pressed now counts only after it has been released.
func Open(keys []Key, cfg Config) (*Keys, error) {
	k, err := setup(keys, cfg)
	if err != nil {
		return nil, err
	}
	ticks, stopTicker := k.cfg.Ticks, func() {}
	if ticks == nil {
		t := time.NewTicker(k.cfg.Poll)
		ticks, stopTicker = t.C, t.Stop
	}
	go k.run(ticks, stopTicker)
	return k, nil
}

// setup checks the configuration and sets up the pins.
func setup(keys []Key, cfg Config) (*Keys, error) {
	if len(keys) == 0 {
		return nil, errors.New("keys: no keys")
	}
	for _, d := range []*time.Duration{&cfg.Debounce, &cfg.RepeatDelay, &cfg.RepeatInterval, &cfg.Poll} {
		if *d < 0 {
			return nil, fmt.Errorf("keys: negative duration %v", *d)
		}
	}
	cfg.Debounce = cmp.Or(cfg.Debounce, DefaultDebounce)
	cfg.RepeatDelay = cmp.Or(cfg.RepeatDelay, DefaultRepeatDelay)
	cfg.RepeatInterval = cmp.Or(cfg.RepeatInterval, DefaultRepeatInterval)
	cfg.Poll = cmp.Or(cfg.Poll, DefaultPoll)
	k := &Keys{cfg: cfg, c: make(chan panel.Key, buffer), stop: make(chan struct{}), done: make(chan struct{})}
	for _, key := range keys {
		if key.Pin == nil {
			return nil, fmt.Errorf("keys: key %s has no pin", key.Key)
		}
		if err := key.Pin.In(cfg.Pull, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("keys: key %s on %s: %w", key.Key, key.Pin, err)
		}
		s := &state{Key: key, raw: k.read(key.Pin)}
		s.pressed = s.raw
		k.keys = append(k.keys, s)
	}
	return k, nil
}

// C delivers the key presses and repeats. It is closed by Close, and when
// Config.Ticks is closed. When the reader falls more than 16 presses
// behind, further presses are dropped.
func (k *Keys) C() <-chan panel.Key { return k.c }

// Close stops polling and closes C. It may be called more than once.
func (k *Keys) Close() error {
	k.closeOnce.Do(func() { close(k.stop) })
	<-k.done
	return nil
}

func (k *Keys) run(ticks <-chan time.Time, stopTicker func()) {
	defer close(k.done)
	defer close(k.c)
	defer stopTicker()
	for {
		select {
		case <-k.stop:
			return
		case now, ok := <-ticks:
			if !ok {
				return
			}
			k.scan(now, k.emit)
		}
	}
}

func (k *Keys) emit(key panel.Key) {
	select {
	case k.c <- key:
	default:
	}
}

// read reports whether the key on pin is pressed now.
func (k *Keys) read(pin gpio.PinIn) bool {
	return (pin.Read() == gpio.High) == k.cfg.ActiveHigh
}

// scan reads every key at time now and emits the presses and repeats due.
//
// A reading that differs from the last one restarts the key's steady time;
// once a key has read the same for Debounce and that differs from its
// debounced state, it is pressed (emitted) or released. A repeating key held
// for RepeatDelay is emitted again every RepeatInterval while it reads
// pressed; a late poll emits one repeat, not a burst.
func (k *Keys) scan(now time.Time, emit func(panel.Key)) {
	for _, s := range k.keys {
		raw := k.read(s.Pin)
		if raw != s.raw {
			s.raw, s.since = raw, now
		}
		if raw != s.pressed && now.Sub(s.since) >= k.cfg.Debounce {
			s.pressed, s.repeating = raw, raw && s.Repeat
			if raw {
				emit(s.Key.Key)
				s.next = now.Add(k.cfg.RepeatDelay)
			}
			continue
		}
		if s.repeating && raw && !now.Before(s.next) {
			emit(s.Key.Key)
			s.next = s.next.Add(k.cfg.RepeatInterval)
			if !s.next.After(now) {
				s.next = now.Add(k.cfg.RepeatInterval)
			}
		}
	}
}
