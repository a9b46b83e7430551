package device_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// TestLineNoise runs whole transfers through a relay that damages bytes
// at random: each must either land the file byte-exact or fail with a
// transfer error and leave nothing behind.
func TestLineNoise(t *testing.T) {
	data := pattern(60*1024+5, 43)
	// One damaged byte in 10,000 both ways hits mostly the data, as the
	// receiver sends few bytes; the second line damages its replies often.
	lines := []struct {
		name       string
		data, back float64 // flip rates from the sender and from the receiver
	}{
		{"1e-4", 1e-4, 1e-4},
		{"replies 1e-2", 0, 1e-2},
	}
	for i, proto := range []string{"ymodem", "xmodem", "xmodem-1k"} {
		for _, line := range lines {
			for seed := uint64(1); seed <= 3; seed++ {
				t.Run(fmt.Sprintf("%s/%s/seed %d", proto, line.name, seed), func(t *testing.T) {
					t.Parallel()
					cfg := devicetest.RelayConfig{
						AtoB: devicetest.Line{FlipRate: line.data},
						BtoA: devicetest.Line{FlipRate: line.back},
						Seed: seed + 100*uint64(i),
					}
					noisyTransfer(t, proto, cfg, data)
				})
			}
		}
	}
}

func noisyTransfer(t *testing.T, proto string, cfg devicetest.RelayConfig, data []byte) {
	opts := device.Options{Timeout: time.Second}
	recv, _ := device.NewReceiver(proto, opts)
	send, _ := device.NewSender(proto, opts)
	want := data
	if proto != "ymodem" {
		want = padded(data)
	}
	tx, a := devicetest.Pipe()
	b, rx := devicetest.Pipe()
	relay := devicetest.Relay(a, b, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	sent := make(chan error, 1)
	go func() {
		sent <- send.Send(ctx, tx, []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)})
	}()
	res := result{dir: t.TempDir()}
	res.files, res.recvErr = recv.Receive(ctx, rx, device.DirSink(res.dir))
	st := relay.Stop()
	a.Close() // a sender still waiting for a reply gives up
	rx.Close()
	<-sent
	t.Logf("%d + %d bytes flipped; receive: %v", st.AtoB.Flipped, st.BtoA.Flipped, res.recvErr)
	if res.recvErr == nil {
		checkFiles(t, res, map[string][]byte{res.files[0].Name: want})
		return
	}
	if !errors.Is(res.recvErr, device.ErrDamaged) && !errors.Is(res.recvErr, device.ErrTimeout) && !errors.Is(res.recvErr, device.ErrCancelled) {
		t.Errorf("receive error %v is not a transfer error", res.recvErr)
	}
	checkDir(t, res.dir, 0)
}
