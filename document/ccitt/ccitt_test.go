package ccitt

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// bitsOf packs a string of 0s and 1s (spaces ignored) into bytes, padding
// the last byte with 0 bits.
func bitsOf(s string) []byte {
	s = strings.ReplaceAll(s, " ", "")
	b := make([]byte, (len(s)+7)/8)
	for i := range len(s) {
		if s[i] == '1' {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return b
}

// Code words used by the hand-made streams below.
const (
	eol       = "000000000001"
	white8    = "10011"
	white1    = "000111"
	black1    = "010"
	black2    = "11"
	v0        = "1"
	horiz     = "001"
	vl3       = "0000010"
	vr1       = "011"
	eofb      = eol + eol
	white0    = "00110101"
	white9    = "10100"
	white1728 = "010011011"
)

func TestCodeTables(t *testing.T) {
	var runs [2][1 << runBits]runEntry
	var modes [1 << modeBits]modeEntry
	if n := buildTables(&runs, &modes); n != 0 {
		t.Fatalf("%d decoding table entries claimed by two codes: the code sets are not prefix-free", n)
	}
	for color := range 2 {
		for n := range maxMakeup + 64 {
			if n >= 64 && n%64 != 0 {
				continue
			}
			c := termCodes[color][n%64]
			if n >= 64 {
				c = makeupCodes[color][n/64-1]
			}
			e := runTable[color][c.bits<<(runBits-uint(c.len))]
			if int(e.run) != n || e.len != c.len || e.makeup != (n >= 64) {
				t.Errorf("%s run %d: table has %+v", colorName[color], n, e)
			}
		}
	}
	for _, mc := range modeCodes {
		c := parseCode(mc.code)
		if e := modeTable[c.bits<<(modeBits-uint(c.len))]; e.m != mc.m || e.len != c.len {
			t.Errorf("mode %s: table has %+v", mc.code, e)
		}
	}
}

// TestEncodeGolden checks the exact bits of small codings, trailers and
// padding included.
func TestEncodeGolden(t *testing.T) {
	white := []byte{0}
	tests := []struct {
		name string
		p    Params
		rows [][]byte
		want string
	}{
		{"G4 EOFB", Params{Width: 8, K: -1}, [][]byte{white}, v0 + eofb},
		{"G4 no trailer", Params{Width: 8, K: -1, Trailer: TrailerNone}, [][]byte{white, white}, v0 + v0},
		{"G4 aligned rows and EOFB", Params{Width: 8, K: -1, ByteAlign: true}, [][]byte{white, white}, "1000 0000 1000 0000" + eofb},
		{"G4 black row", Params{Width: 8, K: -1}, [][]byte{{0xff}}, horiz + white0 + "000101" + eofb},
		{"RLE", Params{Width: 8, ByteAlign: true}, [][]byte{white, {0x40}}, white8 + "000 " + white1 + black1 + "1110" /* white 6 */},
		{"G3 1-D", Params{Width: 8, EOL: true}, [][]byte{white}, eol + white8},
		{"G3 1-D fill", Params{Width: 8, EOL: true, ByteAlign: true}, [][]byte{white, white}, "0000" + eol + white8 + "000 0000" + eol + white8},
		{"G3 1-D RTC", Params{Width: 8, EOL: true, Trailer: TrailerEnd}, [][]byte{white}, eol + white8 + strings.Repeat(eol, 6)},
		{"G3 2-D K=2 fill RTC", Params{Width: 8, K: 2, EOL: true, ByteAlign: true, Trailer: TrailerEnd}, [][]byte{white, white},
			// Each EOL ends on a byte boundary; its tag bit follows.
			"0000" + eol + "1" + white8 + "000000" + eol + "0" + v0 + "00" + eol + "1" + strings.Repeat("000"+eol+"1", 5)},
		{"reversed bits", Params{Width: 8, K: -1, ReverseBits: true, Trailer: TrailerNone}, [][]byte{{0xff}},
			"0110 0100 0100 0101 0000 0001"}, // 001 00110101 000101 (H, white 0, black 8), each byte reversed
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := NewEncoder(&buf, tt.p)
			for _, r := range tt.rows {
				if err := e.WriteRow(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if want := bitsOf(tt.want); !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("got  % x\nwant % x", buf.Bytes(), want)
			}
		})
	}
}

// TestDecodeEnd checks where the decoder sees the end of the data.
func TestDecodeEnd(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		data string
		rows int
	}{
		{"empty", Params{Width: 8, K: -1}, "", 0},
		{"only zeros", Params{Width: 8, EOL: true}, "0000 0000 0000 0000 0000 0000", 0},
		{"G4 EOFB", Params{Width: 8, K: -1}, v0 + v0 + eofb + "1111 1111", 2},
		{"G4 without EOFB", Params{Width: 8, K: -1}, v0 + v0, 2},
		{"G3 RTC", Params{Width: 8, EOL: true}, eol + white8 + strings.Repeat(eol, 6) + "1111", 1},
		{"G3 single EOL at the end", Params{Width: 8, EOL: true}, eol + white8 + eol, 1},
		{"G3 2-D RTC", Params{Width: 8, K: 2, EOL: true}, eol + "1" + white8 + eol + "0" + v0 + strings.Repeat(eol+"1", 6), 2},
		{"G3 fill bits without ByteAlign", Params{Width: 8, EOL: true}, "0000" + eol + white8 + "000 0000000" + eol + white8, 2},
		{"G3 without EOLs where allowed", Params{Width: 8}, white8 + eol + white8 + white8, 3},
		{"RLE", Params{Width: 8, ByteAlign: true}, white8 + "000" + white8 + "000", 2},
		{"2-D T.4 without EOL", Params{Width: 8, K: 3}, "1" + white8 + "0" + v0 + "0" + v0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(bytes.NewReader(bitsOf(tt.data)), tt.p)
			row := make([]byte, 1)
			for i := range tt.rows {
				if err := d.ReadRow(row); err != nil {
					t.Fatalf("row %d: %v", i+1, err)
				}
			}
			for range 2 { // and it stays at the end
				if err := d.ReadRow(row); err != io.EOF {
					t.Fatalf("after %d rows: %v, want io.EOF", tt.rows, err)
				}
			}
		})
	}
}

