package device

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

// zscript builds what a ZMODEM peer puts on the line.
type zscript struct {
	enc *zencoder
	b   []byte
}

func newZscript(crc32 bool) *zscript { return &zscript{enc: newZencoder(false, crc32)} }

func (s *zscript) hex(h zheader) *zscript { s.b = appendHexHeader(s.b, h); return s }
func (s *zscript) bin(h zheader) *zscript { s.b = s.enc.header(s.b, h); return s }
func (s *zscript) raw(b string) *zscript  { s.b = append(s.b, b...); return s }
func (s *zscript) sub(data []byte, end byte) *zscript {
	s.b = s.enc.subpacket(s.b, data, end)
	return s
}

// file adds ZFILE with its info subpacket.
func (s *zscript) file(name string, size int64) *zscript {
	info, _ := zfileInfo(SendFile{Name: name, Size: size, ModTime: time.Unix(1700000000, 0)}, 1, size)
	return s.bin(zheader{typ: zfile, arg: [4]byte{3: zcbin}}).sub(info, zcrcw)
}

// senderZscript is what a well-behaved sender puts on the line for one
// file of 300 bytes, as a seed.
func senderZscript() []byte {
	data := bytes.Repeat([]byte{0x18, '@', '\r', 7}, 75)
	return newZscript(true).raw("rz\r").hex(zheader{typ: zrqinit}).file("a.tif", 300).
		bin(posHeader(zdata, 0)).sub(data[:200], zcrcg).sub(data[200:], zcrce).
		bin(posHeader(zeof, 300)).hex(zheader{typ: zfin}).raw("OO").b
}

// zreceive runs the receiver on script, read in chunks of chunk bytes,
// with a virtual clock.
func zreceive(t *testing.T, script []byte, chunk int) (*scriptPort, []File, error) {
	clock := &vclock{t: time.Unix(0, 0)}
	p := &scriptPort{clock: clock, in: script, chunk: chunk}
	m := NewZmodem(Options{}, ZmodemOptions{})
	m.now = clock.now
	files, err := m.Receive(context.Background(), p, memSink{t})
	return p, files, err
}

