package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// vclock is a virtual clock that only moves when a scriptPort read times
// out, so that protocol runs with timeouts take no real time.
type vclock struct{ t time.Time }

func (c *vclock) now() time.Time { return c.t }

// scriptPort plays back fixed input in chunks; once it is used up, every
// read times out and advances the clock by the read timeout.
type scriptPort struct {
	clock   *vclock
	in      []byte
	chunk   int
	timeout time.Duration
	out     bytes.Buffer
}

func (p *scriptPort) SetReadTimeout(d time.Duration) error { p.timeout = d; return nil }

func (p *scriptPort) Read(b []byte) (int, error) {
	if len(p.in) == 0 {
		d := p.timeout
		if d <= 0 {
			d = time.Hour
		}
		p.clock.t = p.clock.t.Add(d)
		return 0, fmt.Errorf("script: %w", ErrTimeout)
	}
	n := copy(b, p.in[:min(len(p.in), p.chunk)])
	p.in = p.in[n:]
	return n, nil
}

func (p *scriptPort) Write(b []byte) (int, error) { return p.out.Write(b) }
func (p *scriptPort) Close() error                { return nil }

// memSink keeps received files in memory and checks that none is committed
// with a size other than the one announced.
type memSink struct{ t *testing.T }

type memIncoming struct {
	t    *testing.T
	name string
	size int64
	buf  bytes.Buffer
}

func (s memSink) Create(name string, size int64, _ time.Time) (Incoming, error) {
	return &memIncoming{t: s.t, name: name, size: size}, nil
}

func (in *memIncoming) Write(p []byte) (int, error) { return in.buf.Write(p) }
func (in *memIncoming) Abort() error                { return nil }
func (in *memIncoming) Commit() (File, error) {
	if in.size >= 0 && int64(in.buf.Len()) != in.size {
		in.t.Fatalf("committed %q with %d bytes, announced %d", in.name, in.buf.Len(), in.size)
	}
	return File{Name: CleanName(in.name), Size: int64(in.buf.Len())}, nil
}

// senderScript is what a well-behaved sender puts on the line for one
// small file, as a seed.
func senderScript() []byte {
	hdr, _ := encodeHeader("a.tif", 130, time.Unix(1700000000, 0))
	end, _ := encodeHeader("", 0, time.Time{})
	var s []byte
	s = append(s, encodeBlock(0, hdr)...)
	s = append(s, encodeBlock(1, bytes.Repeat([]byte{7}, shortBlock))...)
	s = append(s, encodeBlock(2, bytes.Repeat([]byte{cpmEOF}, shortBlock))...)
	s = append(s, eot, eot)
	return append(s, encodeBlock(0, end)...)
}

func TestScriptedReceive(t *testing.T) {
	clock := &vclock{t: time.Unix(0, 0)}
	p := &scriptPort{clock: clock, in: senderScript(), chunk: 7}
	r := newYmodemReceiver(Options{}.withDefaults())
	r.now = clock.now
	files, err := r.Receive(context.Background(), p, memSink{t})
	if err != nil || len(files) != 1 || files[0].Size != 130 {
		t.Fatalf("files %+v, err %v", files, err)
	}
	if got, want := p.out.String(), "C\x06C\x06\x06\x15\x06C\x06"; got != want {
		t.Fatalf("receiver wrote %q, want %q", got, want)
	}
}

// TestSenderLeavesNextRequest checks that a sender does not swallow the
// request of the next pull when it arrives together with its last reply.
func TestSenderLeavesNextRequest(t *testing.T) {
	clock := &vclock{t: time.Unix(0, 0)}
	replies := "C\x06C\x06\x06\x15\x06C\x06"
	p := &scriptPort{clock: clock, in: []byte(replies + "C"), chunk: 100}
	s := newYmodemSender(Options{}.withDefaults())
	s.now = clock.now
	if err := s.Send(context.Background(), p, []SendFile{BytesFile("a.tif", time.Time{}, make([]byte, 130))}); err != nil {
		t.Fatal(err)
	}
	if string(p.in) != "C" {
		t.Fatalf("left on the line: %q, want the next request", p.in)
	}
}

func FuzzYmodemReceive(f *testing.F) {
	f.Add(senderScript(), uint8(200))
	f.Add(senderScript()[:150], uint8(1))
	f.Add([]byte{can, can}, uint8(1))
	f.Add([]byte{eot, soh, 0, 0xff}, uint8(3))
	f.Fuzz(func(t *testing.T, script []byte, chunk uint8) {
		clock := &vclock{t: time.Unix(0, 0)}
		p := &scriptPort{clock: clock, in: script, chunk: int(chunk%64) + 1}
		r := newYmodemReceiver(Options{}.withDefaults())
		r.now = clock.now
		// memSink fails the test if a file is committed short or long; the
		// virtual clock makes every run end by the idle timeout at the latest.
		files, err := r.Receive(context.Background(), p, memSink{t})
		if err == nil && bytes.Count(script, []byte{eot}) < 2*len(files) {
			t.Fatalf("%d files without an EOT pair each", len(files))
		}
	})
}

func FuzzYmodemSend(f *testing.F) {
	f.Add([]byte("C\x06C\x06\x06\x15\x06C\x06"), uint8(1))
	f.Add([]byte("C\x15\x15\x18\x18"), uint8(2))
	f.Add([]byte("C\x06C\x18x\x06"), uint8(5))
	f.Fuzz(func(t *testing.T, script []byte, chunk uint8) {
		clock := &vclock{t: time.Unix(0, 0)}
		p := &scriptPort{clock: clock, in: script, chunk: int(chunk%8) + 1}
		s := newYmodemSender(Options{}.withDefaults())
		s.now = clock.now
		err := s.Send(context.Background(), p, []SendFile{BytesFile("a.tif", time.Time{}, bytes.Repeat([]byte{1}, 1500))})
		if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrCancelled) && !errors.Is(err, ErrDamaged) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}
