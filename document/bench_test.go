package document

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// benchPages is the length of the benchmark's fax documents.
const benchPages = 50

// faxDocument makes a TIFF of n pages from the three text pages of
// testPostScript (Ghostscript's G4 fax device, one strip a page), recoded
// by tiffcp with opts.
func faxDocument(tb testing.TB, dir string, n int, opts ...string) string {
	tb.Helper()
	pages := gsTIFF(tb, dir, "tiffg4", "204x196")
	args := slicesOf(opts)
	for i := range n {
		args = append(args, pages+","+strconv.Itoa(i%3))
	}
	out := filepath.Join(dir, fmt.Sprintf("fax-%d%s.tif", n, strings.ReplaceAll(strings.Join(opts, ""), ":", "")))
	run(tb, "tiffcp", append(args, out)...)
	return out
}

func slicesOf(s []string) []string { return append([]string(nil), s...) }

// BenchmarkConvert converts a 50-page G4 fax (one strip a page) and a
// 50-page G3 2-D fax with this package and with libtiff's tiff2pdf, in the
// same run, and reports pages per second and the output's size. tiff2pdf
// passes single-strip G4 through and recodes G3 as G4.
func BenchmarkConvert(b *testing.B) {
	needTools(b)
	toolrun.Need(b, "tiff2pdf")
	dir := b.TempDir()
	inputs := []struct{ name, tif string }{
		{"G4", faxDocument(b, dir, benchPages, "-c", "g4", "-r", "100000")},
		{"G3-2D", faxDocument(b, dir, benchPages, "-c", "g3:2d:fill", "-r", "100000")},
	}
	for _, in := range inputs {
		ways := []struct {
			name    string
			convert func(out string) error
		}{
			{"scangate", func(out string) error {
				_, err := Convert(context.Background(), out, []string{in.tif}, Info{})
				return err
			}},
			{"scangate-compact", func(out string) error {
				_, err := Convert(context.Background(), out, []string{in.tif}, Info{Compact: true})
				return err
			}},
			{"tiff2pdf", func(out string) error {
				o, err := exec.Command("tiff2pdf", "-o", out, in.tif).CombinedOutput()
				if err != nil {
					return fmt.Errorf("tiff2pdf: %v\n%s", err, o)
				}
				return nil
			}},
		}
		for _, way := range ways {
			if way.name == "scangate-compact" && in.name != "G3-2D" {
				continue
			}
			b.Run(in.name+"-"+strconv.Itoa(benchPages)+"/"+way.name, func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "out.pdf")
				for b.Loop() {
					if err := way.convert(out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(benchPages*b.N)/b.Elapsed().Seconds(), "pages/s")
				b.ReportMetric(float64(fileSize(b, out)), "bytes")
			})
		}
	}
}

// memoryTimeout bounds one conversion run by the memory test; 500 pages
// take well under a second.
const memoryTimeout = toolrun.Timeout

// TestConvertMemoryFlat converts 10 and 500 pages of the same kinds in a
// process of their own, which reports its peak resident memory (VmHWM),
// and compares them: memory must not grow with the document. The bound is
// generous, for the runtime's own variation: 500 pages under twice the
// 10-page peak plus 8 MiB.
func TestConvertMemoryFlat(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "convertcmd")
	run(t, "go", "build", "-o", bin, "./internal/convertcmd")

	pbm := func(n int) string { // n pages as one multi-image PBM file, written a page at a time
		pages := gsRender(t, dir, testPostScript, "pages.pbm", "pbmraw", "204x196")
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("pages-%d.pbm", n)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		in, err := os.Open(pages)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		for range (n + 2) / 3 {
			if _, err := in.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, in); err != nil {
				t.Fatal(err)
			}
		}
		return f.Name()
	}
	kinds := []struct {
		name    string
		make    func(n int) string
		compact bool
	}{
		{"G4 pass-through", func(n int) string { return faxDocument(t, dir, n, "-c", "g4") }, false},
		{"G3 2-D compact", func(n int) string { return faxDocument(t, dir, n, "-c", "g3:2d:fill") }, true},
		{"PBM to G4", pbm, false},
	}
	for _, k := range kinds {
		var rss [2]int
		for i, n := range []int{10, 500} {
			in := k.make(n)
			args := []string{filepath.Join(dir, "out.pdf"), in}
			if k.compact {
				args = append([]string{"-compact"}, args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), memoryTimeout)
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("%s, %d pages: %v\n%s", k.name, n, err, out)
			}
			var pages int
			if _, err := fmt.Sscan(string(out), &pages, &rss[i]); err != nil || rss[i] == 0 {
				t.Fatalf("%s: convertcmd printed %q", k.name, out)
			}
			t.Logf("%s: %d pages, input %d KiB, peak RSS %d KiB", k.name, pages, fileSize(t, in)>>10, rss[i])
		}
		if rss[1] > 2*rss[0]+8<<10 {
			t.Errorf("%s: peak RSS %d KiB for 500 pages, %d KiB for 10: memory grows with the document", k.name, rss[1], rss[0])
		}
	}
}