func TestZmodemScriptedReceive(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 30)
	bad := newZscript(true).sub(data, zcrce).b
	bad[5] ^= 0x01 // a damaged subpacket
	end := newZscript(true).hex(zheader{typ: zfin}).raw("OO").b
	tests := []struct {
		name    string
		script  []byte
		wantErr error
		files   int
		check   func(t *testing.T, out string)
	}{
		{name: "one file", script: senderZscript(), files: 1},
		{
			name: "CRC-16 frames and upper-case hex",
			script: append(newZscript(false).raw("**\x18B0000000000000000\r\x8a\x11").file("a", 300).
				bin(posHeader(zdata, 0)).sub(data, zcrcw).bin(posHeader(zeof, 300)).b, end...),
			files: 1,
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, string(appendHexHeader(nil, posHeader(zack, 300)))) {
					t.Errorf("no ZACK(300) for the ZCRCW subpacket in %q", out)
				}
			},
		},
		{
			name: "attention string before ZRPOS",
			script: append(append(newZscript(true).bin(zheader{typ: zsinit}).sub([]byte("ATN\x00"), zcrcw).file("a", 300).
				bin(posHeader(zdata, 0)).b, bad...), append(newZscript(true).bin(posHeader(zdata, 0)).sub(data, zcrce).
				bin(posHeader(zeof, 300)).b, end...)...),
			files: 1,
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, "ATN"+string(appendHexHeader(nil, posHeader(zrpos, 0)))) {
					t.Errorf("no attention string before ZRPOS in %q", out)
				}
				if !strings.Contains(out, string(appendHexHeader(nil, posHeader(zack, 1)))) {
					t.Errorf("ZSINIT not acknowledged in %q", out)
				}
			},
		},
		{
			name: "overlapping frames",
			script: append(newZscript(true).file("a", 300).bin(posHeader(zdata, 0)).sub(data[:200], zcrce).
				bin(posHeader(zdata, 100)).sub(data[100:], zcrce).bin(posHeader(zeof, 300)).b, end...),
			files: 1,
		},
		{
			name: "a command is not run",
			script: append(newZscript(true).bin(zheader{typ: zcommand}).sub([]byte("rm -rf /\x00"), zcrcw).
				file("a", 300).bin(posHeader(zdata, 0)).sub(data, zcrce).bin(posHeader(zeof, 300)).b, end...),
			files: 1,
		},
		{
			name:    "ends short",
			script:  newZscript(true).file("a", 400).bin(posHeader(zdata, 0)).sub(data, zcrce).bin(posHeader(zeof, 300)).b,
			wantErr: ErrDamaged,
		},
		{
			name:    "longer than announced",
			script:  newZscript(true).file("a", 200).bin(posHeader(zdata, 0)).sub(data, zcrce).b,
			wantErr: ErrDamaged,
		},
		{
			name:    "cancelled in a subpacket",
			script:  newZscript(true).file("a", 300).bin(posHeader(zdata, 0)).raw("0123\x18\x18\x18\x18\x18\x18\x18\x18\x18\x18\b\b\b\b\b\b\b\b\b\b").b,
			wantErr: ErrCancelled,
			check: func(t *testing.T, out string) {
				if strings.Contains(out, "\x18\x18\x18\x18\x18") {
					t.Errorf("receiver cancelled a cancelled transfer: %q", out)
				}
			},
		},
		{
			name:    "cancelled between frames",
			script:  newZscript(true).file("a", 300).raw("\x18\x18\x18\x18\x18\x18\x18\x18\x18\x18\b\b\b\b\b\b\b\b\b\b").b,
			wantErr: ErrCancelled,
		},
		{
			name:    "ZABORT",
			script:  newZscript(true).hex(zheader{typ: zabort}).b,
			wantErr: ErrCancelled,
		},
		{
			name:    "silence",
			script:  []byte("rz\r"),
			wantErr: ErrTimeout,
			check: func(t *testing.T, out string) {
				if strings.Contains(out, "\x18\x18") {
					t.Errorf("receiver cancelled a peer that sent no header: %q", out)
				}
			},
		},
		{
			name:    "damaged headers only",
			script:  bytes.Repeat([]byte("*\x18A garbage "), 5000),
			wantErr: ErrDamaged,
		},
		{
			name:    "garbage only",
			script:  bytes.Repeat([]byte("garbage\x18\x18\r\n"), 5000),
			wantErr: ErrTimeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunk := range []int{1, 7, 4096} {
				p, files, err := zreceive(t, tt.script, chunk)
				if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
					t.Fatalf("chunk %d: err %v, want %v", chunk, err, tt.wantErr)
				}
				if len(files) != tt.files {
					t.Fatalf("chunk %d: %d files, want %d", chunk, len(files), tt.files)
				}
				if tt.check != nil {
					tt.check(t, p.out.String())
				}
			}
		})
	}
}

// zevent is a header, or a data subpacket with its end, in a decoded
// stream.
type zevent struct {
	h    zheader
	kind byte // zhex, zbin or zbin32 for a header, 0 for a subpacket
	data []byte
	end  byte
}

// decodeZstream decodes a sender's stream: headers, and the subpackets
// after ZFILE, ZSINIT and ZDATA.
func decodeZstream(t *testing.T, stream []byte) []zevent {
	t.Helper()
	clock := &vclock{t: time.Unix(0, 0)}
	l := newLink(context.Background(), &scriptPort{clock: clock, in: stream, chunk: 4096}, time.Second, clock.now)
	z := zreader{l: l, gap: time.Second}
	var evs []zevent
	for {
		h, kind, err := z.header(time.Second)
		if err != nil {
			return evs
		}
		evs = append(evs, zevent{h: h, kind: kind})
		if h.typ != zfile && h.typ != zsinit && h.typ != zdata {
			continue
		}
		for {
			data, end, err := z.subpacket(make([]byte, maxSubpacket), kind == zbin32)
			if err != nil {
				t.Fatalf("subpacket after %s: %v", zname(h.typ), err)
			}
			evs = append(evs, zevent{data: data, end: end})
			if end == zcrce || end == zcrcw {
				break
			}
		}
	}
}

