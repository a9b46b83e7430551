package device_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// testLimit stops a test that hangs; it is never reached when things work, even on a loaded machine (it is a
// hang guard, not a speed check: the noisy transfers take seconds, and many times that when other test
// binaries share the CPU).
const testLimit = 2 * time.Minute

// shortIdle is the idle timeout of tests that provoke retries or timeouts:
// short enough to keep them fast, long enough for a loaded machine.
const shortIdle = 800 * time.Millisecond

func pattern(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func allBytes(repeat int) []byte {
	b := make([]byte, 0, 256*repeat)
	for range repeat {
		for i := range 256 {
			b = append(b, byte(i))
		}
	}
	return b
}

type result struct {
	files   []device.File
	recvErr error
	sendErr error
	dir     string
}

// transfer runs a YMODEM sender on one end of a pipe and a receiver on the
// other, and returns when both are done. Both get opts, but only the
// receiver its Progress.
func transfer(t *testing.T, opts device.Options, files []device.SendFile, setup func(rx, tx *devicetest.End)) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	rxEnd, txEnd := devicetest.Pipe()
	defer rxEnd.Close()
	defer txEnd.Close()
	if setup != nil {
		setup(rxEnd, txEnd)
	}
	recv, err := device.NewReceiver("ymodem", opts)
	if err != nil {
		t.Fatal(err)
	}
	sendOpts := opts
	sendOpts.Progress = nil // progress is the receiver's
	send, err := device.NewSender("ymodem", sendOpts)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- send.Send(ctx, txEnd, files) }()
	res := result{dir: t.TempDir()}
	res.files, res.recvErr = recv.Receive(ctx, rxEnd, device.DirSink(res.dir))
	rxEnd.Close() // a sender still waiting for a reply gives up
	res.sendErr = <-sent
	return res
}

// checkFiles verifies the received files against what was sent and that
// nothing else (no temporary file) is in the directory.
// mustSucceed fails the test unless both ends of the transfer succeeded.
func mustSucceed(t *testing.T, res result) {
	t.Helper()
	if res.recvErr != nil || res.sendErr != nil {
		t.Fatalf("receive: %v; send: %v", res.recvErr, res.sendErr)
	}
}

// mustFail checks a transfer that had to fail: the receiver reports wantErr, the sender does not claim
// success, and nothing is left in the directory (not even a beginning kept for resuming).
func mustFail(t *testing.T, res result, wantErr error) {
	t.Helper()
	if !errors.Is(res.recvErr, wantErr) {
		t.Fatalf("receive error %v, want %v", res.recvErr, wantErr)
	}
	if res.sendErr == nil {
		t.Fatal("sender reports success")
	}
	checkDir(t, res.dir, 0)
}

func checkFiles(t *testing.T, res result, want map[string][]byte) {
	t.Helper()
	if len(res.files) != len(want) {
		t.Fatalf("received %d files, want %d", len(res.files), len(want))
	}
	for _, f := range res.files {
		data, ok := want[f.Name]
		if !ok {
			t.Fatalf("unexpected file %q", f.Name)
		}
		got, err := os.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) || f.Size != int64(len(data)) || f.SHA256 != sha256.Sum256(data) {
			t.Fatalf("%s: %d bytes received (File says %d), want %d; contents or digest differ", f.Name, len(got), f.Size, len(data))
		}
	}
	checkDir(t, res.dir, len(want))
}

// checkDir verifies that dir holds n files and no hidden ones.
func checkDir(t *testing.T, dir string, n int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if len(entries) != n {
		t.Fatalf("%d entries in the directory, want %d", len(entries), n)
	}
}

