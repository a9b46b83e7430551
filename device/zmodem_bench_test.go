package device_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
	"github.com/scangate/gateway/internal/toolrun"
)

// BenchmarkZmodem measures unpaced ZMODEM throughput of a 5 MB file: our
// sender and receiver over an in-memory pipe, and each of them with lrzsz
// over a pseudo-terminal (the transfer only, not lrzsz's start and exit).
//
//	go test -run '^$' -bench Zmodem ./device
func BenchmarkZmodem(b *testing.B) {
	data := pattern(5<<20, 46)
	file := device.BytesFile("scan.tif", zmod, data)
	src := b.TempDir()
	if err := os.WriteFile(filepath.Join(src, "scan.tif"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, sub := range []int{device.DefaultSubpacket, device.MaxSubpacket} {
		z := device.ZmodemOptions{Subpacket: sub}
		name := map[int]string{device.DefaultSubpacket: "1K", device.MaxSubpacket: "8K"}[sub]
		b.Run("pipe/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				rx, tx := devicetest.Pipe()
				sent := make(chan error, 1)
				go func() {
					sent <- device.NewZmodem(device.Options{}, z).Send(context.Background(), tx, []device.SendFile{file})
				}()
				if _, err := device.NewZmodem(device.Options{}, z).Receive(context.Background(), rx, device.DirSink(b.TempDir())); err != nil {
					b.Fatal(err)
				}
				if err := <-sent; err != nil {
					b.Fatal(err)
				}
				rx.Close()
			}
		})
		b.Run("pty/rz/"+name, func(b *testing.B) {
			toolrun.Need(b, "socat", "rz")
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				b.StopTimer()
				p := openPTY(b)
				wait := toolrun.StartLrzsz(b, p.Path(), b.TempDir(), "rz -q")
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				b.StartTimer()
				if err := device.NewZmodem(device.Options{}, z).Send(ctx, p.Port(), []device.SendFile{file}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cancel()
				if err := wait(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
	for _, c := range []struct{ name, sz string }{{"1K", "sz -q scan.tif"}, {"8K", "sz -8 -q scan.tif"}} {
		b.Run("pty/sz/"+c.name, func(b *testing.B) {
			toolrun.Need(b, "socat", "sz")
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				b.StopTimer()
				p := openPTY(b)
				wait := toolrun.StartLrzsz(b, p.Path(), src, c.sz)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				dir := b.TempDir()
				b.StartTimer()
				if _, err := device.NewZmodem(device.Options{}, device.ZmodemOptions{}).Receive(ctx, p.Port(), device.DirSink(dir)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cancel()
				if err := wait(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
