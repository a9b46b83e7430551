package document

// These tests make BigTIFF, tiled, JPEG and PBM inputs with Ghostscript and
// libtiff, convert them, and check the PDFs with qpdf, Ghostscript and
// poppler against libtiff's (or Go's) decoding of the sources.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// colourPostScript draws a page of saturated colour areas, grey steps and
// text: a wrong colour transform or channel order shows as large errors.
const colourPostScript = `%!PS
<< /PageSize [612 792] >> setpagedevice
/Helvetica findfont 28 scalefont setfont
0 0 0 setrgbcolor 72 720 moveto (Scangate colour test) show
1 0 0 setrgbcolor 72 520 140 140 rectfill
0 1 0 setrgbcolor 236 520 140 140 rectfill
0 0 1 setrgbcolor 400 520 140 140 rectfill
1 1 0 setrgbcolor 72 360 140 140 rectfill
0 1 1 setrgbcolor 236 360 140 140 rectfill
0.8 0.3 0.5 setrgbcolor 400 360 140 140 rectfill
0 1 9 { dup 0.1 mul setgray 50 mul 72 add 200 50 120 rectfill } for
0.1 0.2 0.6 setrgbcolor /Times-Roman findfont 14 scalefont setfont
72 150 moveto (The quick brown fox jumps over the lazy dog 0123456789) show
showpage
`

// raster is a decoded picture: 1 (grey), 3 (RGB) or 4 (CMYK) samples a
// pixel, 8 bits each.
type raster struct {
	w, h, n int
	pix     []byte
}

// readPNM reads a binary PGM (P5), PPM (P6) or PAM (P7) file of 8-bit samples.
func readPNM(t *testing.T, path string) raster {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r raster
	var body []byte
	switch string(data[:2]) {
	case "P5", "P6":
		// Four tokens (magic, width, height, maxval) with comments between
		// them, the last followed by one whitespace byte.
		var tok []string
		end := 0
		for len(tok) < 4 {
			for isSpace(data[end]) || data[end] == '#' {
				if data[end] == '#' {
					end += bytes.IndexByte(data[end:], '\n')
				}
				end++
			}
			start := end
			for !isSpace(data[end]) {
				end++
			}
			tok = append(tok, string(data[start:end]))
			end++
		}
		r.w, _ = strconv.Atoi(tok[1])
		r.h, _ = strconv.Atoi(tok[2])
		if tok[3] != "255" {
			t.Fatalf("%s: maxval %s", path, tok[3])
		}
		body = data[end:]
		r.n = 1
		if data[1] == '6' {
			r.n = 3
		}
	case "P7":
		end := bytes.Index(data, []byte("ENDHDR\n"))
		for _, line := range strings.Split(string(data[:end]), "\n") {
			f := strings.Fields(line)
			if len(f) == 2 {
				v, _ := strconv.Atoi(f[1])
				switch f[0] {
				case "WIDTH":
					r.w = v
				case "HEIGHT":
					r.h = v
				case "DEPTH":
					r.n = v
				}
			}
		}
		body = data[end+len("ENDHDR\n"):]
	default:
		t.Fatalf("%s is not a binary PGM, PPM or PAM file", path)
	}
	if len(body) < r.w*r.h*r.n {
		t.Fatalf("%s: %d bytes of samples for %dx%dx%d", path, len(body), r.w, r.h, r.n)
	}
	r.pix = body[:r.w*r.h*r.n]
	return r
}

// fromImage turns a decoded Go image into a raster of n samples a pixel.
func fromImage(img image.Image, n int) raster {
	b := img.Bounds()
	r := raster{w: b.Dx(), h: b.Dy(), n: n}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			if cmyk, ok := c.(color.CMYK); ok && n == 4 {
				r.pix = append(r.pix, cmyk.C, cmyk.M, cmyk.Y, cmyk.K)
				continue
			}
			rr, gg, bb, _ := c.RGBA()
			if n == 1 {
				r.pix = append(r.pix, byte(rr>>8))
			} else {
				r.pix = append(r.pix, byte(rr>>8), byte(gg>>8), byte(bb>>8))
			}
		}
	}
	return r
}

