package device_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// padded is data as an XMODEM receiver that keeps padding lands it: filled
// with SUB bytes up to a whole number of 128-byte blocks.
func padded(data []byte) []byte {
	out := bytes.Clone(data)
	for len(out)%128 != 0 {
		out = append(out, 0x1a)
	}
	return out
}

// xmodemRun sends data with the named XMODEM sender to recv over a pipe and
// returns when both are done.
func xmodemRun(t *testing.T, recv device.Receiver, sendProto string, opts device.Options, data []byte, setup func(rx, tx *devicetest.End)) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	rxEnd, txEnd := devicetest.Pipe()
	defer rxEnd.Close()
	defer txEnd.Close()
	if setup != nil {
		setup(rxEnd, txEnd)
	}
	send, err := device.NewSender(sendProto, opts)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		sent <- send.Send(ctx, txEnd, []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)})
	}()
	res := result{dir: t.TempDir()}
	res.files, res.recvErr = recv.Receive(ctx, rxEnd, device.DirSink(res.dir))
	rxEnd.Close()
	res.sendErr = <-sent
	return res
}

func newXmodem(t *testing.T, opts device.Options) device.Receiver {
	t.Helper()
	r, err := device.NewReceiver("xmodem", opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestXmodemSizes(t *testing.T) {
	sizes := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"1 byte", []byte{7}},
		{"128 bytes", pattern(128, 31)},
		{"129 bytes", pattern(129, 32)},
		{"1023 bytes", pattern(1023, 33)},
		{"1024 bytes", pattern(1024, 34)},
		{"ends in SUB bytes", append(pattern(300, 35), 0x1a, 0x1a)},
		{"all byte values", allBytes(5)},
		{"70 KB", pattern(70*1024+77, 36)},
	}
	for _, proto := range []string{"xmodem", "xmodem-1k"} {
		for _, tt := range sizes {
			t.Run(proto+"/"+tt.name, func(t *testing.T) {
				var last device.Progress
				opts := device.Options{Progress: func(p device.Progress) { last = p }}
				res := xmodemRun(t, newXmodem(t, opts), proto, device.Options{}, tt.data, nil)
				mustSucceed(t, res)
				want := padded(tt.data)
				checkFiles(t, res, map[string][]byte{res.files[0].Name: want})
				if last.Bytes != int64(len(want)) || last.Total != -1 {
					t.Errorf("last progress %+v", last)
				}
			})
		}
	}
}

func TestXmodemNames(t *testing.T) {
	data := append(pattern(200, 37), 0x1a) // ends in a SUB byte of its own
	t.Run("default name", func(t *testing.T) {
		res := xmodemRun(t, newXmodem(t, device.Options{}), "xmodem", device.Options{}, data, nil)
		if res.recvErr != nil {
			t.Fatal(res.recvErr)
		}
		if !regexp.MustCompile(`^xmodem-\d{8}-\d{6}\.bin$`).MatchString(res.files[0].Name) {
			t.Errorf("name %q", res.files[0].Name)
		}
	})
	t.Run("given name, padding trimmed", func(t *testing.T) {
		r := device.NewXmodemReceiver(device.Options{})
		r.Name, r.TrimPadding = "../page.tif", true
		res := xmodemRun(t, r, "xmodem", device.Options{}, data, nil)
		if res.recvErr != nil {
			t.Fatal(res.recvErr)
		}
		// Trimming cannot tell the file's own last SUB byte from padding.
		checkFiles(t, res, map[string][]byte{"page.tif": data[:200]})
	})
}

