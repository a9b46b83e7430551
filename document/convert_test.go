package document

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
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
	pages, err := Convert(out, []string{in, in}, Info{Title: "Scan"})
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
	jpeg := writeFile(t, dir, "photo.tif", onePage(binary.LittleEndian, 640, 480, 7, []byte("jpeg"), short(tagBitsPerSample, 8)))
	missing := filepath.Join(dir, "missing.tif")

	tests := []struct {
		name   string
		inputs []string
		kind   error
		msg    string
	}{
		{"no inputs", nil, ErrNoInput, "document: no input files"},
		{"missing file", []string{good, missing}, fs.ErrNotExist, "document: open " + missing + ": no such file or directory"},
		{"not a TIFF", []string{good, notes}, ErrNotTIFF, "document: " + notes + ": not a TIFF file"},
		{"damaged page", []string{good, cut}, ErrDamaged, "document: " + cut + " page 2: strip 1 extends past end of file"},
		{"unsupported page", []string{good, jpeg}, ErrUnsupported, "document: " + jpeg + " page 1: unsupported compression 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.pdf")
			before := dirNames(t, dir)
			pages, err := Convert(out, tt.inputs, Info{})
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
	if _, err := Convert(out, []string{bad}, Info{}); !errors.Is(err, ErrDamaged) {
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
	if _, err := Convert(out, []string{in}, Info{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v", err)
	}
}