// failingReader returns its data and then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errUnplugged = errors.New("cable unplugged")

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		p      Params
		r      io.Reader
		row    int // 1-based row that fails
		kind   error
		detail string
	}{
		{"invalid white code", Params{Width: 8}, bytes.NewReader(bitsOf("0000 0000 1000 0")), 1, ErrCorrupt, "invalid white code"},
		{"invalid black code", Params{Width: 16}, bytes.NewReader(bitsOf(white8 + "0000 0000 1000 0")), 1, ErrCorrupt, "invalid black code"},
		{"run past the width", Params{Width: 8}, bytes.NewReader(bitsOf(white9)), 1, ErrCorrupt, "white run of 9 pixels past the end of a 8-pixel row"},
		{"make-up past the width", Params{Width: 100}, bytes.NewReader(bitsOf(white1728 + white0)), 1, ErrCorrupt, "white run of 1728 pixels past"},
		{"EOL inside a row", Params{Width: 16}, bytes.NewReader(bitsOf(white8 + eol)), 1, ErrCorrupt, "EOL inside the row"},
		{"missing EOL", Params{Width: 8, EOL: true}, bytes.NewReader(bitsOf(eol + white8 + white8)), 2, ErrCorrupt, "missing EOL"},
		{"uncompressed mode", Params{Width: 8, K: -1}, bytes.NewReader(bitsOf("0000001111")), 1, ErrUnsupported, "uncompressed mode"},
		{"other extension", Params{Width: 8, K: -1}, bytes.NewReader(bitsOf("0000001000 1")), 1, ErrUnsupported, "extension code"},
		{"invalid mode code", Params{Width: 8, K: -1}, bytes.NewReader(bitsOf("00000001 0000")), 1, ErrCorrupt, "invalid mode code"},
		{"EOL inside a 2-D row", Params{Width: 8, K: -1}, bytes.NewReader(bitsOf(horiz + white1 + black1 + eol)), 1, ErrCorrupt, "EOL inside the row"},
		{"vertical mode past the width", Params{Width: 8, K: -1}, bytes.NewReader(bitsOf(v0 + vr1)), 2, ErrCorrupt, "vertical mode puts a change at 9, outside 0..8"},
		{"vertical mode left of a0", Params{Width: 4, K: -1}, bytes.NewReader(bitsOf(horiz + white1 + black1 + vl3)), 1, ErrCorrupt, "vertical mode puts a change at 1, outside 2..4"},
		{"horizontal mode past the width", Params{Width: 4, K: -1}, bytes.NewReader(bitsOf(horiz + white1 + "0111")), 1, ErrCorrupt, "black run of 4 pixels past"},
		{"truncated code", Params{Width: 1728}, bytes.NewReader(bitsOf("0100 1101")), 1, io.ErrUnexpectedEOF, "data end inside the row"},
		{"truncated row", Params{Width: 16}, bytes.NewReader(bitsOf(white8 + "000")), 1, io.ErrUnexpectedEOF, "data end inside the row"},
		{"truncated 2-D row", Params{Width: 16, K: -1}, bytes.NewReader(bitsOf(horiz + white1 + black2 + "000")), 1, io.ErrUnexpectedEOF, "data end inside the row"},
		{"read error", Params{Width: 16}, &failingReader{bitsOf(white8), errUnplugged}, 1, errUnplugged, "read: cable unplugged"},
		{"read error between rows", Params{Width: 8, K: -1}, &failingReader{bitsOf(v0), errUnplugged}, 2, errUnplugged, "read: cable unplugged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(tt.r, tt.p)
			row := make([]byte, (tt.p.Width+7)/8)
			var err error
			n := 0
			for err == nil && n < 10 {
				if err = d.ReadRow(row); err == nil {
					n++
				}
			}
			var de *DataError
			if !errors.As(err, &de) || !errors.Is(err, tt.kind) {
				t.Fatalf("after %d rows: %v (%T), want a *DataError wrapping %v", n, err, err, tt.kind)
			}
			if de.Row != tt.row || !strings.HasPrefix(de.Detail, tt.detail) || !strings.HasPrefix(err.Error(), "ccitt: row ") {
				t.Errorf("error %q at row %d, want row %d and %q", err, de.Row, tt.row, tt.detail)
			}
			if again := d.ReadRow(row); again != err {
				t.Errorf("next call: %v, want the same error", again)
			}
		})
	}
}

