package device_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
	"github.com/scangate/gateway/internal/toolrun"
)

// lineRate is the payload capacity of 115200 baud 8N1, in bytes per second.
const lineRate = 11520

// BenchmarkPullPaced measures what a pull achieves on a serial line: an
// lrzsz sender on one pseudo-terminal, a relay that paces both directions
// to lineRate, and on another pseudo-terminal either the gateway's
// receiver (opened with OpenSerial, as on the board) or lrzsz's receiver of
// the same protocol for comparison. The time runs from the receiver's first
// byte on the line to its last, as the relay saw them, so that program
// start-up is not counted for either side.
//
//	go test -run '^$' -bench PullPaced -benchtime 1x ./device
func BenchmarkPullPaced(b *testing.B) {
	data := pattern(200*1024, 44)
	cases := []struct {
		name  string
		send  string // lrzsz sender
		proto string // the gateway's receiver, or "" for lrzsz's
		recv  string // lrzsz receiver
	}{
		{"ymodem/gateway", "sb -k -q scan.tif", "ymodem", ""},
		{"ymodem/rb", "sb -k -q scan.tif", "", "rb -q"},
		{"zmodem/gateway", "sz -q scan.tif", "zmodem", ""},
		{"zmodem/rz", "sz -q scan.tif", "", "rz -q"},
		{"xmodem-1k/gateway", "sx -k -q scan.tif", "xmodem", ""},
		{"xmodem-1k/rx", "sx -k -q scan.tif", "", "rx -c -q scan.tif"},
	}
	src := b.TempDir()
	if err := os.WriteFile(filepath.Join(src, "scan.tif"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var recv device.Receiver
			if c.proto != "" {
				var err error
				if recv, err = device.NewReceiver(c.proto, device.Options{}); err != nil {
					b.Skipf("no %s receiver: %v", c.proto, err)
				}
			}
			toolrun.Need(b, "socat", strings.Fields(c.send)[0])
			var rate, replies float64
			for b.Loop() {
				st := pacedPull(b, c.send, src, recv, c.recv)
				rate += float64(len(data)) / st.Last.Sub(st.First).Seconds()
				replies += float64(st.Bytes)
			}
			rate /= float64(b.N)
			b.ReportMetric(rate, "payload-B/s")
			b.ReportMetric(100*rate/lineRate, "%line")
			// More than about one byte per block means requests were repeated.
			b.ReportMetric(replies/float64(b.N), "reply-B/op")
		})
	}
}

// pacedPull runs one transfer of src/scan.tif through a paced relay and
// returns what the relay saw of the receiver's side.
func pacedPull(b *testing.B, send, src string, recv device.Receiver, lrzszRecv string) devicetest.LineStats {
	want, err := os.Stat(filepath.Join(src, "scan.tif"))
	if err != nil {
		b.Fatal(err)
	}
	size := want.Size()
	machine, gateway := openPTY(b), openPTY(b)
	sent := toolrun.StartLrzsz(b, machine.Path(), src, send)
	line := devicetest.Line{ByteRate: lineRate}
	relay := devicetest.Relay(machine.Port(), gateway.Port(), devicetest.RelayConfig{AtoB: line, BtoA: line})
	defer relay.Stop()
	out := b.TempDir()
	if recv != nil {
		port, err := device.OpenSerial(device.SerialConfig{Path: gateway.Path(), Baud: 115200})
		if err != nil {
			b.Fatal(err)
		}
		defer port.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*testLimit)
		defer cancel()
		files, err := recv.Receive(ctx, port, device.DirSink(out))
		if err != nil || len(files) != 1 || files[0].Size < size {
			b.Fatalf("receive: %v, %+v", err, files)
		}
	} else {
		toolrun.Need(b, strings.Fields(lrzszRecv)[0])
		if err := waitLong(toolrun.StartLrzsz(b, gateway.Path(), out, lrzszRecv)); err != nil {
			b.Fatalf("%s: %v", lrzszRecv, err)
		}
		st, err := os.Stat(filepath.Join(out, "scan.tif"))
		if err != nil || st.Size() < size {
			b.Fatalf("%s: %v", lrzszRecv, err)
		}
	}
	if err := waitLong(sent); err != nil {
		b.Fatalf("%s: %v", send, err)
	}
	return relay.Stop().BtoA
}

// waitLong waits for an lrzsz program that runs for the whole paced
// transfer, longer than the one wait of startLrzsz.
func waitLong(wait func() error) error {
	var err error
	for range 6 {
		if err = wait(); err == nil || !strings.Contains(err.Error(), "did not exit") {
			break
		}
	}
	return err
}
