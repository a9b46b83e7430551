package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// tricklePort is a machine that sends its script one byte every every,
// on a virtual clock: a read waits for the next byte, or times out first,
// and moves the clock on either way. Once the script is used up the line
// is silent.
type tricklePort struct {
	clock   *vclock
	in      []byte
	every   time.Duration
	next    time.Time // when the next byte arrives
	timeout time.Duration
	out     bytes.Buffer
}

func (p *tricklePort) SetReadTimeout(d time.Duration) error { p.timeout = d; return nil }
func (p *tricklePort) Write(b []byte) (int, error)          { return p.out.Write(b) }
func (p *tricklePort) Close() error                         { return nil }

func (p *tricklePort) Read(b []byte) (int, error) {
	if p.next.IsZero() {
		p.next = p.clock.t.Add(p.every)
	}
	if len(p.in) == 0 || p.timeout > 0 && p.clock.t.Add(p.timeout).Before(p.next) {
		p.clock.t = p.clock.t.Add(p.timeout)
		return 0, fmt.Errorf("trickle: %w", ErrTimeout)
	}
	p.clock.t = p.next
	b[0], p.in = p.in[0], p.in[1:]
	p.next = p.clock.t.Add(p.every)
	return 1, nil
}

// trickleZmodem is a ZMODEM sender's stream for one file announced as
// size bytes, with 16 KB of its data.
func trickleZmodem(size int64) []byte {
	s := newZscript(true).file("scan.tif", size).bin(posHeader(zdata, 0))
	for range 16 {
		s.sub(bytes.Repeat([]byte{'x'}, 1024), zcrcg)
	}
	return s.b
}

// trickleYmodem is a YMODEM sender's stream for one file announced as
// size bytes, with 16 KB of its data.
func trickleYmodem(size int64) []byte {
	hdr, _ := encodeHeader("scan.tif", size, time.Unix(1700000000, 0))
	s := encodeBlock(0, hdr)
	for i := range 16 {
		s = append(s, encodeBlock(byte(i+1), bytes.Repeat([]byte{'x'}, longBlock))...)
	}
	return s
}

// trickleXmodem is an XMODEM sender's stream of 16 KB.
func trickleXmodem() []byte {
	var s []byte
	for i := range 16 {
		s = append(s, encodeXBlock(byte(i+1), bytes.Repeat([]byte{'x'}, longBlock), true)...)
	}
	return s
}

// TestFileTimeBound has a machine trickle a file a byte every 0.9 s:
// never silent for the idle timeout, nor inside a block for its gap, but
// far too slow. The receiver cancels the transfer when the file's total
// bound runs out, on the link's clock, and says why.
func TestFileTimeBound(t *testing.T) {
	const every = 900 * time.Millisecond
	fast := Options{Baud: 9600, MinFileTime: time.Minute}
	tests := []struct {
		name   string
		opts   Options
		script []byte
		size   int64 // announced, -1 if not
		recv   func(Options, *vclock) Receiver
		said   string // in the error
	}{
		{
			name: "zmodem", script: trickleZmodem(20e6), size: 20e6,
			recv: func(o Options, c *vclock) Receiver { m := NewZmodem(o, ZmodemOptions{}); m.now = c.now; return m },
			said: "of 20 MB in 1h7m52s: far slower than 115200 baud",
		},
		{
			name: "zmodem, 9600 baud", opts: fast, script: trickleZmodem(100e3), size: 100e3,
			recv: func(o Options, c *vclock) Receiver { m := NewZmodem(o, ZmodemOptions{}); m.now = c.now; return m },
			said: "of 100 kB in 4m28s: far slower than 9600 baud",
		},
		{
			name: "ymodem", script: trickleYmodem(20e6), size: 20e6,
			recv: func(o Options, c *vclock) Receiver {
				r := newYmodemReceiver(o.withDefaults())
				r.now = c.now
				return r
			},
			said: "of 20 MB in 1h7m52s: far slower than 115200 baud",
		},
		{
			name: "xmodem", script: trickleXmodem(), size: -1,
			recv: func(o Options, c *vclock) Receiver { r := NewXmodemReceiver(o); r.now = c.now; return r },
			said: "of a file of unannounced size in 58m33s: far slower than 115200 baud",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &vclock{t: time.Unix(0, 0)}
			p := &tricklePort{clock: clock, in: tt.script, every: every}
			_, err := tt.recv(tt.opts, clock).Receive(context.Background(), p, memSink{t})
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "the machine sent ") || !strings.Contains(err.Error(), tt.said) {
				t.Fatalf("err %v, want ErrTimeout saying %q", err, tt.said)
			}
			t.Log(err)
			if len(p.in) == 0 {
				t.Fatal("the script ran out before the bound: make it longer")
			}
			// The bound ran out on the virtual clock, a byte's time after
			// its end at most, and not before.
			bound := tt.opts.FileTime(tt.size)
			if took := clock.t.Sub(time.Unix(0, 0)); took < bound || took > bound+every {
				t.Errorf("ended after %v of virtual time, bound %v", took, bound)
			}
			if out := p.out.Bytes(); !bytes.HasSuffix(bytes.TrimRight(out, "\b"), []byte{can, can}) {
				t.Errorf("no cancel at the end of %q", out[max(0, len(out)-40):])
			}
		})
	}
}

func TestFileTime(t *testing.T) {
	tests := []struct {
		opts Options
		size int64
		want time.Duration
	}{
		{Options{}, 0, 10 * time.Minute},
		{Options{}, 115200, 10*time.Minute + 20*time.Second},
		{Options{}, -1, 10*time.Minute + 2*AssumedSize*10*time.Second/115200},
		{Options{Baud: 9600, MinFileTime: time.Minute}, 9600, time.Minute + 20*time.Second},
		{Options{}, 1 << 62, maxFileTime},
	}
	for _, tt := range tests {
		if got := tt.opts.FileTime(tt.size); got != tt.want {
			t.Errorf("%+v.FileTime(%d) = %v, want %v", tt.opts, tt.size, got, tt.want)
		}
	}
}

// TestFileTimeGrows checks that a file of unknown size that goes on
// beyond the assumed size at a good rate gets more time as it arrives.
func TestFileTimeGrows(t *testing.T) {
	clock := &vclock{t: time.Unix(0, 0)}
	l := newLink(context.Background(), &scriptPort{clock: clock}, time.Second, clock.now).receiving(Options{}.withDefaults())
	l.startFile()
	end, _ := l.fileEnd()
	if want := time.Unix(0, 0).Add(Options{}.FileTime(AssumedSize)); !end.Equal(want) {
		t.Fatalf("bound ends at %v, want %v", end, want)
	}
	l.progress(Progress{Bytes: 3 * AssumedSize})
	if end2, _ := l.fileEnd(); !end2.Equal(time.Unix(0, 0).Add(Options{}.FileTime(3 * AssumedSize))) {
		t.Fatalf("bound after 3 times the assumed size ends at %v", end2)
	}
	l.endFile()
	if _, on := l.fileEnd(); on {
		t.Fatal("bound still on after the batch")
	}
}

func TestSizeAndDurationText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 999: "999 bytes", 1500: "1.5 kB", 100e3: "100 kB", 1234567: "1.2 MB", 20e6: "20 MB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", 58*time.Minute + 30*time.Second: "58m30s",
		time.Hour: "1h", time.Hour + 7*time.Minute + 52*time.Second + 400*time.Millisecond: "1h7m52s", 1500 * time.Millisecond: "2s"} {
		if got := durationText(d); got != want {
			t.Errorf("durationText(%v) = %q, want %q", d, got, want)
		}
	}
}