// compareRasters checks a rendering against the expected picture: JPEG
// decoders differ slightly (chroma upsampling, rounding, IDCT), so it
// allows a mean difference of 2 levels and 1% of the samples off by more
// than 24 (Go's decoder does not smooth chroma at colour edges as libjpeg
// does); a wrong colour transform or channel order is off by far more.
func compareRasters(t *testing.T, what string, got, want raster) {
	t.Helper()
	if got.w != want.w || got.h != want.h || got.n != want.n {
		t.Errorf("%s: %dx%dx%d, want %dx%dx%d", what, got.w, got.h, got.n, want.w, want.h, want.n)
		return
	}
	var sum float64
	far, worst := 0, 0
	for i := range want.pix {
		d := int(got.pix[i]) - int(want.pix[i])
		if d < 0 {
			d = -d
		}
		sum += float64(d)
		worst = max(worst, d)
		if d > 24 {
			far++
		}
	}
	mean := sum / float64(len(want.pix))
	if mean > 2 || far > len(want.pix)/100 {
		t.Errorf("%s: mean difference %.2f levels, %d of %d samples off by more than 24 (worst %d)", what, mean, far, len(want.pix), worst)
	} else {
		t.Logf("%s: mean difference %.3f levels, worst %d", what, mean, worst)
	}
}

