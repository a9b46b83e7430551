package document

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeFile writes data into dir under name and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "scan.tif", readSample(t))
	out := filepath.Join(dir, "scan.pdf")
	pages, err := Convert(context.Background(), out, []string{in, in}, Info{Title: "Scan"})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 {
		t.Errorf("%d pages, want 2", pages)
	}
	pdf, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkXref(t, pdf)
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != outputMode {
		t.Errorf("output mode %v, %v", st.Mode(), err)
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("directory holds %q, want the input and the output", names)
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.tif", readSample(t))
	notes := writeFile(t, dir, "notes.txt", []byte("call back tomorrow\n"))

	// Page 2's strip lies past the end of the file.
	b := newTIFF(binary.LittleEndian)
	s := b.data([]byte("page-one"))
	p1 := b.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s}, []uint32{8})...)
	p2 := b.ifd(pageFields(1728, 10, CompressionG4, 10, []uint32{s}, []uint32{4096})...)
	b.link(p1, p2)
	cut := writeFile(t, dir, "cut.tif", b.buf)
	lzw := writeFile(t, dir, "lzw.tif", onePage(binary.LittleEndian, 640, 480, 5, []byte("lzw-data"), short(tagBitsPerSample, 8)))
	jpeg := writeFile(t, dir, "photo.tif", onePage(binary.LittleEndian, 640, 480, CompressionJPEG, []byte("jpeg"), short(tagBitsPerSample, 8)))
	pbm := writeFile(t, dir, "fax.pbm", []byte("P4 16 2\n\xff\xff\x00\x00P4 16 2\n\xff"))
	missing := filepath.Join(dir, "missing.tif")

	tests := []struct {
		name   string
		inputs []string
		kind   error
		msg    string
	}{
		{"no inputs", nil, ErrNoInput, "document: no input files"},
		{"missing file", []string{good, missing}, fs.ErrNotExist, "document: open " + missing + ": no such file or directory"},
		{"not a scan", []string{good, notes}, ErrFormat, "document: " + notes + ": not a TIFF file, nor a JPEG or PBM image"},
		{"damaged page", []string{good, cut}, ErrDamaged, "document: " + cut + " page 2: strip 1 extends past end of file"},
		{"unsupported page", []string{good, lzw}, ErrUnsupported, "document: " + lzw + " page 1: unsupported compression 5"},
		{"damaged JPEG strip", []string{good, jpeg}, ErrDamaged, "document: " + jpeg + " page 1: strip 1: JPEG data does not start with an SOI marker"},
		{"damaged PBM image", []string{good, pbm}, ErrDamaged, "document: " + pbm + " page 2: raster extends past end of file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.pdf")
			before := dirNames(t, dir)
			pages, err := Convert(context.Background(), out, tt.inputs, Info{})
			if err == nil || !errors.Is(err, tt.kind) || err.Error() != tt.msg {
				t.Errorf("got %d, %v; want %q (%v)", pages, err, tt.msg, tt.kind)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("output exists after a failed conversion (%v)", err)
			}
			if after := dirNames(t, dir); len(after) != len(before) {
				t.Errorf("directory changed from %q to %q", before, after)
			}
		})
	}
}

