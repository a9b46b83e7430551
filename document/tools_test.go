package document

// These tests make real fax and scanner TIFF files with Ghostscript and
// libtiff, convert them, and check the PDFs with qpdf, poppler and
// Ghostscript against libtiff's own decoding of the source pages.

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// needTools fails the test unless the tools these tests run are installed.
func needTools(t testing.TB) {
	t.Helper()
	toolrun.Need(t, "gs", "tiffcp", "tiffset", "tiffinfo", "pdfinfo", "pdfimages", "qpdf")
}

// run runs a tool and returns its standard output.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	stdout, _ := toolrun.Run(t, name, args...)
	return stdout
}

// testPostScript draws three pages of text, rules, diagonals and solid
// areas, which exercise every kind of CCITT code.
const testPostScript = `%!PS
<< /PageSize [612 792] >> setpagedevice
/Helvetica findfont 24 scalefont setfont
72 720 moveto (Scangate fax test, page 1) show
/Times-Roman findfont 11 scalefont setfont
72 690 moveto (The quick brown fox jumps over the lazy dog. 0123456789) show
2 setlinewidth 72 670 moveto 540 670 lineto stroke
0.5 setlinewidth
0 1 24 { 18 mul 72 add 120 moveto 0 500 rlineto stroke } for
showpage
/Helvetica-Bold findfont 18 scalefont setfont
72 720 moveto (Page 2: solid areas and diagonals) show
100 400 200 200 rectfill
1 setlinewidth
0 1 30 { 10 mul 320 add 300 moveto 200 300 rlineto stroke } for
72 72 moveto 540 720 lineto stroke
showpage
/Courier findfont 9 scalefont setfont
0 1 60 { dup 11 mul 60 add 72 exch moveto pop (Page 3 line of small text ... Zz 1l| ;:,. #@%&) show } for
showpage
`

// gsTIFF renders the test pages with a Ghostscript TIFF device.
func gsTIFF(t testing.TB, dir, device, res string, extra ...string) string {
	t.Helper()
	return toolrun.GhostscriptTIFF(t, dir, testPostScript, device, res, extra...)
}

// tiffcp copies in with tiffcp options into a new file.
func tiffcp(t testing.TB, in string, opts ...string) string {
	t.Helper()
	return toolrun.Tiffcp(t, in, opts...)
}

// tiffset runs tiffset with args on every page of a copy of in.
func tiffset(t *testing.T, in, suffix string, pages int, args ...string) string {
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(in, ".tif") + suffix + ".tif"
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for d := range pages {
		run(t, "tiffset", append(append([]string{"-d", strconv.Itoa(d)}, args...), out)...)
	}
	return out
}

// bitmap is a bilevel picture, rows packed 8 pixels a byte, 1 = black.
type bitmap struct {
	w, h int
	bits []byte
}

func (b bitmap) rowBytes() int { return (b.w + 7) / 8 }

func (b bitmap) black(x, y int) bool { return b.bits[y*b.rowBytes()+x/8]&(0x80>>(x%8)) != 0 }

// libtiffPages decodes every page of a TIFF file with libtiff (tiffinfo -d
// prints each strip's decoded rows) and returns them with 1 meaning black.
func libtiffPages(t *testing.T, path string) []bitmap {
	out := run(t, "tiffinfo", "-d", path)
	sizeRE := regexp.MustCompile(`Image Width: (\d+) Image Length: (\d+)`)
	var pages []bitmap
	for _, dir := range strings.Split(out, "=== TIFF directory")[1:] {
		m := sizeRE.FindStringSubmatch(dir)
		if m == nil {
			t.Fatalf("tiffinfo printed no size:\n%s", dir[:min(len(dir), 500)])
		}
		var b bitmap
		b.w, _ = strconv.Atoi(m[1])
		b.h, _ = strconv.Atoi(m[2])
		i := strings.Index(dir, "\nStrip ")
		if i < 0 {
			t.Fatalf("tiffinfo printed no strips")
		}
		for _, line := range strings.Split(dir[i:], "\n") {
			if !strings.HasPrefix(line, " ") {
				continue // "Strip N:" headers and blank lines
			}
			for _, tok := range strings.Fields(line) {
				v, err := strconv.ParseUint(tok, 16, 8)
				if err != nil {
					t.Fatalf("tiffinfo data %q: %v", line, err)
				}
				b.bits = append(b.bits, byte(v))
			}
		}
		if len(b.bits) != b.h*b.rowBytes() {
			t.Fatalf("libtiff decoded %d bytes for %dx%d", len(b.bits), b.w, b.h)
		}
		if strings.Contains(dir, "Photometric Interpretation: min-is-black") {
			for i := range b.bits {
				b.bits[i] = ^b.bits[i]
			}
		}
		pages = append(pages, b)
	}
	return pages
}