func TestParamsErrors(t *testing.T) {
	for _, w := range []int{0, -1, MaxWidth + 1} {
		if err := NewDecoder(bytes.NewReader(nil), Params{Width: w}).ReadRow(make([]byte, 10)); !errors.Is(err, ErrParams) {
			t.Errorf("decoder width %d: %v", w, err)
		}
		e := NewEncoder(io.Discard, Params{Width: w})
		if err := e.WriteRow(make([]byte, 10)); !errors.Is(err, ErrParams) {
			t.Errorf("encoder width %d: %v", w, err)
		}
		if err := e.Close(); !errors.Is(err, ErrParams) {
			t.Errorf("encoder width %d: Close: %v", w, err)
		}
	}
	// A short row buffer is refused and does not break the coder.
	d := NewDecoder(bytes.NewReader(bitsOf(white8+white8)), Params{Width: 9})
	if err := d.ReadRow(make([]byte, 1)); !errors.Is(err, ErrParams) {
		t.Errorf("decoder, short row: %v", err)
	}
	if err := d.ReadRow(make([]byte, 2)); err == nil || errors.Is(err, ErrParams) {
		t.Errorf("decoder after a short row: %v, want a data error (white 8 is not a 9-pixel row)", err)
	}
	var buf bytes.Buffer
	e := NewEncoder(&buf, Params{Width: 9, K: -1})
	if err := e.WriteRow(make([]byte, 1)); !errors.Is(err, ErrParams) {
		t.Errorf("encoder, short row: %v", err)
	}
	if err := e.WriteRow(make([]byte, 2)); err != nil {
		t.Errorf("encoder after a short row: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errUnplugged }

func TestEncoderErrors(t *testing.T) {
	e := NewEncoder(failingWriter{}, Params{Width: 1728, K: -1})
	var err error
	for i := 0; err == nil && i < 100000; i++ {
		err = e.WriteRow(bytes.Repeat([]byte{0x5a}, 216)) // 216 codes a row, a write at least every 8 KB
	}
	if !errors.Is(err, errUnplugged) || !strings.HasPrefix(err.Error(), "ccitt: write: ") {
		t.Fatalf("WriteRow: %v", err)
	}
	if again := e.WriteRow(make([]byte, 216)); again != err {
		t.Errorf("WriteRow after an error: %v", again)
	}
	if cerr := e.Close(); cerr != err {
		t.Errorf("Close: %v, want %v", cerr, err)
	}
	if cerr := e.Close(); !errors.Is(cerr, ErrClosed) {
		t.Errorf("second Close: %v", cerr)
	}

	e = NewEncoder(failingWriter{}, Params{Width: 8, K: -1})
	if err := e.WriteRow([]byte{0}); err != nil {
		t.Fatalf("a buffered row: %v", err)
	}
	if err := e.Close(); !errors.Is(err, errUnplugged) {
		t.Errorf("Close flushing to a failing writer: %v", err)
	}
	if err := e.WriteRow([]byte{0}); !errors.Is(err, ErrClosed) {
		t.Errorf("WriteRow after Close: %v", err)
	}
}

// TestDecodePadding checks that the bits after the last pixel come back 0
// whatever the row buffer held.
func TestDecodePadding(t *testing.T) {
	data := encode(t, page{w: 3, h: 1, bits: []byte{0xe0}}, Params{K: -1})
	row := []byte{0x1f, 0xaa}
	d := NewDecoder(bytes.NewReader(data), Params{Width: 3, K: -1})
	if err := d.ReadRow(row); err != nil {
		t.Fatal(err)
	}
	if row[0] != 0xe0 || row[1] != 0xaa {
		t.Errorf("row % x, want e0 aa (one byte written, padding clear)", row)
	}
}
