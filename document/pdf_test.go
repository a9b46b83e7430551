package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/document/ccitt"
)

// testPage returns a page whose strips hold the given bytes, as ReadTIFF
// would describe it, and the file holding them.
func testPage(t *testing.T, w, h, compression, rps uint32, strips [][]byte, extra ...field) (*bytes.Reader, Page) {
	t.Helper()
	b := newTIFF(binary.LittleEndian)
	var offs, lens []uint32
	for _, s := range strips {
		offs, lens = append(offs, b.data(s)), append(lens, uint32(len(s)))
	}
	b.ifd(pageFields(w, h, compression, rps, offs, lens, extra...)...)
	pages, err := readBytes(b.buf)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.buf), pages[0]
}

// checkXref checks that the cross-reference table of a PDF points at every
// object exactly and returns the number of objects.
func checkXref(t *testing.T, pdf []byte) int {
	t.Helper()
	m := regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`).FindSubmatch(pdf)
	if m == nil {
		t.Fatalf("no startxref at the end: %q", tail(pdf))
	}
	xref, _ := strconv.Atoi(string(m[1]))
	rest := string(pdf[xref:])
	h := regexp.MustCompile(`^xref\n0 (\d+)\n`).FindStringSubmatch(rest)
	if h == nil {
		t.Fatalf("no xref at %d: %q", xref, rest[:min(len(rest), 40)])
	}
	n, _ := strconv.Atoi(h[1])
	rest = rest[len(h[0]):]
	for i := range n {
		entry := rest[20*i : 20*i+20]
		if i == 0 {
			if entry != "0000000000 65535 f \n" {
				t.Errorf("entry 0 %q", entry)
			}
			continue
		}
		off, err := strconv.Atoi(entry[:10])
		if err != nil || entry[10:] != " 00000 n \n" {
			t.Fatalf("entry %d %q", i, entry)
		}
		if head := strconv.Itoa(i) + " 0 obj\n"; !bytes.HasPrefix(pdf[off:], []byte(head)) {
			t.Errorf("object %d: offset %d holds %q", i, off, pdf[off:min(len(pdf), off+20)])
		}
	}
	if !strings.Contains(rest[20*n:], "trailer\n<< /Size "+strconv.Itoa(n)+" /Root 1 0 R /Info 3 0 R >>") {
		t.Errorf("trailer %q", rest[20*n:])
	}
	return n
}

func tail(b []byte) []byte { return b[max(0, len(b)-60):] }

func TestPDFStructure(t *testing.T) {
	r1, g4 := testPage(t, 1728, 100, CompressionG4, 60, [][]byte{[]byte("G4-strip-one"), []byte("G4-two")})
	r2, raw := testPage(t, 12, 3, CompressionNone, 2, [][]byte{{0xff, 0xf0, 0x80, 0x00}, {0x0f, 0x00}})

	var out bytes.Buffer
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", -(3*3600+30*60)))
	p := NewPDF(&out, Info{Title: "Scan (1)", Producer: "Scangate", Created: created})
	if err := p.AddPage(r1, g4); err != nil {
		t.Fatal(err)
	}
	if err := p.AddPage(r2, raw); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	pdf := out.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) {
		t.Errorf("header %q", pdf[:12])
	}
	// 3 fixed objects; page 1: 2 images, content, page; page 2: 1 image with its length, content, page.
	if n := checkXref(t, pdf); n != 1+3+4+4 {
		t.Errorf("%d xref entries", n)
	}
	for _, want := range []string{
		"/Info 3 0 R",
		"<< /Title (Scan \\(1\\)) /Producer (Scangate) /CreationDate (D:20260304050607-03'30') >>",
		"<< /Type /Pages /Count 2 /Kids [7 0 R 11 0 R] >>",
		"/MediaBox [0 0 609.8823529411765 36.734693877551024]",
		"/MediaBox [0 0 4.235294117647059 1.1020408163265305]",
		// G4 strips pass through untouched, stacked from the top.
		"/Length 12 >>\nstream\nG4-strip-one\nendstream",
		"/Length 6 >>\nstream\nG4-two\nendstream",
		"q 0.35294117647058826 0 0 0.3673469387755102 0 0 cm\nq 1728 0 0 60 0 40 cm /Im1 Do Q\nq 1728 0 0 40 0 0 cm /Im2 Do Q\nQ",
		"/XObject << /Im1 4 0 R /Im2 5 0 R >>",
		// Uncompressed strips become one G4 image of the whole page.
		"/Width 12 /Height 3 /ColorSpace /DeviceGray /BitsPerComponent 1\n/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 12 /Rows 3 /EndOfBlock false >> /Length 9 0 R >>",
		"q 12 0 0 3 0 0 cm /Im1 Do Q\nQ",
	} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	m := regexp.MustCompile(`(?s)/Length 9 0 R >>\nstream\n(.*?)\nendstream.*\n9 0 obj\n(\d+)\nendobj`).FindSubmatch(pdf)
	if m == nil || strconv.Itoa(len(m[1])) != string(m[2]) {
		t.Fatalf("no G4 stream with its length object")
	}
	if got := decodeG4(t, m[1], 12, 3); !bytes.Equal(got, []byte{0xff, 0xf0, 0x80, 0x00, 0x0f, 0x00}) {
		t.Errorf("G4 rows %x", got)
	}
}

// decodeG4 decodes G4 data of the given size into packed rows.
func decodeG4(t *testing.T, data []byte, w, h int) []byte {
	t.Helper()
	dec := ccitt.NewDecoder(bytes.NewReader(data), ccitt.Params{Width: w, K: -1})
	var rows []byte
	row := make([]byte, (w+7)/8)
	for range h {
		if err := dec.ReadRow(row); err != nil {
			t.Fatalf("row %d of %d: %v", len(rows)/len(row)+1, h, err)
		}
		rows = append(rows, row...)
	}
	return rows
}

func TestDecodeParms(t *testing.T) {
	const common = "/Columns 1728 /Rows 10 /EndOfBlock false"
	tests := []struct {
		name        string
		compression uint32
		extra       []field
		want        string
	}{
		{"G4", CompressionG4, nil, "/Filter /CCITTFaxDecode /DecodeParms << /K -1 " + common + " >>"},
		{"G4 min-is-black", CompressionG4, []field{short(tagPhotometric, 1)}, "<< /K -1 " + common + " /BlackIs1 true >>"},
		{"G3 1-D", CompressionG3, nil, "<< /K 0 " + common + " /EndOfLine true >>"},
		{"G3 1-D fill bits", CompressionG3, []field{long(tagT4Options, T4FillBits)}, "<< /K 0 " + common + " /EndOfLine true /EncodedByteAlign true >>"},
		{"G3 2-D", CompressionG3, []field{long(tagT4Options, T4TwoDimensional)}, "<< /K 10 " + common + " /EndOfLine true >>"},
		{"G3 2-D fill bits min-is-black", CompressionG3, []field{long(tagT4Options, T4TwoDimensional|T4FillBits), short(tagPhotometric, 1)},
			"<< /K 10 " + common + " /EndOfLine true /EncodedByteAlign true /BlackIs1 true >>"},
		{"CCITT RLE", CompressionCCITTRLE, nil, "<< /K 0 " + common + " /EncodedByteAlign true >>"},
		{"none", CompressionNone, nil, "<< /K -1 " + common + " >> /Length 5 0 R >>"},
		{"none min-is-black", CompressionNone, []field{short(tagPhotometric, 1)}, "<< /K -1 " + common + " /BlackIs1 true >> /Length 5 0 R >>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, pg := testPage(t, 1728, 10, tt.compression, 10, [][]byte{make([]byte, 2160)}, tt.extra...)
			var out bytes.Buffer
			p := NewPDF(&out, Info{})
			if err := p.AddPage(r, pg); err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out.Bytes(), []byte(tt.want)) {
				t.Errorf("image dictionary lacks %q:\n%s", tt.want, out.Bytes()[:min(out.Len(), 400)])
			}
		})
	}
}

func TestFillOrderReversed(t *testing.T) {
	r, pg := testPage(t, 16, 1, CompressionG4, 1, [][]byte{{0x01, 0x80, 0x0f}}, short(tagFillOrder, 2))
	var out bytes.Buffer
	p := NewPDF(&out, Info{})
	if err := p.AddPage(r, pg); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("stream\n\x80\x01\xf0\nendstream")) {
		t.Errorf("bits not reversed:\n%q", out.Bytes())
	}
}

func TestAddPageRefuses(t *testing.T) {
	r, good := testPage(t, 1728, 10, CompressionG4, 10, [][]byte{[]byte("data")})
	tests := []struct {
		name   string
		change func(*Page)
		kind   error
		msg    string
	}{
		{"jpeg", func(p *Page) { p.Compression = 7 }, ErrUnsupported, "document: page 1: unsupported JPEG with 1 bits per sample"},
		{"old-style jpeg", func(p *Page) { p.Compression = 6 }, ErrUnsupported, "document: page 1: unsupported compression 6"},
		{"lzw", func(p *Page) { p.Compression = 5 }, ErrUnsupported, "document: page 1: unsupported compression 5"},
		{"gray", func(p *Page) { p.BitsPerSample = 8 }, ErrUnsupported, "document: page 1: unsupported bits per sample 8"},
		{"rgb", func(p *Page) { p.SamplesPerPixel = 3 }, ErrUnsupported, "document: page 1: unsupported samples per pixel 3"},
		{"palette", func(p *Page) { p.Photometric = 3 }, ErrUnsupported, "document: page 1: unsupported photometric interpretation 3"},
		{"fill order", func(p *Page) { p.FillOrder = 0 }, ErrUnsupported, "document: page 1: unsupported fill order 0"},
		{"G3 uncompressed mode", func(p *Page) { p.Compression, p.T4Options = 3, T4Uncompressed }, ErrUnsupported, "document: page 1: unsupported G3 uncompressed mode"},
		{"G4 uncompressed mode", func(p *Page) { p.T6Options = T6Uncompressed }, ErrUnsupported, "document: page 1: unsupported G4 uncompressed mode"},
		{"no width", func(p *Page) { p.Width = 0 }, ErrDamaged, "document: page 1: page size 0x10 outside 1..65535 pixels"},
		{"no resolution", func(p *Page) { p.YRes = 0 }, ErrDamaged, "document: page 1: resolution 204x0"},
		{"strip count", func(p *Page) { p.RowsPerStrip = 5 }, ErrDamaged, "document: page 1: 10 rows in strips of 5 need 2 strips, the page has 1"},
		{"short raw strip", func(p *Page) { p.Compression = 1 }, ErrDamaged, "document: page 1: strip 1 holds 4 bytes, 10 rows need 2160"},
		{"negative offset", func(p *Page) { p.Strips = []Strip{{-1, 4}} }, ErrDamaged, "document: page 1: strip 1 has offset -1 and length 4"},
	}
	var out bytes.Buffer
	p := NewPDF(&out, Info{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg := good
			tt.change(&pg)
			err := p.AddPage(r, pg)
			if !errors.Is(err, tt.kind) || err.Error() != tt.msg {
				t.Errorf("got %v, want %q (%v)", err, tt.msg, tt.kind)
			}
		})
	}
	// A refused page leaves the writer usable.
	if err := p.AddPage(r, good); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	checkXref(t, out.Bytes())
}

func TestPDFReadFailureSticks(t *testing.T) {
	r, pg := testPage(t, 1728, 10, CompressionG4, 10, [][]byte{[]byte("data")})
	ioErr := errors.New("input/output error")
	bad := &failingReader{r, 0, ioErr}
	p := NewPDF(io.Discard, Info{})
	err := p.AddPage(bad, pg)
	if !errors.Is(err, ioErr) || err.Error() != "document: page 1: strip 1: input/output error" {
		t.Fatalf("got %v", err)
	}
	if err2 := p.AddPage(r, pg); err2 != err {
		t.Errorf("next page: %v, want the first error", err2)
	}
	if err2 := p.Close(); err2 != err {
		t.Errorf("close: %v, want the first error", err2)
	}
	if err2 := p.Close(); err2 != ErrClosed {
		t.Errorf("second close: %v", err2)
	}
	if err2 := p.AddPage(r, pg); err2 != ErrClosed {
		t.Errorf("after close: %v", err2)
	}
}

// limitWriter accepts n bytes, then fails.
type limitWriter struct{ n int }

var errDiskFull = errors.New("no space left on device")

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

func TestPDFWriteFailure(t *testing.T) {
	r, pg := testPage(t, 1728, 10, CompressionG4, 10, [][]byte{bytes.Repeat([]byte{0xaa}, 100<<10)})
	for _, limit := range []int{0, 100, 70 << 10, 200 << 10} {
		p := NewPDF(&limitWriter{limit}, Info{})
		var err error
		for range 3 {
			if err = p.AddPage(r, pg); err != nil {
				break
			}
		}
		if err == nil {
			err = p.Close()
		}
		if !errors.Is(err, errDiskFull) || err.Error() != "document: write pdf: no space left on device" {
			t.Errorf("limit %d: got %v", limit, err)
		}
	}
}

func TestPDFStrings(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "()"},
		{"Scan 3", "(Scan 3)"},
		{`a\b(c)`, `(a\\b\(c\))`},
		{"Größe", "<FEFF0047007200F600DF0065>"},
		{"tab\there", "<FEFF00740061006200090068006500720065>"},
		{"🙂", "<FEFFD83DDE42>"},
	} {
		if got := pdfString(tt.in); got != tt.want {
			t.Errorf("pdfString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "D:20260102030405+00'00'"},
		{time.Date(2026, 12, 31, 23, 59, 59, 0, time.FixedZone("", 5*3600+45*60)), "D:20261231235959+05'45'"},
		{time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("", -8*3600)), "D:20260601000000-08'00'"},
	} {
		if got := pdfDate(tt.t); got != tt.want {
			t.Errorf("pdfDate(%v) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestPageTreeNodes(t *testing.T) {
	r, pg := testPage(t, 8, 1, CompressionG4, 1, [][]byte{{0}})
	const pages = 2*pagesPerNode + 5
	var out bytes.Buffer
	p := NewPDF(&out, Info{})
	for range pages {
		if err := p.AddPage(r, pg); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	checkXref(t, out.Bytes())
	kids := regexp.MustCompile(`/Type /Pages (?:/Parent 2 0 R )?/Count (\d+) /Kids \[([^]]*)\]`).FindAllSubmatch(out.Bytes(), -1)
	var counts []string
	for _, k := range kids {
		counts = append(counts, string(k[1])+":"+strconv.Itoa(len(strings.Fields(string(k[2])))/3))
	}
	// Two nodes of 1024 and 5 pages, then the root: 1024 pages and 2 nodes.
	if got := strings.Join(counts, " "); got != "1024:1024 5:5 2053:1026" {
		t.Errorf("page tree nodes (count:kids) %s", got)
	}
}
