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
	"github.com/scangate/gateway/device/devicetest"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/internal/toolrun"
)

// zmodemFiles are the files of the ZMODEM interoperability tests: 0 B,
// 1 B, 1 KB, 200 KB and 5 MB, with every byte value and the sequences
// that need escapes ("@\r", ZDLE, XON, XOFF, a fake header).
func zmodemFiles() []testFile {
	mod := time.Date(2025, 3, 12, 9, 41, 0, 0, time.UTC)
	tricky := bytes.Repeat([]byte("@\r@\x8d\x18\x18\x11\x13\x91\x93\x10\x90**\x18B0100000023be50\r\x8a\x11\x7f\xff"), 300)
	scan := append(pattern(200*1024-len(tricky), 31), tricky...)
	return []testFile{
		{"empty.txt", nil, mod},
		{"one", []byte{0x18}, mod.Add(time.Minute)},
		{"kilo.bin", allBytes(4), mod.Add(2 * time.Minute)},
		{"scan0001.tif", scan, mod.Add(3 * time.Minute)},
		{"big.bin", pattern(5<<20, 32), mod.Add(4 * time.Minute)},
	}
}

func totalSize(files []testFile) int {
	n := 0
	for _, f := range files {
		n += len(f.data)
	}
	return n
}

func TestZmodemInteropReceiveFromSz(t *testing.T) {
	toolrun.Need(t, "socat", "sz")
	files := zmodemFiles()
	src := t.TempDir()
	var names []string
	for _, f := range files {
		path := filepath.Join(src, f.name)
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, f.mod, f.mod); err != nil {
			t.Fatal(err)
		}
		names = append(names, f.name)
	}
	tests := []struct{ name, sz string }{
		{"1K subpackets", "sz -q"},
		{"8K subpackets", "sz -8 -q"},
		{"CRC-16", "sz -o -q"},
		{"control characters escaped", "sz -e -q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := openPTY(t)
			wait := toolrun.StartLrzsz(t, p.Path(), src, tt.sz+" "+strings.Join(names, " "))
			ctx, cancel := context.WithTimeout(context.Background(), testLimit)
			defer cancel()
			recv, err := device.NewReceiver("zmodem", device.Options{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			start := time.Now()
			got, err := recv.Receive(ctx, p.Port(), device.DirSink(dir))
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("receive: %v", err)
			}
			if err := wait(); err != nil {
				t.Fatalf("sz: %v", err)
			}
			t.Logf("%d bytes in %v over a pty: %.1f MB/s", totalSize(files), elapsed, float64(totalSize(files))/elapsed.Seconds()/1e6)
			if len(got) != len(files) {
				t.Fatalf("received %d files, want %d", len(got), len(files))
			}
			for i, f := range files {
				if got[i].Name != f.name || got[i].SHA256 != sha256.Sum256(f.data) {
					t.Errorf("file %d: got %s (%d bytes), want %s (%d bytes)", i, got[i].Name, got[i].Size, f.name, len(f.data))
				}
				if st, err := os.Stat(got[i].Path); err != nil || !st.ModTime().Equal(f.mod) {
					t.Errorf("%s: stat %v, want mtime %v", f.name, err, f.mod)
				}
			}
			checkDir(t, dir, len(files))
		})
	}
}

func TestZmodemInteropSendToRz(t *testing.T) {
	toolrun.Need(t, "socat", "rz")
	files := zmodemFiles()
	var send []device.SendFile
	for _, f := range files {
		send = append(send, device.BytesFile(f.name, f.mod, f.data))
	}
	tests := []struct {
		name string
		rz   string
		z    device.ZmodemOptions
	}{
		{"1K subpackets", "rz -q", device.ZmodemOptions{}},
		{"8K subpackets", "rz -q", device.ZmodemOptions{Subpacket: device.MaxSubpacket}},
		{"control characters escaped", "rz -e -q", device.ZmodemOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := openPTY(t)
			out := t.TempDir()
			wait := toolrun.StartLrzsz(t, p.Path(), out, tt.rz)
			ctx, cancel := context.WithTimeout(context.Background(), testLimit)
			defer cancel()
			start := time.Now()
			if err := device.NewZmodem(device.Options{}, tt.z).Send(ctx, p.Port(), send); err != nil {
				t.Fatalf("send: %v", err)
			}
			elapsed := time.Since(start)
			if err := wait(); err != nil {
				t.Fatalf("rz: %v", err)
			}
			t.Logf("%d bytes in %v over a pty: %.1f MB/s", totalSize(files), elapsed, float64(totalSize(files))/elapsed.Seconds()/1e6)
			for _, f := range files {
				path := filepath.Join(out, f.name)
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, f.data) {
					t.Errorf("%s: rz wrote %d bytes, want %d (or they differ)", f.name, len(data), len(f.data))
				}
				if st, err := os.Stat(path); err == nil && !st.ModTime().Equal(f.mod) {
					t.Errorf("%s: mtime %v, want %v", f.name, st.ModTime(), f.mod)
				}
			}
		})
	}
}