// zsend runs the sender against the scripted replies of a receiver.
func zsend(t *testing.T, replies []byte, z ZmodemOptions, files []SendFile) ([]byte, error) {
	clock := &vclock{t: time.Unix(0, 0)}
	p := &scriptPort{clock: clock, in: replies, chunk: 1}
	m := NewZmodem(Options{}, z)
	m.now = clock.now
	err := m.Send(context.Background(), p, files)
	return p.out.Bytes(), err
}

// TestZmodemSenderHonoursReceiver plays a receiver with a 1 KB buffer
// and no CRC-32: the sender ends a frame with ZCRCW at each kilobyte,
// waits for ZACK, and frames everything with CRC-16.
func TestZmodemSenderHonoursReceiver(t *testing.T) {
	data := pattern3000()
	replies := newZscript(false).hex(zheader{typ: zrinit, arg: [4]byte{0: 0x00, 1: 0x04, 3: zCanFDX | zCanOVIO}}).
		hex(posHeader(zrpos, 0)).hex(posHeader(zack, 1024)).hex(posHeader(zack, 2048)).
		hex(zheader{typ: zrinit}).hex(zheader{typ: zfin}).b
	out, err := zsend(t, replies, ZmodemOptions{Subpacket: MaxSubpacket}, []SendFile{BytesFile("a.bin", time.Time{}, data)})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	var shape []string
	for _, ev := range decodeZstream(t, out) {
		switch {
		case ev.kind == zbin32:
			t.Fatalf("CRC-32 header %s for a receiver without CANFC32", zname(ev.h.typ))
		case ev.kind != 0:
			shape = append(shape, zname(ev.h.typ))
		case ev.end != 0 && len(shape) > 0 && shape[len(shape)-1] != "ZFILE":
			got = append(got, ev.data...)
			shape = append(shape, string(rune(ev.end)))
		}
	}
	if want := "ZRQINIT ZFILE ZDATA k ZDATA k ZDATA h ZEOF ZFIN"; strings.Join(shape, " ") != want {
		t.Errorf("sender sent %s\nwant           %s", strings.Join(shape, " "), want)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("data differ")
	}
	if !bytes.HasSuffix(out, []byte("OO")) {
		t.Errorf("no OO at the end")
	}
}