// readPBM reads a binary PBM (P4) file.
func readPBM(t *testing.T, path string) bitmap {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	rest := data
	if !bytes.HasPrefix(rest, []byte("P4")) {
		t.Fatalf("%s is not a binary PBM", path)
	}
	rest = rest[2:]
	for len(nums) < 2 {
		switch {
		case rest[0] == '#':
			rest = rest[bytes.IndexByte(rest, '\n')+1:]
		case rest[0] == ' ' || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '\t':
			rest = rest[1:]
		default:
			end := bytes.IndexAny(rest, " \t\r\n")
			n, err := strconv.Atoi(string(rest[:end]))
			if err != nil {
				t.Fatalf("%s: bad header: %v", path, err)
			}
			nums, rest = append(nums, n), rest[end:]
		}
	}
	b := bitmap{w: nums[0], h: nums[1], bits: rest[1:]}
	if len(b.bits) != b.h*b.rowBytes() {
		t.Fatalf("%s: %d bytes of pixels for %dx%d", path, len(b.bits), b.w, b.h)
	}
	return b
}

// diff counts the pixels where got and want differ.
func diff(got, want bitmap) (int, string) {
	if got.w != want.w || got.h != want.h {
		return -1, fmt.Sprintf("size %dx%d, want %dx%d", got.w, got.h, want.w, want.h)
	}
	n, first := 0, ""
	for y := range want.h {
		for x := range want.w {
			if got.black(x, y) != want.black(x, y) {
				if n == 0 {
					first = fmt.Sprintf("first at x=%d y=%d", x, y)
				}
				n++
			}
		}
	}
	return n, first
}

// expectPage is what a page of a converted PDF must show.
type expectPage struct {
	want       bitmap
	xres, yres float64 // the resolution the source was made at
}

// checkPDF checks a converted PDF against its expected pages: qpdf finds no
// problem, pdfinfo's page sizes follow the resolution, and both
// Ghostscript's rendering of each page at its own resolution and poppler's
// extraction of each page's images equal libtiff's decoding, pixel for pixel.
func checkPDF(t *testing.T, pdf string, pages []expectPage) {
	run(t, "qpdf", "--check", pdf) // exit status 2 on errors, 3 on warnings
	info := run(t, "pdfinfo", "-f", "1", "-l", strconv.Itoa(len(pages)), pdf)
	if m := regexp.MustCompile(`\nPages: +(\d+)\n`).FindStringSubmatch(info); m == nil || m[1] != strconv.Itoa(len(pages)) {
		t.Errorf("pdfinfo: wrong page count, want %d:\n%s", len(pages), info)
	}
	sizes := regexp.MustCompile(`Page +(\d+) size: +([\d.]+) x ([\d.]+) pts`).FindAllStringSubmatch(info, -1)
	if len(sizes) != len(pages) {
		t.Fatalf("pdfinfo listed %d page sizes, want %d", len(sizes), len(pages))
	}
	dir := t.TempDir()
	for i, pg := range pages {
		wpt, hpt := float64(pg.want.w)/pg.xres*72, float64(pg.want.h)/pg.yres*72
		gw, _ := strconv.ParseFloat(sizes[i][2], 64)
		gh, _ := strconv.ParseFloat(sizes[i][3], 64)
		if math.Abs(gw-wpt) > 1 || math.Abs(gh-hpt) > 1 {
			t.Errorf("page %d: %gx%g pt, want %.3fx%.3f", i+1, gw, gh, wpt, hpt)
		}

		n := strconv.Itoa(i + 1)
		render := filepath.Join(dir, "gs-"+n+".pbm")
		run(t, "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pbmraw",
			fmt.Sprintf("-r%gx%g", pg.xres, pg.yres), "-dFirstPage="+n, "-dLastPage="+n, "-sOutputFile="+render, pdf)
		if d, where := diff(readPBM(t, render), pg.want); d != 0 {
			t.Errorf("page %d: Ghostscript rendering differs from libtiff in %d pixels (%s)", i+1, d, where)
		}

		prefix := filepath.Join(dir, "img-"+n)
		run(t, "pdfimages", "-f", n, "-l", n, pdf, prefix)
		files, _ := filepath.Glob(prefix + "-*.pbm")
		slices.Sort(files)
		stacked := bitmap{w: pg.want.w}
		for _, f := range files {
			img := readPBM(t, f)
			if img.w != stacked.w {
				t.Fatalf("page %d: image %s is %d wide, want %d", i+1, f, img.w, stacked.w)
			}
			stacked.h += img.h
			stacked.bits = append(stacked.bits, img.bits...)
		}
		if d, where := diff(stacked, pg.want); d != 0 {
			t.Errorf("page %d: poppler's %d images differ from libtiff in %d pixels (%s)", i+1, len(files), d, where)
		}
	}
}