// noisyTimeout is the idle timeout of the noisy interop tests: lrzsz recovers from a damaged header only
// after its own 10-second timeout, which stretches when the machine is loaded.
const noisyTimeout = 45 * time.Second

// TestZmodemInteropNoisy runs lrzsz against our receiver and sender
// through a relay that damages one byte in 10,000 of the data: both
// recover with ZRPOS and land the file byte-exact.
func TestZmodemInteropNoisy(t *testing.T) {
	toolrun.Need(t, "socat", "sz", "rz")
	data := pattern(1<<20, 33)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "scan.tif"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	noisy := devicetest.RelayConfig{AtoB: devicetest.Line{FlipRate: 1e-4}, BtoA: devicetest.Line{FlipRate: 1e-4}, Seed: 7}
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()

	t.Run("from sz", func(t *testing.T) {
		machine, gateway := openPTY(t), openPTY(t)
		wait := toolrun.StartLrzsz(t, machine.Path(), src, "sz -q scan.tif")
		relay := noisyRelay(t, machine, gateway, noisy)
		port, err := device.OpenSerial(device.SerialConfig{Path: gateway.Path(), Baud: 115200})
		if err != nil {
			t.Fatal(err)
		}
		defer port.Close()
		dir := t.TempDir()
		got, err := device.NewZmodem(device.Options{Timeout: noisyTimeout}, device.ZmodemOptions{}).Receive(ctx, port, device.DirSink(dir))
		st := relay.Stop()
		t.Logf("%d bytes flipped on the way, %d on the way back", st.AtoB.Flipped, st.BtoA.Flipped)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if err := wait(); err != nil {
			t.Fatalf("sz: %v", err)
		}
		checkFiles(t, result{files: got, dir: dir}, map[string][]byte{"scan.tif": data})
		if st.AtoB.Flipped == 0 {
			t.Error("the relay damaged nothing")
		}
	})

	t.Run("to rz", func(t *testing.T) {
		machine, gateway := openPTY(t), openPTY(t)
		out := t.TempDir()
		wait := toolrun.StartLrzsz(t, gateway.Path(), out, "rz -q")
		relay := noisyRelay(t, machine, gateway, noisy)
		port, err := device.OpenSerial(device.SerialConfig{Path: machine.Path(), Baud: 115200})
		if err != nil {
			t.Fatal(err)
		}
		defer port.Close()
		err = device.NewZmodem(device.Options{Timeout: noisyTimeout}, device.ZmodemOptions{}).Send(ctx, port, []device.SendFile{device.BytesFile("scan.tif", zmod, data)})
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		if err := wait(); err != nil {
			t.Fatalf("rz: %v", err)
		}
		st := relay.Stop()
		t.Logf("%d bytes flipped on the way, %d on the way back", st.AtoB.Flipped, st.BtoA.Flipped)
		got, err := os.ReadFile(filepath.Join(out, "scan.tif"))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("rz wrote %d bytes (%v), want %d", len(got), err, len(data))
		}
	})
}

// noisyRelay relays between the masters of two pseudo-terminals. A failed
// test closes them first: a relay whose peer stopped reading cannot stop
// while its write waits.
func noisyRelay(t *testing.T, a, b *mfpsim.PTY, cfg devicetest.RelayConfig) *devicetest.Relaying {
	relay := devicetest.Relay(a.Port(), b.Port(), cfg)
	t.Cleanup(func() {
		if t.Failed() {
			a.Close()
			b.Close()
		}
		relay.Stop()
	})
	return relay
}
