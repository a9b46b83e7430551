package submit

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"
)

// The fast dot-stuffer must write exactly what textproto's DotWriter writes, however the input is cut into
// writes. Two inputs are left out, where textproto does something odd and ours is plainer (TestDotWriterCR):
// an empty body, and a CR that follows a CR.
func FuzzDotWriter(f *testing.F) {
	for _, s := range []string{"", ".", "a\nb", ".a\r\n.b\n", "x\r", "\r\n.\r\n", "..\n\n", "a\rb\n"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		if len(in) == 0 || bytes.Contains(in, []byte("\r\r")) {
			return
		}
		var want bytes.Buffer
		tw := bufio.NewWriter(&want)
		dw := textproto.NewWriter(tw).DotWriter()
		dw.Write(in)
		dw.Close()

		var got bytes.Buffer
		d := newDotWriter(&got)
		step := int(cut)%7 + 1
		for i := 0; i < len(in); i += step {
			d.Write(in[i:min(i+step, len(in))])
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("input %q in pieces of %d:\n got %q\nwant %q", in, step, got.Bytes(), want.Bytes())
		}
	})
}

func TestDotWriterCR(t *testing.T) {
	for in, want := range map[string]string{
		"":         ".\r\n",
		"a\r\r\nb": "a\r\r\nb\r\n.\r\n", // textproto writes a third CR here
		"a\r\r":    "a\r\r\n.\r\n",      // and here
	} {
		var got bytes.Buffer
		d := newDotWriter(&got)
		d.Write([]byte(in))
		d.Close()
		if got.String() != want {
			t.Errorf("%q: got %q, want %q", in, got.String(), want)
		}
	}
}

func BenchmarkDotWriter(b *testing.B) {
	body := bytes.Repeat([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"), 4000)
	b.Run("scangate", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			d := newDotWriter(discard{})
			d.Write(body)
			d.Close()
		}
	})
	b.Run("textproto", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			dw := textproto.NewWriter(bufio.NewWriter(discard{})).DotWriter()
			dw.Write(body)
			dw.Close()
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
