package device_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/internal/toolrun"
)

// openPTY opens a raw pseudo-terminal pair that lives until the test ends.
func openPTY(t testing.TB) *mfpsim.PTY {
	t.Helper()
	p, err := mfpsim.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type testFile struct {
	name string
	data []byte
	mod  time.Time
}

func interopFiles() []testFile {
	mod := time.Date(2025, 3, 12, 9, 41, 0, 0, time.UTC)
	return []testFile{
		{"scan0001.tif", pattern(200*1024, 21), mod},
		{"all-bytes.bin", allBytes(4), mod.Add(time.Hour)},
		{"empty.txt", nil, mod},
		{"one", []byte{0x18}, mod},
		{"odd-size.dat", pattern(1025+896, 22), mod},
	}
}

func TestInteropReceiveFromSb(t *testing.T) {
	toolrun.Need(t, "socat", "sb")
	files := interopFiles()
	src := t.TempDir()
	var names []string
	for _, f := range files {
		path := filepath.Join(src, f.name)
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, f.mod, f.mod)
		names = append(names, f.name)
	}
	p := openPTY(t)
	wait := toolrun.StartLrzsz(t, p.Path(), src, "sb -q "+strings.Join(names, " "))

	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	recv, _ := device.NewReceiver("ymodem", device.Options{})
	dir := t.TempDir()
	got, err := recv.Receive(ctx, p.Port(), device.DirSink(dir))
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if err := wait(); err != nil {
		t.Fatalf("sb: %v", err)
	}
	if len(got) != len(files) {
		t.Fatalf("received %d files, want %d", len(got), len(files))
	}
	for i, f := range files {
		if got[i].Name != f.name || got[i].SHA256 != sha256.Sum256(f.data) {
			t.Errorf("file %d: got %s (%d bytes), want %s (%d bytes)", i, got[i].Name, got[i].Size, f.name, len(f.data))
		}
		st, err := os.Stat(got[i].Path)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(f.mod) {
			t.Errorf("%s: mtime %v, want %v", f.name, st.ModTime(), f.mod)
		}
	}
	checkDir(t, dir, len(files))
}

func TestInteropSendToRb(t *testing.T) {
	toolrun.Need(t, "socat", "rb")
	files := interopFiles()
	var send []device.SendFile
	for _, f := range files {
		send = append(send, device.BytesFile(f.name, f.mod, f.data))
	}
	p := openPTY(t)
	out := t.TempDir()
	wait := toolrun.StartLrzsz(t, p.Path(), out, "rb -q")

	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	sender, _ := device.NewSender("ymodem", device.Options{})
	if err := sender.Send(ctx, p.Port(), send); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := wait(); err != nil {
		t.Fatalf("rb: %v", err)
	}
	for _, f := range files {
		path := filepath.Join(out, f.name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, f.data) {
			t.Errorf("%s: rb wrote %d bytes, want %d (or they differ)", f.name, len(data), len(f.data))
		}
		if st, err := os.Stat(path); err == nil && !st.ModTime().Equal(f.mod) {
			t.Errorf("%s: mtime %v, want %v", f.name, st.ModTime(), f.mod)
		}
	}
}