// libtiffRaster decodes every page of a colour or grey TIFF with libtiff
// (tiffcp writes it uncompressed, in strips, as RGB for YCbCr JPEG data)
// and returns the pixels.
func libtiffRaster(t *testing.T, tif string) []raster {
	t.Helper()
	plain := strings.TrimSuffix(tif, ".tif") + "-decoded.tif"
	run(t, "tiffcp", "-s", "-c", "none", tif, plain)
	f, err := os.Open(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pages, err := ReadTIFF(f, fileSize(t, plain))
	if err != nil {
		t.Fatal(err)
	}
	var out []raster
	for _, pg := range pages {
		if pg.BitsPerSample != 8 || pg.PlanarConfig != 1 {
			t.Fatalf("libtiff decoded %s to %d bits, planar %d", tif, pg.BitsPerSample, pg.PlanarConfig)
		}
		r := raster{w: pg.Width, h: pg.Height, n: pg.SamplesPerPixel}
		for _, s := range pg.Strips {
			b := make([]byte, s.Length)
			if _, err := f.ReadAt(b, s.Offset); err != nil {
				t.Fatal(err)
			}
			r.pix = append(r.pix, b...)
		}
		r.pix = r.pix[:r.w*r.h*r.n]
		if pg.Photometric == 0 { // min-is-white grey
			for i := range r.pix {
				r.pix[i] = ^r.pix[i]
			}
		}
		out = append(out, r)
	}
	return out
}

// colourPage is what a page of a converted PDF must show.
type colourPage struct {
	want       raster
	xres, yres float64
}

// checkColourPDF checks a converted PDF against its expected pages: qpdf
// finds no problem, the page sizes follow the resolution, Ghostscript's
// rendering at the page's resolution matches the expected pixels within
// JPEG decoders' differences, and so do poppler's decodings of the page's
// images (pdfimages) put back in their cells of the page's layout. CMYK
// pages are rendered to a CMYK device and not extracted.
func checkColourPDF(t *testing.T, pdf string, layout []Page, pages []colourPage) {
	t.Helper()
	run(t, "qpdf", "--check", pdf)
	checkPageSizes(t, pdf, len(pages), func(i int) (float64, float64) {
		return float64(pages[i].want.w) / pages[i].xres * 72, float64(pages[i].want.h) / pages[i].yres * 72
	})
	dir := t.TempDir()
	for i, pg := range pages {
		n := strconv.Itoa(i + 1)
		device := map[int]string{1: "pgmraw", 3: "ppmraw", 4: "pamcmyk32"}[pg.want.n]
		out := filepath.Join(dir, "gs-"+n)
		run(t, "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE="+device, fmt.Sprintf("-r%gx%g", pg.xres, pg.yres),
			"-dFirstPage="+n, "-dLastPage="+n, "-sOutputFile="+out, pdf)
		compareRasters(t, "page "+n+" Ghostscript", readPNM(t, out), pg.want)
		if pg.want.n == 4 {
			continue
		}
		prefix := filepath.Join(dir, "img-"+n)
		run(t, "pdfimages", "-f", n, "-l", n, pdf, prefix)
		files, _ := filepath.Glob(prefix + "-*")
		slices.Sort(files)
		if len(files) != len(layout[i].Strips) {
			t.Fatalf("page %d: %d images, want %d", i+1, len(files), len(layout[i].Strips))
		}
		page := raster{w: pg.want.w, h: pg.want.h, n: pg.want.n, pix: make([]byte, len(pg.want.pix))}
		for k, f := range files {
			img, at := readPNM(t, f), layout[i].Cell(k).Min
			for y := at.Y; y < min(at.Y+img.h, page.h); y++ {
				for x := at.X; x < min(at.X+img.w, page.w); x++ {
					copy(page.pix[(y*page.w+x)*page.n:][:page.n], img.pix[((y-at.Y)*img.w+x-at.X)*img.n:])
				}
			}
		}
		compareRasters(t, "page "+n+" poppler's images", page, pg.want)
	}
}

// checkPageSizes checks that pdfinfo lists pages pages of the sizes size gives.
func checkPageSizes(t *testing.T, pdf string, pages int, size func(i int) (w, h float64)) {
	t.Helper()
	info := run(t, "pdfinfo", "-f", "1", "-l", strconv.Itoa(pages), pdf)
	if m := regexp.MustCompile(`\nPages: +(\d+)\n`).FindStringSubmatch(info); m == nil || m[1] != strconv.Itoa(pages) {
		t.Errorf("pdfinfo: wrong page count, want %d:\n%s", pages, info)
	}
	sizes := regexp.MustCompile(`Page +(\d+) size: +([\d.]+) x ([\d.]+) pts`).FindAllStringSubmatch(info, -1)
	if len(sizes) != pages {
		t.Fatalf("pdfinfo listed %d page sizes, want %d", len(sizes), pages)
	}
	for i := range pages {
		wpt, hpt := size(i)
		gw, _ := strconv.ParseFloat(sizes[i][2], 64)
		gh, _ := strconv.ParseFloat(sizes[i][3], 64)
		if math.Abs(gw-wpt) > 1 || math.Abs(gh-hpt) > 1 {
			t.Errorf("page %d: %gx%g pt, want %.3fx%.3f", i+1, gw, gh, wpt, hpt)
		}
	}
}

// gsRender renders PostScript with a Ghostscript device into dir.
func gsRender(t *testing.T, dir, ps, name, device, res string, extra ...string) string {
	t.Helper()
	src := filepath.Join(dir, name+".ps")
	if err := os.WriteFile(src, []byte(ps), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	args := append([]string{"-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=" + device, "-r" + res}, extra...)
	run(t, "gs", append(args, "-sOutputFile="+out, src)...)
	return out
}

// readLayout returns the pages of a TIFF file as ReadTIFF sees them.
func readLayout(t *testing.T, tif string) []Page {
	t.Helper()
	f, err := os.Open(tif)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pages, err := ReadTIFF(f, fileSize(t, tif))
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

// TestToolchainBigTIFFAndTiles converts BigTIFF and tiled CCITT files and
// compares the renderings with libtiff's decoding, pixel for pixel. Tiles
// whose last column and row reach past the page are clipped to it.
func TestToolchainBigTIFFAndTiles(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	fine := gsTIFF(t, dir, "tiffg4", "204x196")
	odd := gsTIFF(t, dir, "tiffg4", "300", "-dAdjustWidth=0", "-g1001x1400")
	tests := []struct {
		name       string
		tif        string
		xres, yres float64
	}{
		{"bigtiff g4", tiffcp(t, fine, "-8", "-c", "g4"), 204, 196},
		{"bigtiff big-endian g3 2d fill 64 rows", tiffcp(t, fine, "-8", "-B", "-c", "g3:2d:fill", "-r", "64"), 204, 196},
		{"bigtiff none", tiffcp(t, fine, "-8", "-c", "none"), 204, 196},
		{"tiles g4 512x256", tiffcp(t, fine, "-t", "-w", "512", "-l", "256", "-c", "g4"), 204, 196},
		{"tiles g3 2d 256x256 lsb2msb", tiffcp(t, fine, "-t", "-w", "256", "-l", "256", "-c", "g3:2d", "-f", "lsb2msb"), 204, 196},
		{"tiles none 512x512", tiffcp(t, fine, "-t", "-w", "512", "-l", "512", "-c", "none"), 204, 196},
		{"tiles g4 odd page 128x128", tiffcp(t, odd, "-t", "-w", "128", "-l", "128", "-c", "g4"), 300, 300},
		{"bigtiff tiles crle", tiffcp(t, gsTIFF(t, dir, "tiffcrle", "204x98"), "-8", "-t", "-w", "256", "-l", "512"), 204, 98},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pdf := strings.TrimSuffix(tc.tif, ".tif") + ".pdf"
			n, err := Convert(context.Background(), pdf, []string{tc.tif}, Info{Title: tc.name})
			if err != nil {
				t.Fatal(err)
			}
			// libtiff's decoding of the same pages, copied into strips.
			pages := expect(t, tiffcp(t, tc.tif, "-s", "-c", "none"), tc.xres, tc.yres)
			if n != len(pages) {
				t.Fatalf("converted %d pages, libtiff sees %d", n, len(pages))
			}
			layout := readLayout(t, tc.tif)
			if !layout[0].Tiled() {
				checkPDF(t, pdf, pages)
				return
			}
			checkTiled(t, pdf, layout, pages)
		})
	}
}

// checkTiled is checkPDF for tiled pages: Ghostscript's rendering must
// equal libtiff's decoding, and so must poppler's extraction of the tile
// images put back in their grid cells and clipped to the page.
func checkTiled(t *testing.T, pdf string, layout []Page, pages []expectPage) {
	t.Helper()
	run(t, "qpdf", "--check", pdf)
	checkPageSizes(t, pdf, len(pages), func(i int) (float64, float64) {
		return float64(pages[i].want.w) / pages[i].xres * 72, float64(pages[i].want.h) / pages[i].yres * 72
	})
	dir := t.TempDir()
	for i, pg := range pages {
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
		if len(files) != len(layout[i].Strips) {
			t.Fatalf("page %d: %d images, want %d tiles", i+1, len(files), len(layout[i].Strips))
		}
		page := bitmap{w: pg.want.w, h: pg.want.h, bits: make([]byte, len(pg.want.bits))}
		for k, f := range files {
			tile, cell := readPBM(t, f), layout[i].Cell(k)
			if tile.w != cell.Dx() || tile.h != cell.Dy() {
				t.Fatalf("page %d: tile %d is %dx%d, want %v", i+1, k+1, tile.w, tile.h, cell)
			}
			for y := cell.Min.Y; y < min(cell.Max.Y, page.h); y++ {
				for x := cell.Min.X; x < min(cell.Max.X, page.w); x++ {
					if tile.black(x-cell.Min.X, y-cell.Min.Y) {
						page.bits[y*page.rowBytes()+x/8] |= 0x80 >> (x % 8)
					}
				}
			}
		}
		if d, where := diff(page, pg.want); d != 0 {
			t.Errorf("page %d: poppler's %d tiles differ from libtiff in %d pixels (%s)", i+1, len(files), d, where)
		}
	}
}

// TestToolchainJPEGInTIFF converts JPEG-compressed TIFF pages (YCbCr, RGB,
// grey; strips and tiles) and compares the renderings with libtiff's
// decoding; the extracted streams must also be complete JPEG files that
// Go's decoder reads.
func TestToolchainJPEGInTIFF(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	rgb := gsRender(t, dir, colourPostScript, "rgb.tif", "tiff24nc", "100")
	grey := gsRender(t, dir, colourPostScript, "grey.tif", "tiffgray", "100")
	tests := []struct {
		name string
		tif  string
	}{
		{"ycbcr strips", tiffcp(t, rgb, "-r", "64", "-c", "jpeg:75")},
		{"ycbcr one strip", tiffcp(t, rgb, "-r", "1100", "-c", "jpeg:90")},
		{"rgb strips", tiffcp(t, rgb, "-r", "48", "-c", "jpeg:r")},
		{"ycbcr tiles", tiffcp(t, rgb, "-t", "-w", "256", "-l", "256", "-c", "jpeg")},
		{"grey strips", tiffcp(t, grey, "-r", "32", "-c", "jpeg")},
		{"grey tiles bigtiff big-endian", tiffcp(t, grey, "-8", "-B", "-t", "-w", "128", "-l", "384", "-c", "jpeg")},
		{"min-is-white grey", tiffcp(t, tiffset(t, tiffcp(t, grey, "-c", "none"), "-miniswhite", 1, "-s", "262", "0"), "-r", "64", "-c", "jpeg")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pdf := strings.TrimSuffix(tc.tif, ".tif") + ".pdf"
			if _, err := Convert(context.Background(), pdf, []string{tc.tif}, Info{Title: tc.name}); err != nil {
				t.Fatal(err)
			}
			want := libtiffRaster(t, tc.tif)
			var pages []colourPage
			for _, r := range want {
				pages = append(pages, colourPage{r, 100, 100})
			}
			checkColourPDF(t, pdf, readLayout(t, tc.tif), pages)

			// Each image is a standalone JPEG stream that a third decoder reads.
			prefix := filepath.Join(t.TempDir(), "img")
			run(t, "pdfimages", "-j", pdf, prefix)
			files, _ := filepath.Glob(prefix + "-*.jpg")
			if len(files) == 0 {
				t.Fatal("pdfimages found no JPEG images")
			}
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
					t.Errorf("%s: %v", filepath.Base(f), err)
				}
			}
		})
	}
}

