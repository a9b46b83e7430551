package devicetest

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/scangate/gateway/device"
)

// relayPoll bounds each read of a relay, so that Stop takes effect within
// this time.
const relayPoll = 10 * time.Millisecond

// relayChunk is the most a relay reads at once.
const relayChunk = 256

// relayQueue is how many chunks a relay holds between reading and
// delivering before it stops reading: 4 KB, about a serial port's kernel
// buffer.
const relayQueue = 16

// paceChunk is the most a paced relay delivers at once: at 11520 bytes/s,
// 16 bytes are 1.4 ms on the line.
const paceChunk = 16

// Line describes one direction of a relay: its pace and its faults. The
// zero Line passes bytes unchanged and at once.
type Line struct {
	// ByteRate paces delivery to this many bytes per second, as a serial
	// line would (115200 baud 8N1 carries 11520). Zero does not pace.
	ByteRate int
	// FlipRate is the probability that a byte arrives with one bit flipped.
	FlipRate float64
	// DropRate is the probability that a byte is lost.
	DropRate float64
	// StallRate is the probability that the line stops for Stall before a
	// byte.
	StallRate float64
	Stall     time.Duration
}

// Clock is the time a relay paces and stalls by.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

// realClock is the machine's time. Its Sleep is precise to about 0.1 ms
// on Linux (see sleep_linux.go), where the runtime's timers wake up to a
// millisecond late: that would add a millisecond to every turnaround of a
// paced line, more than a real line's 87 µs for one byte.
type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { sleep(d) }

// RelayConfig configures a Relay.
type RelayConfig struct {
	AtoB, BtoA Line // what a writes to b, what b writes to a
	// Seed makes the faults repeatable: the same seed damages the same
	// bytes of the same stream.
	Seed uint64
	// Clock paces and stalls; nil means real time. A clock whose Sleep
	// only moves its time suits a relay that carries one direction.
	Clock Clock
}

// LineStats counts what a relay did to one direction.
type LineStats struct {
	Bytes   int64 // bytes read from the source
	Flipped int64 // bytes delivered with a bit flipped
	Dropped int64 // bytes lost
	Stalls  int64 // stops of the line
	// First and Last are when the first and the last byte were delivered;
	// zero if none was.
	First, Last time.Time
}

// RelayStats are the LineStats of both directions.
type RelayStats struct {
	AtoB, BtoA LineStats
}

// Relaying is a running relay.
type Relaying struct {
	clock Clock
	stop  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup

	mu    sync.Mutex
	stats RelayStats
}

// Relay copies bytes both ways between a and b until Stop, through a Line
// each way. It sets the read timeouts of a and b, reads them and writes
// them; it never closes them. A direction ends early when its source
// reports an error other than a timeout (the port was closed) or its
// destination fails a write.
//
// Each direction reads as fast as its source writes, noting when each
// chunk arrived, and delivers on a schedule: a byte leaves no earlier than
// it arrived, and no earlier than the line has carried the bytes before
// it at ByteRate. Late wake-ups from sleeping do not slow the line down.
func Relay(a, b device.Port, cfg RelayConfig) *Relaying {
	r := &Relaying{clock: cfg.Clock, stop: make(chan struct{})}
	if r.clock == nil {
		r.clock = realClock{}
	}
	r.start(a, b, cfg.AtoB, rand.New(rand.NewPCG(cfg.Seed, 1)), &r.stats.AtoB)
	r.start(b, a, cfg.BtoA, rand.New(rand.NewPCG(cfg.Seed, 2)), &r.stats.BtoA)
	return r
}

// Stop ends the relay, waits for it and returns what it did.
func (r *Relaying) Stop() RelayStats {
	r.once.Do(func() { close(r.stop) })
	r.wg.Wait()
	return r.Stats()
}

// Stats returns what the relay has done so far.
func (r *Relaying) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

func (r *Relaying) update(f func()) {
	r.mu.Lock()
	f()
	r.mu.Unlock()
}

// chunk is what a direction read at once, after the faults.
type chunk struct {
	at    time.Time     // when it was read
	stall time.Duration // how long the line stops before it
	data  []byte
}

// start runs one direction: a goroutine that reads and damages, and one
// that delivers.
func (r *Relaying) start(src, dst device.Port, line Line, rnd *rand.Rand, st *LineStats) {
	q := make(chan chunk, relayQueue)
	r.wg.Add(2)
	go r.read(src, line, rnd, st, q)
	go r.deliver(dst, line, st, q)
}

func (r *Relaying) read(src device.Port, line Line, rnd *rand.Rand, st *LineStats, q chan<- chunk) {
	defer r.wg.Done()
	defer close(q)
	if err := src.SetReadTimeout(relayPoll); err != nil {
		return
	}
	buf := make([]byte, relayChunk)
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		n, err := src.Read(buf)
		if err != nil && !errors.Is(err, device.ErrTimeout) {
			return
		}
		if n == 0 {
			continue
		}
		at := r.clock.Now()
		c := chunk{at: at}
		var flipped, dropped int64
		for _, b := range buf[:n] {
			if line.StallRate > 0 && rnd.Float64() < line.StallRate {
				// The line stops here: what came before goes first.
				if !r.put(q, c) {
					return
				}
				c = chunk{at: at, stall: line.Stall}
			}
			if line.DropRate > 0 && rnd.Float64() < line.DropRate {
				dropped++
				continue
			}
			if line.FlipRate > 0 && rnd.Float64() < line.FlipRate {
				b ^= 1 << rnd.IntN(8)
				flipped++
			}
			c.data = append(c.data, b)
		}
		r.update(func() { st.Bytes += int64(n); st.Flipped += flipped; st.Dropped += dropped })
		if !r.put(q, c) {
			return
		}
	}
}

// put queues c unless the relay stops first.
func (r *Relaying) put(q chan<- chunk, c chunk) bool {
	select {
	case q <- c:
		return true
	case <-r.stop:
		return false
	}
}

func (r *Relaying) deliver(dst device.Port, line Line, st *LineStats, q <-chan chunk) {
	defer r.wg.Done()
	var free time.Time // when the line has carried everything so far
	for {
		var c chunk
		select {
		case <-r.stop:
			return
		case next, ok := <-q:
			if !ok {
				return
			}
			c = next
		}
		if free.Before(c.at) {
			free = c.at
		}
		if c.stall > 0 {
			free = free.Add(c.stall)
			r.update(func() { st.Stalls++ })
		}
		for p := c.data; len(p) > 0; {
			n := len(p)
			if line.ByteRate > 0 {
				n = min(n, paceChunk)
				free = free.Add(time.Duration(n) * time.Second / time.Duration(line.ByteRate))
			}
			if d := free.Sub(r.clock.Now()); d > 0 {
				r.clock.Sleep(d)
			}
			if _, err := dst.Write(p[:n]); err != nil {
				return
			}
			now := r.clock.Now()
			r.update(func() {
				if st.First.IsZero() {
					st.First = now
				}
				st.Last = now
			})
			p = p[n:]
		}
	}
}
