package device_test

import (
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	}
	for _, tt := range tests {
		if got := device.CleanName(tt.in); got != tt.want {
			t.Errorf("CleanName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