func TestYmodemSizes(t *testing.T) {
	mod := time.Date(2025, 3, 12, 9, 41, 0, 0, time.UTC)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"1 byte", []byte{0x1a}},
		{"127 bytes", pattern(127, 1)},
		{"128 bytes", pattern(128, 2)},
		{"129 bytes", pattern(129, 3)},
		{"1024 bytes", pattern(1024, 4)},
		{"1025 bytes", pattern(1025, 5)},
		{"ends in padding bytes", bytes.Repeat([]byte{0x1a}, 700)},
		{"all byte values", allBytes(5)},
		{"200 KB", pattern(200*1024, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var progress []device.Progress
			opts := device.Options{Progress: func(p device.Progress) { progress = append(progress, p) }}
			res := transfer(t, opts, []device.SendFile{device.BytesFile("scan.tif", mod, tt.data)}, nil)
			mustSucceed(t, res)
			checkFiles(t, res, map[string][]byte{"scan.tif": tt.data})
			st, err := os.Stat(res.files[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			if !st.ModTime().Equal(mod) {
				t.Errorf("mtime %v, want %v", st.ModTime(), mod)
			}
			if last := progress[len(progress)-1]; last.Bytes != int64(len(tt.data)) || last.Total != int64(len(tt.data)) {
				t.Errorf("last progress %+v", last)
			}
		})
	}
}

func TestYmodemBatch(t *testing.T) {
	a, b, c := pattern(3000, 7), pattern(0, 8), pattern(70000, 9)
	files := []device.SendFile{
		device.BytesFile("scan0001.tif", time.Time{}, a),
		device.BytesFile("../../etc/passwd", time.Time{}, b),
		device.BytesFile("scan0001.tif", time.Time{}, c),
	}
	var seen []int
	opts := device.Options{Progress: func(p device.Progress) {
		if len(seen) == 0 || seen[len(seen)-1] != p.Index {
			seen = append(seen, p.Index)
		}
	}}
	res := transfer(t, opts, files, nil)
	mustSucceed(t, res)
	checkFiles(t, res, map[string][]byte{"scan0001.tif": a, "passwd": b, "scan0001-1.tif": c})
	if !slices.Equal(seen, []int{0, 1, 2}) {
		t.Errorf("progress file indexes %v", seen)
	}
}

func TestYmodemUnknownSize(t *testing.T) {
	data := pattern(1500, 10)
	f := device.BytesFile("x.bin", time.Time{}, data)
	f.Size = -1
	res := transfer(t, device.Options{}, []device.SendFile{f}, nil)
	mustSucceed(t, res)
	// Without a size the padding of the last block cannot be told apart.
	got, _ := os.ReadFile(res.files[0].Path)
	if !bytes.HasPrefix(got, data) || len(got) != 2048 {
		t.Fatalf("got %d bytes", len(got))
	}
}

// TestYmodemTranscript pins the receiver's side of the conversation for one
// file of 1500 bytes: one 1K block and four 128-byte blocks, the first EOT
// refused, and the end of the batch.
func TestYmodemTranscript(t *testing.T) {
	var rxLog, txLog []byte
	res := transfer(t, device.Options{}, []device.SendFile{device.BytesFile("a.tif", time.Time{}, pattern(1500, 11))},
		func(rx, tx *devicetest.End) {
			rx.SetFault(devicetest.Record(&rxLog))
			tx.SetFault(devicetest.Record(&txLog))
		})
	mustSucceed(t, res)
	names := map[byte]string{'C': "C", 0x06: "ACK", 0x15: "NAK", 0x04: "EOT", 0x01: "SOH", 0x02: "STX"}
	var words []string
	for _, b := range rxLog {
		words = append(words, names[b])
	}
	if got, want := strings.Join(words, " "), "C ACK C ACK ACK ACK ACK ACK NAK ACK C ACK"; got != want {
		t.Errorf("receiver sent %q\nwant          %q", got, want)
	}
	// The sender's frames: start byte and block number of each.
	var frames []string
	for i := 0; i < len(txLog); {
		switch txLog[i] {
		case 0x01, 0x02:
			frames = append(frames, fmt.Sprintf("%s%d", names[txLog[i]], txLog[i+1]))
			if txLog[i] == 0x01 {
				i += 133
			} else {
				i += 1029
			}
		default:
			frames = append(frames, names[txLog[i]])
			i++
		}
	}
	if got, want := strings.Join(frames, " "), "SOH0 STX1 SOH2 SOH3 SOH4 SOH5 EOT EOT SOH0"; got != want {
		t.Errorf("sender sent %q\nwant        %q", got, want)
	}
}