func pattern3000() []byte {
	b := make([]byte, 3000)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

// TestZmodemSenderAnswers checks the sender's answers to ZCRC, ZCHALLENGE
// and ZSKIP.
func TestZmodemSenderAnswers(t *testing.T) {
	data := pattern3000()
	replies := newZscript(true).hex(zheader{typ: zrinit, arg: [4]byte{3: zCanFDX | zCanOVIO | zCanFC32}}).
		hex(posHeader(zchallenge, 0x12345678)).hex(posHeader(zcrc, 100)).hex(zheader{typ: zskip}).
		hex(posHeader(zcrc, 0)).hex(zheader{typ: zskip}).hex(zheader{typ: zfin}).b
	files := []SendFile{BytesFile("a.bin", time.Time{}, data), BytesFile("b.bin", time.Time{}, data)}
	out, err := zsend(t, replies, ZmodemOptions{WaitForPull: true}, files)
	if err != nil {
		t.Fatal(err)
	}
	var crcs []uint32
	var acks []int64
	for _, ev := range decodeZstream(t, out) {
		switch {
		case ev.kind != 0 && ev.h.typ == zcrc:
			crcs = append(crcs, uint32(ev.h.pos()))
		case ev.kind != 0 && ev.h.typ == zack:
			acks = append(acks, ev.h.pos())
		case ev.kind != 0 && ev.h.typ == zrqinit:
			t.Error("a sender that waits for the pull sent ZRQINIT")
		case ev.kind != 0 && ev.h.typ == zdata:
			t.Error("data for a skipped file")
		}
	}
	if want := []uint32{crc32.ChecksumIEEE(data[:100]), crc32.ChecksumIEEE(data)}; len(crcs) != 2 || crcs[0] != want[0] || crcs[1] != want[1] {
		t.Errorf("ZCRC answers %x, want %x", crcs, want)
	}
	if len(acks) != 1 || acks[0] != 0x12345678 {
		t.Errorf("challenge answers %x", acks)
	}
}

func FuzzZmodemHeader(f *testing.F) {
	f.Add(appendHexHeader(nil, posHeader(zrpos, 12345)))
	f.Add(newZscript(false).bin(posHeader(zdata, 1<<31)).b)
	f.Add(newZscript(true).bin(zheader{typ: zfile, arg: [4]byte{3: zcbin}}).b)
	f.Add([]byte("**\x18B0100000023BE50\r\x8a\x11*\x18\x18\x18\x18\x18"))
	f.Add([]byte("***\x18C\x18l\x18m\x11\x18\x11X"))
	f.Fuzz(func(t *testing.T, in []byte) {
		clock := &vclock{t: time.Unix(0, 0)}
		l := newLink(context.Background(), &scriptPort{clock: clock, in: in, chunk: 5}, time.Second, clock.now)
		z := zreader{l: l, gap: 100 * time.Millisecond}
		for {
			h, kind, err := z.header(100 * time.Millisecond)
			if errors.Is(err, errGarbled) || errors.As(err, new(cancelledError)) {
				continue
			}
			if err != nil {
				return
			}
			// What was read writes back the same way and reads the same.
			var again []byte
			switch kind {
			case zhex:
				again = appendHexHeader(nil, h)
			case zbin, zbin32:
				again = newZencoder(false, kind == zbin32).header(nil, h)
			default:
				t.Fatalf("header framed by %#02x", kind)
			}
			l2 := newLink(context.Background(), &scriptPort{clock: clock, in: again, chunk: 64}, time.Second, clock.now)
			h2, kind2, err := (&zreader{l: l2, gap: time.Second}).header(time.Second)
			if err != nil || h2 != h || kind2 != kind {
				t.Fatalf("%v (%#02x) read back as %v (%#02x): %v", h, kind, h2, kind2, err)
			}
		}
	})
}

func FuzzZmodemSubpacket(f *testing.F) {
	f.Add([]byte("hello\x18i\x01\x02\x03\x04"), true, false)
	f.Add(newZscript(false).sub([]byte("@\r\x18\x11"), zcrcw).b, false, true)
	f.Add([]byte("\x18l\x18m\x11\x13ab\x18\x18\x18\x18\x18"), true, true)
	f.Fuzz(func(t *testing.T, in []byte, crc32ed, escCtl bool) {
		clock := &vclock{t: time.Unix(0, 0)}
		read := func(b []byte) ([]byte, byte, error) {
			l := newLink(context.Background(), &scriptPort{clock: clock, in: b, chunk: 3}, time.Second, clock.now)
			return (&zreader{l: l, gap: 100 * time.Millisecond}).subpacket(make([]byte, maxSubpacket), crc32ed)
		}
		// Arbitrary bytes read without a panic.
		read(in)
		// Any data, written with or without escaped control characters,
		// reads back the same.
		if len(in) > maxSubpacket {
			return
		}
		for _, end := range []byte{zcrce, zcrcg, zcrcq, zcrcw} {
			data, gotEnd, err := read(newZencoder(escCtl, crc32ed).subpacket(nil, in, end))
			if err != nil || gotEnd != end || !bytes.Equal(data, in) {
				t.Fatalf("%q with end %c read back as %q, %c: %v", in, end, data, gotEnd, err)
			}
		}
	})
}

func FuzzZmodemReceive(f *testing.F) {
	f.Add(senderZscript(), uint8(200))
	f.Add(senderZscript()[:150], uint8(1))
	f.Add(newZscript(false).file("x", 3).bin(posHeader(zdata, 0)).sub([]byte("abc"), zcrcq).bin(posHeader(zeof, 3)).b, uint8(9))
	f.Add([]byte("\x18\x18\x18\x18\x18"), uint8(1))
	f.Fuzz(func(t *testing.T, script []byte, chunk uint8) {
		// memSink fails the test if a file is committed short or long; the
		// virtual clock makes every run end by the idle timeout at the
		// latest.
		_, files, err := zreceive(t, script, int(chunk%64)+1)
		eofs := bytes.Count(script, []byte{zeof}) + bytes.Count(script, []byte("0b")) + bytes.Count(script, []byte("0B"))
		if err == nil && eofs < len(files) {
			t.Fatalf("%d files without a ZEOF each", len(files))
		}
	})
}

func FuzzZmodemSend(f *testing.F) {
	f.Add(newZscript(true).hex(zheader{typ: zrinit, arg: [4]byte{3: 0x23}}).hex(posHeader(zrpos, 0)).hex(zheader{typ: zrinit}).hex(zheader{typ: zfin}).b)
	f.Add(newZscript(true).hex(zheader{typ: zrinit, arg: [4]byte{1: 1, 3: 0x03}}).hex(posHeader(zrpos, 700)).hex(posHeader(zack, 256)).hex(posHeader(zrpos, 10)).b)
	f.Add([]byte("**\x18B0100000023be50\r\x8a\x11\x18\x18\x18\x18\x18"))
	f.Fuzz(func(t *testing.T, replies []byte) {
		_, err := zsend(t, replies, ZmodemOptions{}, []SendFile{BytesFile("a.tif", time.Time{}, pattern3000())})
		if err != nil && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrCancelled) && !errors.Is(err, ErrDamaged) && !errors.Is(err, ErrProtocol) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

// The CR, LF and XON after a hex header the sender has just read do not
// count as the receiver speaking again: a receiver that repeats ZRINIT
// while the ZFILE offer was damaged must still see the offer again.
func TestZmodemSenderQuietAfterHexHeader(t *testing.T) {
	for _, tt := range []struct {
		left  string
		quiet bool
	}{
		{"\r\x8a\x11", true},
		{"\r\n", true},
		{"\x91", true},
		{"\r\x8a\x11*", false},
		{"\x18", false},
	} {
		clock := &vclock{t: time.Unix(0, 0)}
		l := newLink(context.Background(), &scriptPort{clock: clock, in: []byte(tt.left), chunk: 64}, time.Second, clock.now)
		l.single = true // as the sender reads: the header's trailer is still on the line
		tx := &zmodemTx{l: l, w: waitsFor(time.Second)}
		if quiet, err := tx.quiet(); quiet != tt.quiet || err != nil {
			t.Errorf("after %q left on the line: quiet = %v, %v; want %v", tt.left, quiet, err, tt.quiet)
		}
	}
}

// writeTimes is a scriptPort that also notes when each write happened.
type writeTimes struct {
	*scriptPort
	at     []time.Time
	writes [][]byte
}

func (p *writeTimes) Write(b []byte) (int, error) {
	p.at = append(p.at, p.clock.t)
	p.writes = append(p.writes, bytes.Clone(b))
	return p.scriptPort.Write(b)
}

// A receiver that lost track while the data streamed (its ZRPOS was damaged on the way) takes the ZEOF that
// follows for one at the wrong place: lrzsz's rz ignores it and asks again only after 10 s of quiet. The
// sender must leave it that quiet; repeating ZEOF every few seconds restarted rz's wait each time, and the two
// waited for each other until the idle timeout.
func TestZmodemSenderLetsTheReceiverTimeOut(t *testing.T) {
	const rzTimeout = 10 * time.Second
	data := pattern3000()
	replies := newZscript(true).hex(zheader{typ: zrinit, arg: [4]byte{3: zCanFDX | zCanOVIO | zCanFC32}}).
		hex(posHeader(zrpos, 0)).b // then silence
	clock := &vclock{t: time.Unix(0, 0)}
	p := &writeTimes{scriptPort: &scriptPort{clock: clock, in: replies, chunk: 1}}
	m := NewZmodem(Options{Timeout: 45 * time.Second}, ZmodemOptions{})
	m.now = clock.now
	if err := m.Send(context.Background(), p, []SendFile{BytesFile("scan.tif", time.Time{}, data)}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Send to a silent receiver: %v", err)
	}
	var eofs []time.Time
	for i, w := range p.writes {
		if len(w) >= 4 && w[0] == zpad && w[1] == zdle && (w[2] == zbin || w[2] == zbin32) && w[3] == zeof {
			eofs = append(eofs, p.at[i])
		}
	}
	longest := time.Duration(0)
	for i := 1; i < len(eofs); i++ {
		longest = max(longest, eofs[i].Sub(eofs[i-1]))
	}
	if len(eofs) < 2 || longest <= rzTimeout {
		t.Errorf("ZEOF sent %d times, at most %v apart: the receiver never gets %v of quiet to ask again", len(eofs), longest, rzTimeout)
	}
}
