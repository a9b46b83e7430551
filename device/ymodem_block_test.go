package device

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCRC16(t *testing.T) {
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Fatalf("crc16(123456789) = %#04x, want 0x31c3", got)
	}
}

func TestBlockRoundTrip(t *testing.T) {
	for _, size := range []int{shortBlock, longBlock} {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
		frame := encodeBlock(200, payload)
		if len(frame) != size+blockOverhead {
			t.Fatalf("frame length %d, want %d", len(frame), size+blockOverhead)
		}
		seq, got, err := decodeBlock(frame, true)
		if err != nil || seq != 200 || !bytes.Equal(got, payload) {
			t.Fatalf("decode(encode) = %d, %d bytes, %v", seq, len(got), err)
		}
	}
}

func TestDecodeBlockErrors(t *testing.T) {
	good := encodeBlock(1, make([]byte, shortBlock))
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, errBlockLength},
		{"short", good[:20], errBlockLength},
		{"long for SOH", append(bytes.Clone(good), 0), errBlockLength},
		{"STX with 128 bytes", mutate(func(b []byte) []byte { b[0] = stx; return b }), errBlockLength},
		{"unknown start", mutate(func(b []byte) []byte { b[0] = 'x'; return b }), errBlockStart},
		{"unknown start, empty payload", []byte{'0', 1, 0xfe, 0, 0}, errBlockStart},
		{"complement", mutate(func(b []byte) []byte { b[2] = 0; return b }), errBlockNumber},
		{"payload", mutate(func(b []byte) []byte { b[40] ^= 1; return b }), errBlockCRC},
		{"crc", mutate(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }), errBlockCRC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := decodeBlock(tt.frame, true); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	pad := func(s string, n int) []byte {
		b := make([]byte, n)
		copy(b, s)
		return b
	}
	// lrzsz's sb adds files left, bytes left and two block counts at the end.
	sb := pad("scan0001.tif\x00204800 14763221420 100644 0 1 204800", shortBlock)
	sb[126], sb[127] = 0x06, 0x40
	tests := []struct {
		name    string
		payload []byte
		want    header
		wantErr error
	}{
		{"end of batch", make([]byte, shortBlock), header{size: -1, end: true}, nil},
		{"name only", pad("a.tif", shortBlock), header{name: "a.tif", size: -1}, nil},
		{"name and size", pad("a.tif\x00123", shortBlock), header{name: "a.tif", size: 123}, nil},
		{"lrzsz sb", sb, header{name: "scan0001.tif", size: 204800, mod: time.Unix(0o14763221420, 0)}, nil},
		{"zero mtime", pad("b\x005 0 0", shortBlock), header{name: "b", size: 5}, nil},
		{"bad mtime ignored", pad("b\x005 9x", shortBlock), header{name: "b", size: 5}, nil},
		{"path kept raw", pad("dir/x.tif\x001", longBlock), header{name: "dir/x.tif", size: 1}, nil},
		{"bad size", pad("b\x00-5", shortBlock), header{}, ErrProtocol},
		{"size not a number", pad("b\x00abc", shortBlock), header{}, ErrProtocol},
		{"no terminator", bytes.Repeat([]byte{'a'}, shortBlock), header{}, ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHeader(tt.payload)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.name != tt.want.name || got.size != tt.want.size || !got.mod.Equal(tt.want.mod) || got.end != tt.want.end {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEncodeHeader(t *testing.T) {
	mod := time.Unix(1700000000, 0)
	p, err := encodeHeader("scan0001.tif", 4096, mod)
	if err != nil {
		t.Fatal(err)
	}
	want := "scan0001.tif\x004096 14524770400 100644"
	if len(p) != shortBlock || string(p[:len(want)]) != want || p[len(want)] != 0 {
		t.Fatalf("header = %q", p)
	}
	long := strings.Repeat("n", 200)
	if p, err := encodeHeader(long, 1, mod); err != nil || len(p) != longBlock {
		t.Fatalf("long name: %d bytes, %v", len(p), err)
	}
	if _, err := encodeHeader(strings.Repeat("n", longBlock), 1, mod); err == nil {
		t.Fatal("name longer than a block accepted")
	}
	if _, err := encodeHeader("a\x00b", 1, mod); err == nil {
		t.Fatal("name with NUL accepted")
	}
	if p, _ := encodeHeader("", 0, time.Time{}); !bytes.Equal(p, make([]byte, shortBlock)) {
		t.Fatal("end-of-batch header is not 128 zero bytes")
	}
}

func FuzzYmodemBlock(f *testing.F) {
	f.Add(encodeBlock(1, make([]byte, shortBlock)))
	f.Add(encodeBlock(255, bytes.Repeat([]byte{0x18}, longBlock)))
	f.Add([]byte{soh, 1, 0xfe})
	f.Fuzz(func(t *testing.T, frame []byte) {
		seq, payload, err := decodeBlock(frame, true)
		if err != nil {
			return
		}
		if again := encodeBlock(seq, payload); !bytes.Equal(again, frame) {
			t.Fatalf("re-encoded frame differs")
		}
	})
}

func FuzzYmodemHeader(f *testing.F) {
	p, _ := encodeHeader("scan0001.tif", 204800, time.Unix(1700000000, 0))
	f.Add(p)
	f.Add([]byte("a\x00123 777 100644 0 1 5"))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, payload []byte) {
		h, err := parseHeader(payload)
		if err != nil || h.end {
			return
		}
		if h.name == "" || strings.IndexByte(h.name, 0) >= 0 {
			t.Fatalf("parsed name %q", h.name)
		}
		enc, err := encodeHeader(h.name, h.size, h.mod)
		if err != nil {
			return // a name that fills the whole block
		}
		h2, err := parseHeader(enc)
		if err != nil || h2.name != h.name || h2.size != h.size || !h2.mod.Equal(h.mod) {
			t.Fatalf("round trip: %+v -> %+v, %v", h, h2, err)
		}
	})
}