// flipFrom damages every byte written from offset off on.
func flipFrom(off int64) devicetest.Fault {
	return func(o int64, p []byte) []byte {
		for i := range p {
			if o+int64(i) >= off {
				p[i] ^= 0x55
			}
		}
		return p
	}
}

// dropFrom loses every byte written from offset off on.
func dropFrom(off int64) devicetest.Fault {
	return func(o int64, p []byte) []byte {
		if o >= off {
			return nil
		}
		return p[:min(int64(len(p)), off-o)]
	}
}

func TestYmodemLineErrors(t *testing.T) {
	data := pattern(5000, 12)
	// Offsets in the sender's stream: the header block is bytes 0-132, the
	// first data block starts at 133, the second at 1162.
	tests := []struct {
		name     string
		rxFault  devicetest.Fault // on what the receiver writes
		txFault  devicetest.Fault // on what the sender writes
		wantErr  error            // nil: the transfer recovers
		wantFile bool
	}{
		{name: "header CRC", txFault: devicetest.FlipAt(60), wantFile: true},
		{name: "data CRC", txFault: devicetest.FlipAt(700), wantFile: true},
		{name: "block number", txFault: devicetest.FlipAt(1163), wantFile: true},
		{name: "start byte", txFault: devicetest.FlipAt(1162), wantFile: true},
		{name: "bytes lost in a block", txFault: devicetest.DropAt(300, 301, 302), wantFile: true},
		{name: "several blocks damaged", txFault: devicetest.FlipAt(200, 1300, 1400, 2400, 3500), wantFile: true},
		{name: "ACK damaged", rxFault: devicetest.FlipAt(4), wantFile: true},
		{name: "ACK lost", rxFault: devicetest.DropAt(4), wantFile: true},
		{name: "C lost", rxFault: devicetest.DropAt(0), wantFile: true},
		{name: "line goes bad", txFault: flipFrom(2000), wantErr: device.ErrDamaged},
		{name: "sender goes silent", txFault: dropFrom(2000), wantErr: device.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := transfer(t, device.Options{Timeout: shortIdle}, []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)},
				func(rx, tx *devicetest.End) {
					if tt.rxFault != nil {
						rx.SetFault(tt.rxFault)
					}
					if tt.txFault != nil {
						tx.SetFault(tt.txFault)
					}
				})
			if tt.wantErr == nil {
				mustSucceed(t, res)
				checkFiles(t, res, map[string][]byte{"scan.tif": data})
				return
			}
			mustFail(t, res, tt.wantErr)
		})
	}
}

func TestYmodemCancel(t *testing.T) {
	data := pattern(100*1024, 13)
	files := []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)}

	t.Run("receiver cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rxEnd, txEnd := devicetest.Pipe()
		defer rxEnd.Close()
		defer txEnd.Close()
		recv, _ := device.NewReceiver("ymodem", device.Options{Progress: func(p device.Progress) {
			if p.Bytes > 10000 {
				cancel()
			}
		}})
		send, _ := device.NewSender("ymodem", device.Options{})
		sent := make(chan error, 1)
		go func() { sent <- send.Send(context.Background(), txEnd, files) }()
		dir := t.TempDir()
		_, err := recv.Receive(ctx, rxEnd, device.DirSink(dir))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("receive error %v, want context.Canceled", err)
		}
		if err := <-sent; !errors.Is(err, device.ErrCancelled) {
			t.Fatalf("send error %v, want ErrCancelled", err)
		}
		checkDir(t, dir, 0)
	})

	t.Run("sender cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rxEnd, txEnd := devicetest.Pipe()
		defer rxEnd.Close()
		defer txEnd.Close()
		recv, _ := device.NewReceiver("ymodem", device.Options{})
		send, _ := device.NewSender("ymodem", device.Options{Progress: func(p device.Progress) {
			if p.Bytes > 10000 {
				cancel()
			}
		}})
		sent := make(chan error, 1)
		go func() { sent <- send.Send(ctx, txEnd, files) }()
		dir := t.TempDir()
		_, err := recv.Receive(context.Background(), rxEnd, device.DirSink(dir))
		if !errors.Is(err, device.ErrCancelled) {
			t.Fatalf("receive error %v, want ErrCancelled", err)
		}
		if err := <-sent; !errors.Is(err, context.Canceled) {
			t.Fatalf("send error %v, want context.Canceled", err)
		}
		checkDir(t, dir, 0)
	})
}