// checkAllG4 checks that every CCITT image of a PDF is coded as G4.
func checkAllG4(t *testing.T, pdf string) {
	t.Helper()
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`/CCITTFaxDecode /DecodeParms << /K (-?\d+)`).FindAllSubmatch(b, -1) {
		if string(m[1]) != "-1" {
			t.Fatalf("%s holds an image with /K %s, want every image in G4", filepath.Base(pdf), m[1])
		}
	}
	if bytes.Contains(b, []byte("/FlateDecode")) {
		t.Fatalf("%s holds a deflated image, want every image in G4", filepath.Base(pdf))
	}
}

// expect pairs libtiff's pages of a TIFF file with the resolution it was made at.
func expect(t *testing.T, tif string, xres, yres float64) []expectPage {
	var pages []expectPage
	for _, b := range libtiffPages(t, tif) {
		pages = append(pages, expectPage{b, xres, yres})
	}
	return pages
}

func fileSize(t testing.TB, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// toolCases makes the test inputs in dir: Ghostscript's fax devices, then
// libtiff's codecs, fill orders, strip sizes and byte orders over them.
func toolCases(t *testing.T, dir string) []struct {
	name       string
	tif        string
	xres, yres float64
} {
	fine := gsTIFF(t, dir, "tiffg4", "204x196")
	normal := gsTIFF(t, dir, "tiffg4", "204x98")
	// libtiff writes min-is-black pixels when the uncompressed copy is
	// relabelled: its CCITT encoder codes 0 bits as white runs whatever
	// the photometric, so these pages are honest min-is-black data (they
	// show as negatives of the originals).
	minIsBlack := tiffset(t, tiffcp(t, fine, "-c", "none"), "-minisblack", 3, "-s", "262", "1")
	return []struct {
		name       string
		tif        string
		xres, yres float64
	}{
		{"gs tiffg4 fine", fine, 204, 196},
		{"gs tiffg4 normal", normal, 204, 98},
		{"gs tiffg3", gsTIFF(t, dir, "tiffg3", "204x196"), 204, 196},
		{"gs tiffg32d", gsTIFF(t, dir, "tiffg32d", "204x196"), 204, 196},
		{"gs tiffcrle", gsTIFF(t, dir, "tiffcrle", "204x196"), 204, 196},
		{"gs tiffg4 odd width 300 dpi", gsTIFF(t, dir, "tiffg4", "300", "-dAdjustWidth=0", "-g1001x1400"), 300, 300},
		{"tiffcp g3 1d", tiffcp(t, fine, "-c", "g3:1d"), 204, 196},
		{"tiffcp g3 2d", tiffcp(t, fine, "-c", "g3:2d"), 204, 196},
		{"tiffcp g3 2d fill", tiffcp(t, fine, "-c", "g3:2d:fill"), 204, 196},
		{"tiffcp g3 1d fill lsb2msb", tiffcp(t, fine, "-c", "g3:1d:fill", "-f", "lsb2msb"), 204, 196},
		{"tiffcp g4 lsb2msb", tiffcp(t, fine, "-c", "g4", "-f", "lsb2msb"), 204, 196},
		{"tiffcp g4 64 rows per strip", tiffcp(t, fine, "-c", "g4", "-r", "64"), 204, 196},
		{"tiffcp g3 2d 100 rows per strip lsb2msb", tiffcp(t, normal, "-c", "g3:2d", "-r", "100", "-f", "lsb2msb"), 204, 98},
		{"tiffcp big-endian g3 2d fill", tiffcp(t, fine, "-B", "-c", "g3:2d:fill"), 204, 196},
		{"tiffcp none", tiffcp(t, fine, "-c", "none"), 204, 196},
		{"tiffcp none lsb2msb", tiffcp(t, fine, "-c", "none", "-f", "lsb2msb"), 204, 196},
		{"min-is-black none", minIsBlack, 204, 196},
		{"min-is-black g4 64 rows per strip", tiffcp(t, minIsBlack, "-c", "g4", "-r", "64"), 204, 196},
		{"min-is-black g3 2d fill", tiffcp(t, minIsBlack, "-c", "g3:2d:fill"), 204, 196},
		{"min-is-black crle", tiffset(t, gsTIFF(t, dir, "tiffcrle", "204x98"), "-minisblack", 3, "-s", "262", "1"), 204, 98},
		{"no resolution fax fine", tiffset(t, tiffset(t, fine, "-nox", 3, "-u", "282"), "-noy", 3, "-u", "283"), 204, 196},
		{"no y resolution fax normal", tiffset(t, normal, "-noy", 3, "-u", "283"), 204, 98},
		{"resolution unit none fax normal", tiffset(t, normal, "-unitnone", 3, "-s", "296", "1"), 204, 98},
	}
}

func TestToolchain(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	for _, tc := range toolCases(t, dir) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pdf := strings.TrimSuffix(tc.tif, ".tif") + ".pdf"
			n, err := Convert(context.Background(), pdf, []string{tc.tif}, Info{Title: tc.name, Producer: "Scangate test", Created: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			pages := expect(t, tc.tif, tc.xres, tc.yres)
			if n != len(pages) {
				t.Fatalf("converted %d pages, libtiff sees %d", n, len(pages))
			}
			checkPDF(t, pdf, pages)
			g3 := readLayout(t, tc.tif)[0].Compression == CompressionG3
			if !g3 {
				checkAllG4(t, pdf)
			}
			t.Logf("%s: %d pages, TIFF %d bytes, PDF %d bytes", tc.name, n, fileSize(t, tc.tif), fileSize(t, pdf))
			if g3 {
				compact := strings.TrimSuffix(tc.tif, ".tif") + "-compact.pdf"
				if _, err := Convert(context.Background(), compact, []string{tc.tif}, Info{Compact: true}); err != nil {
					t.Fatal(err)
				}
				checkPDF(t, compact, pages)
				checkAllG4(t, compact)
				if fileSize(t, compact) >= fileSize(t, pdf) {
					t.Errorf("compact PDF of %d bytes, the G3 one has %d", fileSize(t, compact), fileSize(t, pdf))
				}
				t.Logf("%s: compact PDF %d bytes", tc.name, fileSize(t, compact))
			}
		})
	}
}

