package device_test

import (
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scangate/gateway/device"
)

func TestDirSinkPaths(t *testing.T) {
	dir := t.TempDir()
	sink := device.DirSink(dir)
	in, err := sink.Create("a.tif", 3, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("abc"))
	if err := in.Abort(); err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, 0)
	in, _ = sink.Create("a.tif", 3, time.Time{})
	in.Write([]byte("abc"))
	f, err := in.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Abort(); err != nil {
		t.Fatalf("abort after commit: %v", err)
	}
	if f.Path != filepath.Join(dir, "a.tif") || f.SHA256 != sha256.Sum256([]byte("abc")) {
		t.Fatalf("file %+v", f)
	}
	if _, err := in.Commit(); err == nil {
		t.Fatal("second commit succeeded")
	}
	checkDir(t, dir, 1)
	if _, err := device.DirSink(filepath.Join(dir, "missing")).Create("x", 1, time.Time{}); err == nil {
		t.Fatal("sink in a missing directory")
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"scan0001.tif", "scan0001.tif"},
		{"/etc/passwd", "passwd"},
		{"../../x.tif", "x.tif"},
		{`C:\SCANS\DOC1.TIF`, "DOC1.TIF"},
		{"..", "file"},
		{".hidden", "hidden"},
		{"...tif", "tif"},
		{"", "file"},
		{"dir/", "file"},
		{"a\x00b\x1bc\x7f.tif", "a_b_c_.tif"},
		{"  spaced  .tif ", "spaced  .tif"},
		{"caf\xe9.tif", "caf_.tif"},
		{"Übersicht.tif", "Übersicht.tif"},
		{strings.Repeat("a", 300) + ".tif", strings.Repeat("a", 196) + ".tif"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100)},
		// Names stay readable.
		{"Crème brûlée.pdf", "Crème brûlée.pdf"},
		{"日本語 スキャン.tif", "日本語 スキャン.tif"},
		{"scan-1 (copy).tif", "scan-1 (copy).tif"},
		// Format characters go: bidirectional controls that would show
		// "invoice\u202Efdp.exe" as "invoiceexe.pdf", marks, isolates,
		// zero-width characters, the byte order mark, tags.
		{"invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"\u200Escan\u200F.tif", "scan.tif"},
		{"a\u202Ab\u202Bc\u202Cd\u202De.tif", "abcde.tif"},
		{"\u2066x\u2067y\u2068z\u2069.tif", "xyz.tif"},
		{"\uFEFFscan.tif", "scan.tif"},
		{"zero\u200Bwidth\u2060.tif", "zerowidth.tif"},
		{"a\U000E0041b.tif", "ab.tif"},
		{"\u202E", "file"},
		// Line and paragraph separators are replaced like control characters.
		{"line\u2028break\u2029.tif", "line_break_.tif"},
		{"next\u0085line.tif", "next_line.tif"},
		// A name never starts like a command-line option.
		{"-rf", "rf"},
		{"--help.tif", "help.tif"},
		{"-", "file"},
		{"-.hidden", "hidden"},
		{".-x.tif", "x.tif"},
		{" - x.tif", "x.tif"},
		{"\u202E-rf", "rf"},
		{"dir/-n.tif", "n.tif"},
	}
	for _, tt := range tests {
		if got := device.CleanName(tt.in); got != tt.want {
			t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzCleanName checks what every cleaned name keeps to, whatever the
// machine announced.
func FuzzCleanName(f *testing.F) {
	for _, seed := range []string{"scan0001.tif", "../../etc/passwd", "-rf", "invoice\u202Efdp.exe", "\xff\xfe.\u2028",
		strings.Repeat("é", 150) + ".tif", " .-\uFEFF- x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := device.CleanName(in)
		switch {
		case got == "" || len(got) > 200 || !utf8.ValidString(got):
			t.Fatalf("CleanName(%q) = %q: empty, too long or invalid UTF-8", in, got)
		case strings.ContainsAny(got, `/\`):
			t.Fatalf("CleanName(%q) = %q: not a base name", in, got)
		case got[0] == '.' || got[0] == '-':
			t.Fatalf("CleanName(%q) = %q: hidden, or read as an option", in, got)
		case got != strings.TrimSpace(got):
			t.Fatalf("CleanName(%q) = %q: surrounding spaces", in, got)
		case device.CleanName(got) != got:
			t.Fatalf("CleanName(%q) = %q, cleaned again %q", in, got, device.CleanName(got))
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
				t.Fatalf("CleanName(%q) = %q: keeps %U", in, got, r)
			}
		}
	})
}
