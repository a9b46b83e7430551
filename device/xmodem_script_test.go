package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// replyPort is a scriptPort whose input grows in answer to what is
// written: answer sees each write and returns bytes for the peer to read.
type replyPort struct {
	scriptPort
	answer func(written []byte) []byte
}

func (p *replyPort) Write(b []byte) (int, error) {
	p.in = append(p.in, p.answer(b)...)
	return p.scriptPort.Write(b)
}

// checksumSender plays a sender that knows only checksum blocks: it ignores
// 'C', answers the first NAK with two blocks and both EOTs.
func checksumSender(blocks ...[]byte) func([]byte) []byte {
	started := false
	return func(w []byte) []byte {
		if started || !bytes.Contains(w, []byte{nak}) {
			return nil
		}
		started = true
		var s []byte
		for i, b := range blocks {
			s = append(s, encodeXBlock(byte(i+1), b, false)...)
		}
		return append(s, eot, eot)
	}
}

// words spells control bytes for transcripts.
func words(b []byte) string {
	names := map[byte]string{crcReq: "C", ack: "ACK", nak: "NAK", can: "CAN"}
	var s []string
	for _, c := range b {
		if n, ok := names[c]; ok {
			s = append(s, n)
		} else {
			s = append(s, fmt.Sprintf("%#02x", c))
		}
	}
	return fmt.Sprint(s)
}

// TestXmodemChecksumFallback pins the receiver's side for a sender that
// ignores 'C': three CRC requests, one ask interval apart, then checksum
// mode.
func TestXmodemChecksumFallback(t *testing.T) {
	clock := &vclock{t: time.Unix(0, 0)}
	b1, b2 := bytes.Repeat([]byte{1}, shortBlock), bytes.Repeat([]byte{cpmEOF}, shortBlock)
	p := &replyPort{scriptPort: scriptPort{clock: clock, chunk: 50}, answer: checksumSender(b1, b2)}
	r := NewXmodemReceiver(Options{})
	r.now, r.Name = clock.now, "fax.tif"
	dir := t.TempDir()
	files, err := r.Receive(context.Background(), p, DirSink(dir))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := words(p.out.Bytes()), "[C C C NAK ACK ACK NAK ACK]"; got != want {
		t.Errorf("receiver wrote %s, want %s", got, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "fax.tif"))
	if !bytes.Equal(data, append(b1, b2...)) || files[0].Size != 2*shortBlock {
		t.Errorf("received %d bytes", len(data))
	}
	// The fallback came after three ask intervals of the default timeout.
	if waited := clock.t.Sub(time.Unix(0, 0)); waited < 3*waitsFor(DefaultTimeout).ask {
		t.Errorf("fell back after %v", waited)
	}
}

// TestXmodemSenderTranscript pins the sender's side: 1K blocks while at
// least 1024 bytes remain, 128-byte blocks for the rest, EOT until ACK.
func TestXmodemSenderTranscript(t *testing.T) {
	clock := &vclock{t: time.Unix(0, 0)}
	p := &scriptPort{clock: clock, in: []byte("C\x06\x06\x06\x15\x06"), chunk: 1}
	s := newXmodemSender(Options{}.withDefaults(), true)
	s.now = clock.now
	if err := s.Send(context.Background(), p, []SendFile{BytesFile("a", time.Time{}, make([]byte, 1024+200))}); err != nil {
		t.Fatal(err)
	}
	out := p.out.Bytes()
	var frames []string
	for i := 0; i < len(out); {
		switch out[i] {
		case soh, stx:
			n := shortBlock
			if out[i] == stx {
				n = longBlock
			}
			frames = append(frames, fmt.Sprintf("%d:%d", out[i+1], n))
			i += n + blockOverhead
		default:
			frames = append(frames, fmt.Sprintf("%#02x", out[i]))
			i++
		}
	}
	if got, want := fmt.Sprint(frames), "[1:1024 2:128 3:128 0x04 0x04]"; got != want {
		t.Errorf("sender sent %s, want %s", got, want)
	}
}

func TestXBlockRoundTrip(t *testing.T) {
	for _, crc := range []bool{false, true} {
		for _, size := range []int{shortBlock, longBlock} {
			payload := bytes.Repeat([]byte{0xa5, 0x13, 0x11}, size/3+1)[:size]
			frame := encodeXBlock(9, payload, crc)
			if len(frame) != frameLen(size, crc) {
				t.Fatalf("crc %v: frame length %d", crc, len(frame))
			}
			seq, got, err := decodeBlock(frame, crc)
			if err != nil || seq != 9 || !bytes.Equal(got, payload) {
				t.Fatalf("crc %v: decode(encode) = %d, %d bytes, %v", crc, seq, len(got), err)
			}
			frame[10] ^= 1
			if _, _, err := decodeBlock(frame, crc); err == nil {
				t.Fatalf("crc %v: damaged block accepted", crc)
			}
		}
	}
	if _, _, err := decodeBlock(encodeXBlock(1, make([]byte, shortBlock), true), false); !errors.Is(err, errBlockLength) {
		t.Errorf("CRC block read as checksum block: %v", err)
	}
}

func FuzzXmodemBlock(f *testing.F) {
	f.Add(encodeXBlock(1, make([]byte, shortBlock), false), false)
	f.Add(encodeXBlock(2, bytes.Repeat([]byte{cpmEOF}, longBlock), true), true)
	f.Add([]byte{stx, 1, 0xfe, 0}, false)
	f.Fuzz(func(t *testing.T, frame []byte, crc bool) {
		seq, payload, err := decodeBlock(frame, crc)
		if err != nil {
			return
		}
		if again := encodeXBlock(seq, payload, crc); !bytes.Equal(again, frame) {
			t.Fatalf("re-encoded frame differs")
		}
	})
}

func FuzzXmodemReceive(f *testing.F) {
	script := append(encodeXBlock(1, bytes.Repeat([]byte{7}, shortBlock), true), eot, eot)
	f.Add(script, uint8(200))
	f.Add(append(encodeXBlock(1, make([]byte, longBlock), false), eot, eot), uint8(3))
	f.Add([]byte{can, can}, uint8(1))
	f.Add([]byte{eot, soh, 0, 0xff}, uint8(2))
	f.Fuzz(func(t *testing.T, script []byte, chunk uint8) {
		clock := &vclock{t: time.Unix(0, 0)}
		p := &scriptPort{clock: clock, in: script, chunk: int(chunk%64) + 1}
		r := NewXmodemReceiver(Options{})
		r.now = clock.now
		// The virtual clock makes every run end by the idle timeout at the latest.
		files, err := r.Receive(context.Background(), p, memSink{t})
		if err == nil && (len(files) != 1 || bytes.Count(script, []byte{eot}) < 2 || files[0].Size%shortBlock != 0) {
			t.Fatalf("committed %+v", files)
		}
	})
}