// TestToolchainJPEGFiles converts standalone JPEG files, from Ghostscript
// (JFIF with a density; CMYK with an Adobe segment) and from Go's encoder
// (no JFIF segment: 200 dpi), and checks that the PDF holds each file's bytes
// unchanged and renders like Go's decoding of it.
func TestToolchainJPEGFiles(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	goJPEG := filepath.Join(dir, "go.jpg")
	{
		img := image.NewRGBA(image.Rect(0, 0, 300, 200))
		for y := range 200 {
			for x := range 300 {
				img.Pix[4*(y*300+x)], img.Pix[4*(y*300+x)+1], img.Pix[4*(y*300+x)+2], img.Pix[4*(y*300+x)+3] = byte(x), byte(y), byte(255-x), 255
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, "go.jpg", b.Bytes())
	}
	tests := []struct {
		name       string
		file       string
		n          int
		xres, yres float64
	}{
		{"gs jpeg 100 dpi", gsRender(t, dir, colourPostScript, "rgb.jpg", "jpeg", "100"), 3, 100, 100},
		{"gs jpeg 150x75 dpi", gsRender(t, dir, colourPostScript, "wide.jpg", "jpeg", "150x75"), 3, 150, 75},
		{"gs jpeggray", gsRender(t, dir, colourPostScript, "grey.jpg", "jpeggray", "100"), 1, 100, 100},
		{"gs jpegcmyk (Adobe, inverted; no JFIF: 200 dpi)", gsRender(t, dir, colourPostScript, "cmyk.jpg", "jpegcmyk", "72"), 4, 200, 200},
		{"go encoder, no JFIF: 200 dpi", goJPEG, 3, 200, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			pdf := tc.file + ".pdf"
			if _, err := Convert(context.Background(), pdf, []string{tc.file}, Info{}); err != nil {
				t.Fatal(err)
			}
			layout, err := ReadJPEG(bytes.NewReader(src), int64(len(src)))
			if err != nil {
				t.Fatal(err)
			}
			checkColourPDF(t, pdf, layout, []colourPage{{fromImage(img, tc.n), tc.xres, tc.yres}})
			out, err := os.ReadFile(pdf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(out, append([]byte(" >>\nstream\n"), src...)) {
				t.Error("the PDF does not hold the JPEG file's bytes unchanged")
			}
		})
	}
}

// TestToolchainPBM converts multi-image PBM files, binary and plain, and
// compares the renderings with the images, pixel for pixel.
func TestToolchainPBM(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	raw := gsRender(t, dir, testPostScript, "pages.pbm", "pbmraw", "200")
	plain := gsRender(t, dir, testPostScript, "plain.pbm", "pbm", "200")
	odd := gsRender(t, dir, testPostScript, "odd.pbm", "pbmraw", "200", "-dAdjustWidth=0", "-g1001x1400")
	images := func(path string) []expectPage {
		// Ghostscript writes one image after another; split them with ReadPBM.
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		pages, err := ReadPBM(f, fileSize(t, path))
		if err != nil {
			t.Fatal(err)
		}
		var want []expectPage
		for _, pg := range pages {
			b := bitmap{w: pg.Width, h: pg.Height, bits: make([]byte, pg.Strips[0].Length)}
			if _, err := f.ReadAt(b.bits, pg.Strips[0].Offset); err != nil {
				t.Fatal(err)
			}
			want = append(want, expectPage{b, 200, 200})
		}
		return want
	}
	rawPages := images(raw)
	if len(rawPages) != 3 {
		t.Fatalf("Ghostscript wrote %d images, want 3", len(rawPages))
	}
	tests := []struct {
		name   string
		inputs []string
		want   []expectPage
	}{
		{"raw", []string{raw}, rawPages},
		{"plain", []string{plain}, rawPages},
		{"odd width", []string{odd}, images(odd)},
		{"raw, plain and odd", []string{raw, plain, odd}, slices.Concat(rawPages, rawPages, images(odd))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pdf := filepath.Join(t.TempDir(), "out.pdf")
			if _, err := Convert(context.Background(), pdf, tc.inputs, Info{}); err != nil {
				t.Fatal(err)
			}
			checkPDF(t, pdf, tc.want)
		})
	}
}

// TestToolchainMixedFormats puts TIFF, JPEG and PBM pages into one PDF.
func TestToolchainMixedFormats(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	fax := gsTIFF(t, dir, "tiffg4", "204x196")
	photo := gsRender(t, dir, colourPostScript, "photo.jpg", "jpeg", "100")
	pbm := gsRender(t, dir, testPostScript, "pages.pbm", "pbmraw", "200")
	pdf := filepath.Join(dir, "mixed.pdf")
	n, err := Convert(context.Background(), pdf, []string{fax, photo, pbm, fax}, Info{Title: "Mixed"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3+1+3+3 {
		t.Fatalf("%d pages", n)
	}
	run(t, "qpdf", "--check", pdf)
	checkPageSizes(t, pdf, n, func(i int) (float64, float64) {
		switch {
		case i == 3:
			return 612, 792 // the JPEG at its JFIF density
		case i >= 4 && i < 7:
			return 612, 792 // PBM at 200 dpi, rendered at 200 dpi
		}
		return 1728.0 / 204 * 72, 2156.0 / 196 * 72
	})
}