func TestXmodemLineErrors(t *testing.T) {
	data := pattern(5000, 38)
	// Offsets in the sender's stream of 133-byte CRC blocks: block 1 is
	// bytes 0-132, block 2 starts at 133.
	tests := []struct {
		name    string
		rxFault devicetest.Fault
		txFault devicetest.Fault
		wantErr error // nil: the transfer recovers
	}{
		{name: "data CRC", txFault: devicetest.FlipAt(60)},
		{name: "block number", txFault: devicetest.FlipAt(134)},
		{name: "start byte", txFault: devicetest.FlipAt(133)},
		{name: "bytes lost in a block", txFault: devicetest.DropAt(300, 301)},
		{name: "several blocks", txFault: devicetest.FlipAt(10, 500, 900, 2000, 4000)},
		{name: "ACK damaged", rxFault: devicetest.FlipAt(3)},
		{name: "ACK lost", rxFault: devicetest.DropAt(3)},
		{name: "first request lost", rxFault: devicetest.DropAt(0)},
		{name: "line goes bad", txFault: flipFrom(2000), wantErr: device.ErrDamaged},
		{name: "sender goes silent", txFault: dropFrom(2000), wantErr: device.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := device.Options{Timeout: shortIdle}
			res := xmodemRun(t, newXmodem(t, opts), "xmodem", opts, data, func(rx, tx *devicetest.End) {
				if tt.rxFault != nil {
					rx.SetFault(tt.rxFault)
				}
				if tt.txFault != nil {
					tx.SetFault(tt.txFault)
				}
			})
			if tt.wantErr == nil {
				mustSucceed(t, res)
				checkFiles(t, res, map[string][]byte{res.files[0].Name: padded(data)})
				return
			}
			mustFail(t, res, tt.wantErr)
		})
	}
}

func TestXmodemCancelAndTimeout(t *testing.T) {
	t.Run("receiver cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rxEnd, txEnd := devicetest.Pipe()
		defer rxEnd.Close()
		defer txEnd.Close()
		recv := newXmodem(t, device.Options{Progress: func(p device.Progress) {
			if p.Bytes > 10000 {
				cancel()
			}
		}})
		send, _ := device.NewSender("xmodem-1k", device.Options{})
		sent := make(chan error, 1)
		go func() {
			sent <- send.Send(context.Background(), txEnd, []device.SendFile{device.BytesFile("a", time.Time{}, pattern(100*1024, 39))})
		}()
		dir := t.TempDir()
		if _, err := recv.Receive(ctx, rxEnd, device.DirSink(dir)); !errors.Is(err, context.Canceled) {
			t.Fatalf("receive error %v, want context.Canceled", err)
		}
		if err := <-sent; !errors.Is(err, device.ErrCancelled) {
			t.Fatalf("send error %v, want ErrCancelled", err)
		}
		checkDir(t, dir, 0)
	})
	t.Run("nobody sends", func(t *testing.T) {
		rxEnd, other := devicetest.Pipe()
		defer other.Close()
		dir := t.TempDir()
		_, err := newXmodem(t, device.Options{Timeout: 100 * time.Millisecond}).Receive(context.Background(), rxEnd, device.DirSink(dir))
		if !errors.Is(err, device.ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
		checkDir(t, dir, 0)
	})
}

func TestXmodemSenderNeedsOneFile(t *testing.T) {
	a, b := devicetest.Pipe()
	defer a.Close()
	defer b.Close()
	send, _ := device.NewSender("xmodem", device.Options{})
	for _, files := range [][]device.SendFile{nil, {device.BytesFile("a", time.Time{}, nil), device.BytesFile("b", time.Time{}, nil)}} {
		if err := send.Send(context.Background(), a, files); err == nil || !strings.Contains(err.Error(), "one file per transfer") {
			t.Errorf("%d files: %v", len(files), err)
		}
	}
}

// TestXmodemFromYmodemSender checks the message for a machine that speaks
// YMODEM when XMODEM was configured.
func TestXmodemFromYmodemSender(t *testing.T) {
	rxEnd, txEnd := devicetest.Pipe()
	defer rxEnd.Close()
	defer txEnd.Close()
	send, _ := device.NewSender("ymodem", device.Options{})
	sent := make(chan error, 1)
	go func() {
		sent <- send.Send(context.Background(), txEnd, []device.SendFile{device.BytesFile("a.tif", time.Time{}, []byte("x"))})
	}()
	dir := t.TempDir()
	_, err := newXmodem(t, device.Options{}).Receive(context.Background(), rxEnd, device.DirSink(dir))
	if !errors.Is(err, device.ErrProtocol) || !strings.Contains(err.Error(), "ymodem protocol") {
		t.Fatalf("err %v, want ErrProtocol naming ymodem", err)
	}
	if err := <-sent; !errors.Is(err, device.ErrCancelled) {
		t.Fatalf("send error %v, want ErrCancelled", err)
	}
	checkDir(t, dir, 0)
}