// TestToolchainMixed converts inputs of different codings and resolutions
// into one PDF.
func TestToolchainMixed(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	fine := gsTIFF(t, dir, "tiffg4", "204x196")
	inputs := []struct {
		tif        string
		xres, yres float64
	}{
		{fine, 204, 196},
		{gsTIFF(t, dir, "tiffcrle", "204x98"), 204, 98},
		{tiffcp(t, fine, "-c", "g3:2d:fill", "-r", "128", "-f", "lsb2msb"), 204, 196},
		{gsTIFF(t, dir, "tiffg4", "300", "-dAdjustWidth=0", "-g1001x1400"), 300, 300},
	}
	var paths []string
	var pages []expectPage
	for _, in := range inputs {
		paths = append(paths, in.tif)
		pages = append(pages, expect(t, in.tif, in.xres, in.yres)...)
	}
	pdf := filepath.Join(dir, "mixed.pdf")
	n, err := Convert(context.Background(), pdf, paths, Info{Title: "Mixed", Producer: "Scangate test"})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(pages) {
		t.Fatalf("converted %d pages, want %d", n, len(pages))
	}
	checkPDF(t, pdf, pages)
}

// TestToolchainManyPages checks the page tree of a document longer than
// one tree node with qpdf and pdfinfo.
func TestToolchainManyPages(t *testing.T) {
	needTools(t)
	in := writeFile(t, t.TempDir(), "one.tif", readSample(t))
	inputs := slices.Repeat([]string{in}, pagesPerNode+10)
	pdf := filepath.Join(t.TempDir(), "long.pdf")
	if _, err := Convert(context.Background(), pdf, inputs, Info{}); err != nil {
		t.Fatal(err)
	}
	run(t, "qpdf", "--check", pdf)
	info := run(t, "pdfinfo", "-f", "1034", "-l", "1034", pdf)
	if !regexp.MustCompile(`\nPages: +1034\n(.|\n)*\nPage 1034 size: +609.882 x 792 pts\n`).MatchString(info) {
		t.Errorf("pdfinfo:\n%s", info)
	}
}
