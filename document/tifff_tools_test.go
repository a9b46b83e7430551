package document

// These tests write TIFF-F files from pages that Ghostscript and libtiff
// make, and check them with libtiff: the tags RFC 3949 profile S asks for,
// no warnings from tiffcp and tiff2pdf, fax pages pixel for pixel, and
// resampled pages against Ghostscript's own rendering at fax resolution.

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// quiet runs a tool that must succeed without a word on standard error
// (libtiff's warnings go there).
func quiet(t *testing.T, name string, args ...string) {
	t.Helper()
	toolrun.Need(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), toolrun.Timeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
}

// writeTIFFF converts every page of the input files into a TIFF-F file.
func writeTIFFF(t *testing.T, out string, inputs ...string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tf := NewTIFFF(f)
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		pages, err := ReadPages(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, pg := range pages {
			if err := tf.AddPage(bytes.NewReader(b), pg); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tf.Close(); err != nil {
		t.Fatal(err)
	}
}

// tifffPage is what one page of a TIFF-F file must be.
type tifffPage struct {
	rows int
	yres int
}

// checkTIFFF checks a TIFF-F file with libtiff's tools: the profile S
// tags, one strip after its IFD in a little-endian file, and tiffcp and
// tiff2pdf reading it without a warning.
func checkTIFFF(t *testing.T, tif string, want []tifffPage) {
	t.Helper()
	info := run(t, "tiffinfo", tif)
	dirs := strings.Split(info, "=== TIFF directory")[1:]
	if len(dirs) != len(want) {
		t.Fatalf("tiffinfo lists %d pages, want %d:\n%s", len(dirs), len(want), info)
	}
	for i, w := range want {
		for _, line := range []string{
			"Subfile Type: multi-page document (2 = 0x2)",
			fmt.Sprintf("Image Width: 1728 Image Length: %d", w.rows),
			fmt.Sprintf("Resolution: 204, %d pixels/inch", w.yres),
			"Bits/Sample: 1",
			"Compression Scheme: CCITT Group 3",
			"Photometric Interpretation: min-is-white",
			"FillOrder: msb-to-lsb",
			"Samples/Pixel: 1",
			fmt.Sprintf("Rows/Strip: %d", w.rows),
			fmt.Sprintf("Page Number: %d-%d", i, len(want)),
			"Group 3 Options: EOL padding (4 = 0x4)",
		} {
			if !strings.Contains(dirs[i], "\n  "+line+"\n") {
				t.Errorf("page %d: tiffinfo does not say %q:\n%s", i+1, line, dirs[i])
			}
		}
	}
	dump := run(t, "tiffdump", tif)
	if !strings.Contains(dump, "Magic: 0x4949 <little-endian>") {
		t.Errorf("not little-endian:\n%s", dump[:min(len(dump), 200)])
	}
	ifds := regexp.MustCompile(`Directory \d+: offset (\d+)`).FindAllStringSubmatch(dump, -1)
	strips := regexp.MustCompile(`StripOffsets \(273\) LONG \(4\) (\d+)<(\d+)>`).FindAllStringSubmatch(dump, -1)
	if len(ifds) != len(want) || len(strips) != len(want) {
		t.Fatalf("tiffdump: %d IFDs, %d single-strip pages, want %d:\n%s", len(ifds), len(strips), len(want), dump)
	}
	for i := range want {
		ifd, _ := strconv.Atoi(ifds[i][1])
		strip, _ := strconv.Atoi(strips[i][2])
		if strips[i][1] != "1" || strip < ifd {
			t.Errorf("page %d: IFD at %d, %s strips from %d; want one strip after the IFD", i+1, ifd, strips[i][1], strip)
		}
	}
	quiet(t, "tiffcp", tif, strings.TrimSuffix(tif, ".tif")+"-tiffcp.tif")
	quiet(t, "tiff2pdf", "-o", strings.TrimSuffix(tif, ".tif")+"-tiff2pdf.pdf", tif)
}

// TestToolchainTIFFFFaxPages converts fax pages in every coding, fill
// order, photometric and layout into TIFF-F and expects libtiff to decode
// exactly the pixels it decodes from the sources.
func TestToolchainTIFFFFaxPages(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	fine := gsTIFF(t, dir, "tiffg4", "204x196")
	normal := gsTIFF(t, dir, "tiffg4", "204x98")
	minIsBlack := tiffset(t, tiffcp(t, fine, "-c", "none"), "-minisblack", 3, "-s", "262", "1")
	cases := []struct {
		name string
		tif  string
		yres int
		same string // a file libtiff decodes into the same pixels, when it cannot decode tif with tiffinfo -d
	}{
		{"gs tiffg4 fine", fine, 196, ""},
		{"gs tiffg4 normal", normal, 98, ""},
		{"gs tiffg3", gsTIFF(t, dir, "tiffg3", "204x196"), 196, ""},
		{"gs tiffg32d", gsTIFF(t, dir, "tiffg32d", "204x98"), 98, ""},
		{"gs tiffcrle", gsTIFF(t, dir, "tiffcrle", "204x196"), 196, ""},
		{"tiffcp g3 2d fill 100 rows per strip lsb2msb", tiffcp(t, normal, "-c", "g3:2d:fill", "-r", "100", "-f", "lsb2msb"), 98, ""},
		{"tiffcp big-endian g4 64 rows per strip", tiffcp(t, fine, "-B", "-c", "g4", "-r", "64"), 196, ""},
		{"tiffcp none lsb2msb", tiffcp(t, fine, "-c", "none", "-f", "lsb2msb"), 196, ""},
		{"tiffcp g4 tiles", tiffcp(t, fine, "-c", "g4", "-t", "-w", "256", "-l", "512"), 196, fine},
		{"min-is-black g4", tiffcp(t, minIsBlack, "-c", "g4"), 196, ""},
		{"min-is-black none", minIsBlack, 196, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := strings.TrimSuffix(tc.tif, ".tif") + "-tifff.tif"
			writeTIFFF(t, out, tc.tif)
			src := libtiffPages(t, cmp.Or(tc.same, tc.tif))
			var want []tifffPage
			for _, b := range src {
				want = append(want, tifffPage{b.h, tc.yres})
			}
			checkTIFFF(t, out, want)
			got := libtiffPages(t, out)
			for i := range src {
				if d, where := diff(got[i], src[i]); d != 0 {
					t.Errorf("page %d: %d pixels differ from the source (%s)", i+1, d, where)
				}
			}
			t.Logf("%s: %d pages, %d bytes in, %d bytes of TIFF-F", tc.name, len(src), fileSize(t, tc.tif), fileSize(t, out))
		})
	}
}

// TestToolchainTIFFFResampled converts pages at other resolutions and
// sizes. Resampling cannot be pixel-exact, so letter pages are compared
// with Ghostscript's rendering of the same PostScript at 204 x 196 dpi in
// blocks of 16 x 16 pixels: no block may differ in more than a quarter of
// its pixels (a page misplaced by a few pixels, scaled wrongly or with
// lost strokes differs in far more; correct ones stay under a fifth).
func TestToolchainTIFFFResampled(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	// The reference: letter pages at fax resolution, 1734 pixels wide
	// (8.5 in), cropped to the 1728 in the middle as the writer crops.
	ref := libtiffPages(t, gsTIFF(t, dir, "tiffg4", "204x196", "-dAdjustWidth=0"))
	for i, b := range ref {
		ref[i] = cropWidth(b, faxLine)
	}
	// Ghostscript's fax devices widen pages near 1728 pixels unless told not to.
	const noAdjust = "-dAdjustWidth=0"
	g4at300 := gsTIFF(t, dir, "tiffg4", "300", noAdjust)
	cases := []struct {
		name string
		in   string
		rows int     // of each page
		xres float64 // of the source, to check where a page that is not compared lands
	}{
		{"300 dpi", g4at300, 2156, 0},
		{"200 dpi", gsTIFF(t, dir, "tiffg4", "200", noAdjust), 2156, 0},
		{"400 dpi", gsTIFF(t, dir, "tiffg4", "400", noAdjust), 2156, 0},
		{"300 dpi tiles", tiffcp(t, g4at300, "-c", "g4", "-t", "-w", "512", "-l", "256"), 2156, 0},
		{"PBM (taken as 200 dpi)", gsTIFF(t, dir, "pbmraw", "200"), 2156, 0},
		{"plain PBM", gsTIFF(t, dir, "pbm", "200"), 2156, 0},
		{"3.3 in wide at 300 dpi", gsTIFF(t, dir, "tiffg4", "300", noAdjust, "-dFIXEDMEDIA", "-g1001x1400"), 915, 300},
		{"204 x 98 dpi B4 width", gsTIFF(t, dir, "tiffg4", "204x98", "-dFIXEDMEDIA", "-g2048x1100"), 2200, 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := tc.in + "-tifff.tif"
			writeTIFFF(t, out, tc.in)
			checkTIFFF(t, out, []tifffPage{{tc.rows, 196}, {tc.rows, 196}, {tc.rows, 196}})
			got := libtiffPages(t, out)
			if tc.xres == 0 {
				for i := range got {
					if worst, x, y := blockDiff(got[i], ref[i], 16); worst > 0.25 {
						t.Errorf("page %d: the 16x16 block at x=%d y=%d differs from Ghostscript's rendering in %.0f%% of its pixels",
							i+1, x, y, 100*worst)
					}
				}
				return
			}
			// The page keeps its width in inches and is centred on the line.
			for i, src := range libtiffPages(t, tc.in) {
				scale := faxXRes / tc.xres
				off := (faxLine - float64(src.w)*scale) / 2
				first, last := blackColumns(src)
				wantFirst := max(0, off+float64(first)*scale)
				wantLast := min(faxLine-1, off+float64(last)*scale)
				if gotFirst, gotLast := blackColumns(got[i]); math.Abs(float64(gotFirst)-wantFirst) > 1 || math.Abs(float64(gotLast)-wantLast) > 1 {
					t.Errorf("page %d: black from column %d to %d, want %.1f to %.1f", i+1, gotFirst, gotLast, wantFirst, wantLast)
				}
			}
		})
	}
}

