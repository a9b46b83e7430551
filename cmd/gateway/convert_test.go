package main

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// convertPS is two pages of text and rules for the convert tests' inputs.
const convertPS = `%!PS
<< /PageSize [612 792] >> setpagedevice
/Helvetica findfont 24 scalefont setfont
72 720 moveto (Scangate convert test, page 1) show
1 0 0 setrgbcolor 72 400 200 200 rectfill
0 0 0 setrgbcolor 2 setlinewidth 72 300 moveto 540 300 lineto stroke
showpage
/Times-Roman findfont 12 scalefont setfont
0 1 40 { dup 15 mul 100 add 72 exch moveto pop (A line of text on page 2, 0123456789) show } for
showpage
`

// tool runs an external tool the convert tests need and returns its standard output, failing the test
// when it is missing or fails.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	stdout, _ := toolrun.Run(t, name, args...)
	return stdout
}

// render makes out from the test pages with a Ghostscript device; a JPEG
// file holds one picture, so the JPEG devices get the first page only.
func render(t *testing.T, dir, device, res, out string) string {
	t.Helper()
	text := convertPS
	if strings.HasPrefix(device, "jpeg") {
		text = convertPS[:strings.Index(convertPS, "showpage")] + "showpage\n"
	}
	ps := filepath.Join(dir, device+".ps")
	if err := os.WriteFile(ps, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, out)
	tool(t, "gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE="+device, "-r"+res, "-sOutputFile="+path, ps)
	return path
}

// pdfPages returns the page sizes pdfinfo reports, in points, after
// qpdf --check has found no problem.
func pdfPages(t *testing.T, pdf string) [][2]float64 {
	t.Helper()
	tool(t, "qpdf", "--check", pdf)
	info := tool(t, "pdfinfo", "-f", "1", "-l", "1000", pdf)
	m := regexp.MustCompile(`\nPages: +(\d+)\n`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo printed no page count:\n%s", info)
	}
	var sizes [][2]float64
	for _, s := range regexp.MustCompile(`Page +\d+ size: +([\d.]+) x ([\d.]+) pts`).FindAllStringSubmatch(info, -1) {
		w, _ := strconv.ParseFloat(s[1], 64)
		h, _ := strconv.ParseFloat(s[2], 64)
		sizes = append(sizes, [2]float64{w, h})
	}
	if n, _ := strconv.Atoi(m[1]); n != len(sizes) {
		t.Fatalf("pdfinfo counts %d pages and lists %d sizes", n, len(sizes))
	}
	return sizes
}