func TestYmodemIdleTimeout(t *testing.T) {
	opts := device.Options{Timeout: 100 * time.Millisecond}
	t.Run("nobody sends", func(t *testing.T) {
		rxEnd, other := devicetest.Pipe()
		defer other.Close()
		var heard []byte
		other.SetReadTimeout(time.Millisecond)
		recv, _ := device.NewReceiver("ymodem", opts)
		dir := t.TempDir()
		_, err := recv.Receive(context.Background(), rxEnd, device.DirSink(dir))
		if !errors.Is(err, device.ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
		buf := make([]byte, 64)
		for {
			n, err := other.Read(buf)
			heard = append(heard, buf[:n]...)
			if err != nil {
				break
			}
		}
		// Only requests to start, no cancel bytes for a peer that never spoke.
		if len(bytes.Trim(heard, "C")) != 0 || len(heard) == 0 {
			t.Errorf("receiver wrote %q", heard)
		}
		checkDir(t, dir, 0)
	})
	t.Run("nobody receives", func(t *testing.T) {
		txEnd, other := devicetest.Pipe()
		defer other.Close()
		send, _ := device.NewSender("ymodem", opts)
		err := send.Send(context.Background(), txEnd, []device.SendFile{device.BytesFile("a", time.Time{}, []byte("x"))})
		if !errors.Is(err, device.ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
	})
}

func TestYmodemSourceShort(t *testing.T) {
	f := device.BytesFile("a.tif", time.Time{}, pattern(3000, 14))
	f.Size = 4000 // announced more than it has
	res := transfer(t, device.Options{}, []device.SendFile{f}, nil)
	if res.sendErr == nil || !strings.Contains(res.sendErr.Error(), "ended after 3000 of 4000 bytes") {
		t.Fatalf("send error %v", res.sendErr)
	}
	if !errors.Is(res.recvErr, device.ErrCancelled) {
		t.Fatalf("receive error %v, want ErrCancelled", res.recvErr)
	}
	checkDir(t, res.dir, 0)
}

func TestUnknownProtocol(t *testing.T) {
	for _, name := range []string{"kermit", ""} {
		_, err := device.NewReceiver(name, device.Options{})
		if !errors.Is(err, device.ErrUnknownProtocol) || !strings.Contains(err.Error(), "known: xmodem, xmodem-1k, ymodem") {
			t.Errorf("NewReceiver(%q): %v", name, err)
		}
		_, err = device.NewSender(name, device.Options{})
		if !errors.Is(err, device.ErrUnknownProtocol) {
			t.Errorf("NewSender(%q): %v", name, err)
		}
	}
	if _, err := device.NewReceiver("YMODEM", device.Options{}); err != nil {
		t.Errorf("protocol names are case-insensitive: %v", err)
	}
}

func TestYmodemEmptyBatch(t *testing.T) {
	res := transfer(t, device.Options{}, nil, nil)
	if res.recvErr != nil || res.sendErr != nil || len(res.files) != 0 {
		t.Fatalf("files %v; receive: %v; send: %v", res.files, res.recvErr, res.sendErr)
	}
	checkDir(t, res.dir, 0)
}