// blackColumns returns the first and last column holding a black pixel.
func blackColumns(b bitmap) (first, last int) {
	first, last = b.w, -1
	for y := range b.h {
		for x := range b.w {
			if b.black(x, y) {
				first, last = min(first, x), max(last, x)
			}
		}
	}
	return first, last
}

// blockDiff splits two pages into n x n blocks and returns the largest
// share of differing pixels in a block, and where that block is.
func blockDiff(a, b bitmap, n int) (worst float64, wx, wy int) {
	for by := 0; by+n <= min(a.h, b.h); by += n {
		for bx := 0; bx+n <= min(a.w, b.w); bx += n {
			ca, cb := 0, 0
			for y := by; y < by+n; y++ {
				for x := bx; x < bx+n; x++ {
					if a.black(x, y) {
						ca++
					}
					if b.black(x, y) {
						cb++
					}
				}
			}
			if d := math.Abs(float64(ca-cb)) / float64(n*n); d > worst {
				worst, wx, wy = d, bx, by
			}
		}
	}
	return worst, wx, wy
}

// cropWidth keeps the middle w columns of a page.
func cropWidth(b bitmap, w int) bitmap {
	c := bitmap{w: w, h: b.h, bits: make([]byte, b.h*((w+7)/8))}
	off := (b.w - w) / 2
	for y := range b.h {
		for x := range w {
			if b.black(x+off, y) {
				c.bits[y*c.rowBytes()+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	return c
}