func TestConvertKeepsOldOutputOnError(t *testing.T) {
	dir := t.TempDir()
	out := writeFile(t, dir, "out.pdf", []byte("the previous PDF"))
	bad := writeFile(t, dir, "bad.tif", readSample(t)[:100])
	if _, err := Convert(context.Background(), out, []string{bad}, Info{}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("got %v", err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, []byte("the previous PDF")) {
		t.Errorf("output changed to %q", got)
	}
}

func TestConvertUnwritableDirectory(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "scan.tif", readSample(t))
	out := filepath.Join(dir, "no-such-dir", "out.pdf")
	if _, err := Convert(context.Background(), out, []string{in}, Info{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v", err)
	}
}

func TestConvertTIFFF(t *testing.T) {
	dir := t.TempDir()
	fax := writeFile(t, dir, "fax.tif", readSample(t))
	pbm := writeFile(t, dir, "scan.pbm", append([]byte("P4 1728 4\n"), make([]byte, 4*216)...))
	photo := writeFile(t, dir, "photo.jpg", goJPEG(t, false, 16, 8))
	out := filepath.Join(dir, "fax-out.tif")
	n, err := ConvertTIFFF(context.Background(), out, []string{fax, pbm})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pages, err := ReadTIFF(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(pages) != 2 || pages[0].Compression != CompressionG3 || pages[1].Width != 1728 {
		t.Errorf("%d pages written, read back %+v", n, pages)
	}
	if st.Mode().Perm() != outputMode {
		t.Errorf("output mode %v", st.Mode())
	}

	// A JPEG page cannot go into TIFF-F; the old output stays.
	if _, err := ConvertTIFFF(context.Background(), out, []string{fax, photo}); !errors.Is(err, ErrUnsupported) || !strings.HasPrefix(err.Error(), "document: "+photo+" page 1: ") {
		t.Errorf("got %v", err)
	}
	if b, _ := os.ReadFile(out); int64(len(b)) != st.Size() {
		t.Errorf("a failed conversion changed the output")
	}
}

// ConvertPages takes a range of pages across several inputs.
func TestConvertPages(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "scan.tif", readSample(t))
	inputs := []string{in, in, in}
	out := filepath.Join(dir, "part.pdf")
	one, err := ConvertPages(context.Background(), out, inputs, 1, 1, Info{})
	if err != nil || one != 1 {
		t.Fatalf("ConvertPages(context.Background(), 1, 1) = %d, %v", one, err)
	}
	st, _ := os.Stat(out)
	size1 := st.Size()
	pages, err := ConvertPages(context.Background(), out, inputs, 2, 3, Info{})
	if err != nil || pages != 2 {
		t.Fatalf("ConvertPages(context.Background(), 2, 3) = %d, %v", pages, err)
	}
	pdf, _ := os.ReadFile(out)
	checkXref(t, pdf)
	if st, _ := os.Stat(out); st.Size() < size1*3/2 {
		t.Errorf("a 2-page part of %d bytes, a 1-page one of %d", st.Size(), size1)
	}
	for _, r := range [][2]int{{0, 1}, {2, 1}, {4, 5}} {
		if _, err := ConvertPages(context.Background(), out, inputs, r[0], r[1], Info{}); err == nil {
			t.Errorf("ConvertPages(context.Background(), %d, %d) accepted", r[0], r[1])
		}
	}
}

// Inputs that are not regular files are refused before they are opened: a FIFO would block the conversion
// until someone writes to it.
func TestConvertRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "scan.tif")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO here:", err)
	}
	out := filepath.Join(dir, "out.pdf")
	done := make(chan error, 1)
	go func() {
		_, err := Convert(context.Background(), out, []string{fifo}, Info{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Fatalf("Convert of a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a speed check
		t.Fatal("Convert blocked on a FIFO")
	}
}

// A cancelled conversion stops, leaves no temporary file and keeps the old output.
func TestConvertCancelled(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "scan.tif", readSample(t))
	out := writeFile(t, dir, "out.pdf", []byte("the previous PDF"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Convert(ctx, out, []string{in}, Info{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Convert with a cancelled context: %v", err)
	}
	if got, _ := os.ReadFile(out); string(got) != "the previous PDF" {
		t.Errorf("the old output was replaced: %q", got)
	}
	if names := dirNames(t, dir); len(names) != 2 {
		t.Errorf("the directory holds %v", names)
	}
}

// The spool asks for private files.
func TestConvertMode(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "scan.tif", readSample(t))
	out := filepath.Join(dir, "out.pdf")
	if _, err := Convert(context.Background(), out, []string{in}, Info{Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}
