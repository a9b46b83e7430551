package device_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/internal/toolrun"
)

func TestInteropXmodemReceiveFromSx(t *testing.T) {
	data := pattern(200*1024+300, 41)
	for _, tt := range []struct{ name, flags string }{
		{"128-byte blocks", ""},
		{"1K blocks", "-k "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			toolrun.Need(t, "socat", "sx")
			src := t.TempDir()
			if err := os.WriteFile(filepath.Join(src, "scan.tif"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			p := openPTY(t)
			wait := toolrun.StartLrzsz(t, p.Path(), src, "sx -q "+tt.flags+"scan.tif")
			ctx, cancel := context.WithTimeout(context.Background(), testLimit)
			defer cancel()
			recv := device.NewXmodemReceiver(device.Options{})
			recv.Name = "scan.tif"
			res := result{dir: t.TempDir()}
			res.files, res.recvErr = recv.Receive(ctx, p.Port(), device.DirSink(res.dir))
			if res.recvErr != nil {
				t.Fatalf("receive: %v", res.recvErr)
			}
			if err := wait(); err != nil {
				t.Fatalf("sx: %v", err)
			}
			checkFiles(t, res, map[string][]byte{"scan.tif": padded(data)})
		})
	}
}

func TestInteropXmodemSendToRx(t *testing.T) {
	data := pattern(100*1024+1, 42)
	for _, tt := range []struct{ name, proto, rx string }{
		{"checksum, 128-byte blocks", "xmodem", "rx -q"},
		{"CRC, 128-byte blocks", "xmodem", "rx -c -q"},
		{"CRC, 1K blocks", "xmodem-1k", "rx -c -q"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			toolrun.Need(t, "socat", "rx")
			out := t.TempDir()
			p := openPTY(t)
			wait := toolrun.StartLrzsz(t, p.Path(), out, tt.rx+" got.bin")
			ctx, cancel := context.WithTimeout(context.Background(), testLimit)
			defer cancel()
			send, _ := device.NewSender(tt.proto, device.Options{})
			if err := send.Send(ctx, p.Port(), []device.SendFile{device.BytesFile("x", time.Time{}, data)}); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := wait(); err != nil {
				t.Fatalf("rx: %v", err)
			}
			got, err := os.ReadFile(filepath.Join(out, "got.bin"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, padded(data)) {
				t.Fatalf("rx wrote %d bytes, want %d padded (or they differ)", len(got), len(padded(data)))
			}
		})
	}
}