// TestConvertFormats converts TIFF, JPEG and PBM files, whose names lie
// about their formats, into one PDF and checks its pages and their sizes.
func TestConvertFormats(t *testing.T) {
	dir := t.TempDir()
	fax := render(t, dir, "tiffg4", "204x196", "fax.tif")
	photo := render(t, dir, "jpeg", "100", "photo.tif") // a JPEG file named .tif
	pbm := render(t, dir, "pbmraw", "200", "scan.jpg")  // a PBM file named .jpg
	grey := render(t, dir, "jpeggray", "150", "grey.jpeg")
	out := filepath.Join(dir, "mixed.pdf")
	r := gateway(t, "convert", "-o", out, fax, photo, pbm, grey)
	if r.code != 0 {
		t.Fatalf("convert exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, out+": 6 pages") {
		t.Errorf("stdout %q", r.stdout)
	}
	// Every page is a letter page: the fax at 204x196 dpi, the JPEG files
	// at their JFIF densities, the PBM pages at PBM's default of 200 dpi.
	sizes := pdfPages(t, out)
	if len(sizes) != 6 {
		t.Fatalf("%d pages, want 6", len(sizes))
	}
	for i, s := range sizes {
		w, h := 612.0, 792.0
		if i < 2 {
			w, h = 1728.0/204*72, 2156.0/196*72 // Ghostscript's fax devices use the T.4 width
		}
		if math.Abs(s[0]-w) > 1 || math.Abs(s[1]-h) > 1 {
			t.Errorf("page %d: %gx%g pt, want %.1fx%.1f", i+1, s[0], s[1], w, h)
		}
	}
}

// TestConvertCompact converts a G3 fax with and without --compact: both
// PDFs are sound, and the compact one is smaller.
func TestConvertCompact(t *testing.T) {
	dir := t.TempDir()
	g3 := filepath.Join(dir, "g3.tif")
	tool(t, "tiffcp", "-c", "g3:2d:fill", render(t, dir, "tiffg4", "204x196", "g4.tif"), g3)
	sizes := map[bool]int64{}
	for _, compact := range []bool{false, true} {
		out := filepath.Join(dir, "plain.pdf")
		args := []string{"convert", "-o", out, g3}
		if compact {
			out = filepath.Join(dir, "compact.pdf")
			args = []string{"convert", "--compact", "-o", out, g3}
		}
		if r := gateway(t, args...); r.code != 0 {
			t.Fatalf("%v: exit %d:\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		if n := len(pdfPages(t, out)); n != 2 {
			t.Errorf("%s: %d pages, want 2", out, n)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		sizes[compact] = st.Size()
	}
	if sizes[true] >= sizes[false] {
		t.Errorf("compact PDF %d bytes, plain %d bytes", sizes[true], sizes[false])
	}
	t.Logf("G3 2-D fax, 2 pages: PDF %d bytes, with --compact %d bytes", sizes[false], sizes[true])
}

// TestConvertTIFFF converts a fax and PBM pages into TIFF-F, which
// libtiff then reads: G3 pages, 1728 pixels wide.
func TestConvertTIFFF(t *testing.T) {
	dir := t.TempDir()
	fax := render(t, dir, "tiffg4", "204x196", "fax.tif")
	pbm := render(t, dir, "pbmraw", "200", "scan.pbm")
	out := filepath.Join(dir, "fax.tiff")
	r := gateway(t, "convert", "--format", "tiff-f", "-o", out, fax, pbm)
	if r.code != 0 {
		t.Fatalf("convert exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, out+": 4 pages") {
		t.Errorf("stdout %q", r.stdout)
	}
	info := tool(t, "tiffinfo", out)
	if n := strings.Count(info, "Compression Scheme: CCITT Group 3"); n != 4 {
		t.Errorf("tiffinfo shows %d G3 pages, want 4:\n%s", n, info)
	}
	if n := strings.Count(info, "Image Width: 1728 "); n != 4 {
		t.Errorf("tiffinfo shows %d pages 1728 pixels wide, want 4", n)
	}
}

// TestConvertFailures checks the messages and exit codes of convert's
// failures: each names the file and, where it lies in a page, the page.
func TestConvertFailures(t *testing.T) {
	dir := t.TempDir()
	fax := render(t, dir, "tiffg4", "204x196", "fax.tif")
	photo := render(t, dir, "jpeg", "100", "photo.jpg")
	cut := filepath.Join(dir, "cut.pbm")
	os.WriteFile(cut, []byte("P4 16 2\n\xff\xff\x00\x00P4 16 2\n\xff"), 0o644)
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("call back tomorrow\n"), 0o644)
	out := filepath.Join(dir, "out.pdf")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"damaged page", []string{"convert", "-o", out, fax, cut}, exitFail, cut + " page 2: raster extends past end of file"},
		{"not a scan", []string{"convert", "-o", out, fax, notes}, exitFail, notes + ": not a TIFF file, nor a JPEG or PBM image"},
		{"JPEG into tiff-f", []string{"convert", "--format", "tiff-f", "-o", out, fax, photo}, exitFail, photo + " page 1: unsupported"},
		{"compact tiff-f", []string{"convert", "--format", "tiff-f", "--compact", "-o", out, fax}, exitUsage, "--compact applies to PDF output only"},
		{"unknown format", []string{"convert", "--format", "png", "-o", out, fax}, exitUsage, `--format "png": want pdf or tiff-f`},
		{"no inputs", []string{"convert", "-o", out}, exitUsage, "no input files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gateway(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed conversion left an output behind")
	}
}
