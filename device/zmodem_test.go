package device_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// zrun is one ZMODEM sender and receiver over an in-memory pipe.
type zrun struct {
	opts     device.Options // both ends; Progress goes to the receiver only
	z        device.ZmodemOptions
	sendZ    *device.ZmodemOptions // the sender's, if not z
	files    []device.SendFile
	setup    func(rx, tx *devicetest.End)
	recvCtx  context.Context // nil: the test's own
	sendCtx  context.Context
	sendOpts *device.Options // the sender's, if not opts
	dir      string          // "" : a new temporary directory
	// waitSender keeps the pipe open until the sender is done, for a
	// sender that must notice a cancel while it streams.
	waitSender bool
}

// ztransfer runs r and returns when both ends are done.
func ztransfer(t *testing.T, r zrun) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	if r.recvCtx == nil {
		r.recvCtx = ctx
	}
	if r.sendCtx == nil {
		r.sendCtx = ctx
	}
	rxEnd, txEnd := devicetest.Pipe()
	defer rxEnd.Close()
	defer txEnd.Close()
	if r.setup != nil {
		r.setup(rxEnd, txEnd)
	}
	sendOpts := r.opts
	sendOpts.Progress = nil
	if r.sendOpts != nil {
		sendOpts = *r.sendOpts
	}
	sendZ := r.z
	if r.sendZ != nil {
		sendZ = *r.sendZ
	}
	sent := make(chan error, 1)
	go func() { sent <- device.NewZmodem(sendOpts, sendZ).Send(r.sendCtx, txEnd, r.files) }()
	res := result{dir: r.dir}
	if res.dir == "" {
		res.dir = t.TempDir()
	}
	res.files, res.recvErr = device.NewZmodem(r.opts, r.z).Receive(r.recvCtx, rxEnd, device.DirSink(res.dir))
	if r.waitSender {
		res.sendErr = <-sent
	}
	rxEnd.Close() // a sender still waiting for a reply gives up
	if !r.waitSender {
		res.sendErr = <-sent
	}
	return res
}

var zmod = time.Date(2025, 3, 12, 9, 41, 0, 0, time.UTC)

func TestZmodemSizes(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"1 byte", []byte{0x18}},
		{"1 KB", pattern(1024, 1)},
		{"1025 bytes", pattern(1025, 2)},
		{"8 KB", pattern(8192, 3)},
		{"8 KB + 1", pattern(8193, 4)},
		{"all byte values", allBytes(9)},
		{"bytes that need escapes", bytes.Repeat([]byte("@\r\x18\x11\x13\x91\x93\x10\x90\x8d@\x8d\xc0\r*\x18C"), 500)},
		{"200 KB", pattern(200*1024, 5)},
		{"5 MB", pattern(5<<20, 6)},
	}
	for _, sub := range []int{0, device.MaxSubpacket} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/subpacket %d", tt.name, sub), func(t *testing.T) {
				var progress []device.Progress
				res := ztransfer(t, zrun{
					opts:  device.Options{Progress: func(p device.Progress) { progress = append(progress, p) }},
					z:     device.ZmodemOptions{Subpacket: sub},
					files: []device.SendFile{device.BytesFile("scan.tif", zmod, tt.data)},
				})
				mustSucceed(t, res)
				checkFiles(t, res, map[string][]byte{"scan.tif": tt.data})
				st, err := os.Stat(res.files[0].Path)
				if err != nil {
					t.Fatal(err)
				}
				if !st.ModTime().Equal(zmod) {
					t.Errorf("mtime %v, want %v", st.ModTime(), zmod)
				}
				if last := progress[len(progress)-1]; last.Bytes != int64(len(tt.data)) || last.Total != int64(len(tt.data)) {
					t.Errorf("last progress %+v", last)
				}
			})
		}
	}
}

func TestZmodemBatch(t *testing.T) {
	a, b, c := pattern(3000, 7), pattern(0, 8), pattern(70000, 9)
	var seen []int
	res := ztransfer(t, zrun{
		opts: device.Options{Progress: func(p device.Progress) {
			if len(seen) == 0 || seen[len(seen)-1] != p.Index {
				seen = append(seen, p.Index)
			}
		}},
		files: []device.SendFile{
			device.BytesFile("scan0001.tif", time.Time{}, a),
			device.BytesFile("../../etc/passwd", time.Time{}, b),
			device.BytesFile("scan0001.tif", time.Time{}, c),
		},
	})
	mustSucceed(t, res)
	checkFiles(t, res, map[string][]byte{"scan0001.tif": a, "passwd": b, "scan0001-1.tif": c})
	if !slices.Equal(seen, []int{0, 1, 2}) {
		t.Errorf("progress file indexes %v", seen)
	}
}

func TestZmodemEmptyBatch(t *testing.T) {
	res := ztransfer(t, zrun{})
	if res.recvErr != nil || res.sendErr != nil || len(res.files) != 0 {
		t.Fatalf("files %v; receive: %v; send: %v", res.files, res.recvErr, res.sendErr)
	}
	checkDir(t, res.dir, 0)
}

// TestZmodemUnknownSize sends contents without a size: ZMODEM, unlike
// YMODEM, lands them exactly.
func TestZmodemUnknownSize(t *testing.T) {
	for _, n := range []int{0, 1500, 2048} {
		data := pattern(n, 10)
		f := device.BytesFile("x.bin", time.Time{}, data)
		f.Size = -1
		res := ztransfer(t, zrun{files: []device.SendFile{f}})
		if res.recvErr != nil || res.sendErr != nil {
			t.Fatalf("%d bytes: receive: %v; send: %v", n, res.recvErr, res.sendErr)
		}
		checkFiles(t, res, map[string][]byte{"x.bin": data})
	}
}

// zoffsets finds where the frames of a clean transfer of data start in
// the sender's stream, so that faults can aim at them.
type zoffsets struct {
	zfile, zdata, zeof, subEnd int64 // binary headers; the first ZDLE ZCRCG
}

func findOffsets(t *testing.T, data []byte) zoffsets {
	t.Helper()
	var txLog []byte
	res := ztransfer(t, zrun{
		files: []device.SendFile{device.BytesFile("scan.tif", zmod, data)},
		setup: func(rx, tx *devicetest.End) { tx.SetFault(devicetest.Record(&txLog)) },
	})
	mustSucceed(t, res)
	at := func(pattern string) int64 {
		i := bytes.Index(txLog, []byte(pattern))
		if i < 0 {
			t.Fatalf("%q not in the sender's stream", pattern)
		}
		return int64(i)
	}
	return zoffsets{zfile: at("*\x18C\x04"), zdata: at("*\x18C\x0a"), zeof: at("*\x18C\x0b"), subEnd: at("\x18i")}
}

// zHexHeaders lists the hex headers in a stream as "TYPE(offset)".
func zHexHeaders(t *testing.T, log []byte) []string {
	t.Helper()
	names := []string{"ZRQINIT", "ZRINIT", "ZSINIT", "ZACK", "ZFILE", "ZSKIP", "ZNAK", "ZABORT", "ZFIN", "ZRPOS", "ZDATA", "ZEOF"}
	var out []string
	for _, part := range bytes.Split(log, []byte("**\x18B"))[1:] {
		if len(part) < 14 {
			t.Fatalf("short hex header %q", part)
		}
		raw, err := hex.DecodeString(string(part[:10]))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("type %d", raw[0])
		if int(raw[0]) < len(names) {
			name = names[raw[0]]
		}
		out = append(out, fmt.Sprintf("%s(%d)", name, binary.LittleEndian.Uint32(raw[1:])))
	}
	return out
}

func TestZmodemLineErrors(t *testing.T) {
	data := pattern(20000, 12)
	off := findOffsets(t, data)
	// The receiver's stream: ZRINIT, ZRINIT again for the sender's
	// ZRQINIT, ZRPOS, ZRINIT after the file, ZFIN; 21 bytes each (ZFIN 20).
	const hexLen = 21
	tests := []struct {
		name    string
		rxFault devicetest.Fault // on what the receiver writes
		txFault devicetest.Fault // on what the sender writes
		wantErr error            // nil: the transfer recovers
	}{
		{name: "ZFILE header", txFault: devicetest.FlipAt(off.zfile + 5)},
		{name: "ZFILE subpacket", txFault: devicetest.FlipAt(off.zfile + 20)},
		{name: "ZDATA header", txFault: devicetest.FlipAt(off.zdata + 6)},
		{name: "data CRC", txFault: devicetest.FlipAt(off.zdata + 700)},
		{name: "subpacket end", txFault: devicetest.FlipAt(off.subEnd + 1)},
		{name: "subpacket end lost", txFault: devicetest.DropAt(off.subEnd, off.subEnd+1)},
		{name: "ZEOF header", txFault: devicetest.FlipAt(off.zeof + 5)},
		{name: "ZEOF lost", txFault: devicetest.DropAt(off.zeof, off.zeof+1, off.zeof+2)},
		{name: "bytes lost in a subpacket", txFault: devicetest.DropAt(off.zdata+300, off.zdata+301, off.zdata+302)},
		{name: "several subpackets damaged", txFault: devicetest.FlipAt(off.zdata+200, off.zdata+1300, off.zdata+1400, off.zdata+5000, off.zdata+9000)},
		{name: "ZRINIT damaged", rxFault: devicetest.FlipAt(6)},
		{name: "ZRPOS damaged", rxFault: devicetest.FlipAt(2*hexLen + 6)},
		{name: "ZRPOS lost", rxFault: devicetest.DropAt(2*hexLen, 2*hexLen+1, 2*hexLen+2)},
		{name: "ZRINIT after the file lost", rxFault: devicetest.DropAt(3*hexLen + 4)},
		{name: "ZFIN lost", rxFault: devicetest.DropAt(4*hexLen + 4)},
		{name: "line goes bad", txFault: flipFrom(off.zdata + 2000), wantErr: device.ErrDamaged},
		{name: "sender goes silent", txFault: dropFrom(off.zdata + 2000), wantErr: device.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ztransfer(t, zrun{
				opts:  device.Options{Timeout: shortIdle},
				files: []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)},
				setup: func(rx, tx *devicetest.End) {
					if tt.rxFault != nil {
						rx.SetFault(tt.rxFault)
					}
					if tt.txFault != nil {
						tx.SetFault(tt.txFault)
					}
				},
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

// TestZmodemNoise runs transfers through a relay that damages or loses
// bytes at random both ways, one in 10,000 and more: each lands the file
// byte-exact. The pipe before the relay holds whatever the sender writes,
// unlike a serial line, so the sender runs far ahead and data thrown away
// after an error costs more: the idle timeout leaves room for the
// receiver to catch up, and the file of the worst line is smaller.
func TestZmodemNoise(t *testing.T) {
	lines := []struct {
		name      string
		to, back  devicetest.Line
		subpacket int
		size      int
	}{
		{"flips 1e-4", devicetest.Line{FlipRate: 1e-4}, devicetest.Line{FlipRate: 1e-4}, 0, 512 << 10},
		{"flips 1e-4, 8K subpackets", devicetest.Line{FlipRate: 1e-4}, devicetest.Line{FlipRate: 1e-4}, device.MaxSubpacket, 512 << 10},
		{"losses 1e-4", devicetest.Line{DropRate: 1e-4}, devicetest.Line{DropRate: 1e-4}, 0, 512 << 10},
		{"replies 1e-2", devicetest.Line{}, devicetest.Line{FlipRate: 1e-2}, 0, 512 << 10},
		{"flips 1e-3", devicetest.Line{FlipRate: 1e-3}, devicetest.Line{}, 0, 64 << 10},
	}
	for i, line := range lines {
		data := pattern(line.size+7, 45)
		for seed := uint64(1); seed <= 2; seed++ {
			t.Run(fmt.Sprintf("%s/seed %d", line.name, seed), func(t *testing.T) {
				t.Parallel()
				opts := device.Options{Timeout: 3 * time.Second}
				z := device.ZmodemOptions{Subpacket: line.subpacket}
				tx, a := devicetest.Pipe()
				b, rx := devicetest.Pipe()
				relay := devicetest.Relay(a, b, devicetest.RelayConfig{AtoB: line.to, BtoA: line.back, Seed: seed + 10*uint64(i)})
				ctx, cancel := context.WithTimeout(context.Background(), testLimit)
				defer cancel()
				sent := make(chan error, 1)
				go func() {
					sent <- device.NewZmodem(opts, z).Send(ctx, tx, []device.SendFile{device.BytesFile("scan.tif", zmod, data)})
				}()
				res := result{dir: t.TempDir()}
				res.files, res.recvErr = device.NewZmodem(opts, z).Receive(ctx, rx, device.DirSink(res.dir))
				st := relay.Stop()
				a.Close()
				rx.Close()
				sendErr := <-sent
				t.Logf("%d flipped, %d lost on the way; %d flipped, %d lost on the way back", st.AtoB.Flipped, st.AtoB.Dropped, st.BtoA.Flipped, st.BtoA.Dropped)
				if res.recvErr != nil {
					t.Fatalf("receive: %v; send: %v", res.recvErr, sendErr)
				}
				checkFiles(t, res, map[string][]byte{"scan.tif": data})
			})
		}
	}
}

// seekFile is a SendFile whose contents are an *os.File, which seeks.
func seekFile(t *testing.T, name string, data []byte, opens *atomic.Int32) device.SendFile {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return device.SendFile{Name: name, ModTime: zmod, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
		opens.Add(1)
		return os.Open(path)
	}}
}

// TestZmodemResend checks that the sender goes back in its contents when
// the receiver asks: by seeking in a file, by reading again what cannot
// seek.
func TestZmodemResend(t *testing.T) {
	data := pattern(100000, 13)
	off := findOffsets(t, data)
	fault := devicetest.FlipAt(off.zdata+20000, off.zdata+60000)
	for _, seekable := range []bool{true, false} {
		t.Run(fmt.Sprintf("seekable %v", seekable), func(t *testing.T) {
			var opens atomic.Int32
			f := seekFile(t, "scan.tif", data, &opens)
			if !seekable {
				f = device.BytesFile("scan.tif", zmod, data)
				open := f.Open
				f.Open = func() (io.ReadCloser, error) { opens.Add(1); return open() }
			}
			res := ztransfer(t, zrun{
				files: []device.SendFile{f},
				setup: func(rx, tx *devicetest.End) { tx.SetFault(fault) },
			})
			mustSucceed(t, res)
			checkFiles(t, res, map[string][]byte{"scan.tif": data})
			if want := int32(1); seekable && opens.Load() != want {
				t.Errorf("a seekable file opened %d times, want %d", opens.Load(), want)
			}
			if !seekable && opens.Load() < 2 {
				t.Errorf("contents that cannot seek opened %d times, want one more per ZRPOS", opens.Load())
			}
		})
	}
}

// TestZmodemTranscript pins the start of both sides of a transfer: the
// hex headers as lrzsz writes them, byte for byte.
func TestZmodemTranscript(t *testing.T) {
	var rxLog, txLog []byte
	res := ztransfer(t, zrun{
		files: []device.SendFile{device.BytesFile("a.tif", time.Unix(1700000000, 0), pattern(1500, 11))},
		setup: func(rx, tx *devicetest.End) {
			rx.SetFault(devicetest.Record(&rxLog))
			tx.SetFault(devicetest.Record(&txLog))
		},
	})
	mustSucceed(t, res)
	// As rz and sz put them on the line.
	const (
		zrinit  = "**\x18B0100000023be50\r\x8a\x11"
		zrqinit = "rz\r**\x18B00000000000000\r\x8a\x11"
		zrpos0  = "**\x18B0900000000a87c\r\x8a\x11"
		zfin    = "**\x18B0800000000022d\r\x8a"
	)
	if want := zrinit + zrinit + zrpos0 + zrinit + zfin; string(rxLog) != want {
		t.Errorf("receiver wrote\n%q\nwant\n%q", rxLog, want)
	}
	if !bytes.HasPrefix(txLog, []byte(zrqinit)) {
		t.Errorf("sender began with %q, want %q", txLog[:min(len(txLog), len(zrqinit))], zrqinit)
	}
	if !bytes.HasSuffix(txLog, []byte(zfin+"OO")) {
		t.Errorf("sender ended with %q", txLog[max(0, len(txLog)-30):])
	}
	// The file header: binary with a CRC-32 (the receiver can), binary
	// conversion, then name, size, octal mtime and mode, files and bytes
	// left.
	info := "*\x18C\x04\x00\x00\x00\x01"
	if i := bytes.Index(txLog, []byte(info)); i < 0 || !bytes.Contains(txLog[i:], []byte("a.tif\x001500 14524770400 100644 0 1 1500\x00\x18k")) {
		t.Errorf("no ZFILE for a.tif in %q", txLog[:min(len(txLog), 120)])
	}
}

// TestZmodemTrigger checks that the receiver writes its trigger command
// line before it first asks for files.
func TestZmodemTrigger(t *testing.T) {
	var rxLog []byte
	res := ztransfer(t, zrun{
		z:     device.ZmodemOptions{Trigger: []byte("sz -b /scans/*\r")},
		files: []device.SendFile{device.BytesFile("a.tif", zmod, []byte("II*\x00"))},
		setup: func(rx, tx *devicetest.End) { rx.SetFault(devicetest.Record(&rxLog)) },
	})
	mustSucceed(t, res)
	if want := "sz -b /scans/*\r**\x18B01"; !strings.HasPrefix(string(rxLog), want) {
		t.Errorf("receiver began with %q, want %q", rxLog[:min(len(rxLog), 30)], want)
	}
	if strings.Count(string(rxLog), "sz -b") != 1 {
		t.Errorf("trigger sent more than once: %q", rxLog)
	}
}

// TestZmodemEscapeControl has the receiver ask for every control
// character escaped: the sender, not set to do so itself, then sends none
// bare in the data.
func TestZmodemEscapeControl(t *testing.T) {
	data := allBytes(20)
	var txLog []byte
	res := ztransfer(t, zrun{
		files: []device.SendFile{device.BytesFile("a.bin", zmod, data)},
		setup: func(rx, tx *devicetest.End) { tx.SetFault(devicetest.Record(&txLog)) },
		z:     device.ZmodemOptions{EscapeControl: true},
		sendZ: &device.ZmodemOptions{},
	})
	mustSucceed(t, res)
	checkFiles(t, res, map[string][]byte{"a.bin": data})
	start, end := bytes.Index(txLog, []byte("*\x18C\x18J")), bytes.Index(txLog, []byte("*\x18C\x18K"))
	if start < 0 || end < start {
		t.Fatalf("no ZDATA ... ZEOF with escaped header types in %q", txLog[:min(len(txLog), 200)])
	}
	for i, c := range txLog[start:end] {
		if c&0x60 == 0 && c != 0x18 {
			t.Fatalf("bare control character %#02x at %d of the data", c, start+i)
		}
	}
}

func TestZmodemGarbageFirst(t *testing.T) {
	data := pattern(5000, 14)
	junk := []byte("login: \x18\x18\x18\x18*\x18A\x01\x02**\x18Bzz\r\n\x11\x13 hello *\x18C\x0a\x00\x00\x00\x00\x00\x00\x00\x00")
	res := ztransfer(t, zrun{
		files: []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)},
		setup: func(rx, tx *devicetest.End) {
			tx.SetFault(func(off int64, p []byte) []byte {
				if off == 0 {
					return append(slices.Clip(junk), p...)
				}
				return p
			})
		},
	})
	mustSucceed(t, res)
	checkFiles(t, res, map[string][]byte{"scan.tif": data})
}

// checkVisible verifies that dir holds n files that are not hidden.
func checkVisible(t *testing.T, dir string, n int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if visible := len(entries) - len(hiddenFiles(t, dir)); visible != n {
		t.Fatalf("%d files in the directory, want %d", visible, n)
	}
}

// hiddenFiles returns the names of the hidden files in dir.
func hiddenFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestZmodemCancel(t *testing.T) {
	data := pattern(300*1024, 15)
	files := []device.SendFile{device.BytesFile("scan.tif", zmod, data)}

	t.Run("receiver cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res := ztransfer(t, zrun{
			opts: device.Options{Progress: func(p device.Progress) {
				if p.Bytes > 10000 {
					cancel()
				}
			}},
			files:      files,
			recvCtx:    ctx,
			waitSender: true,
		})
		if !errors.Is(res.recvErr, context.Canceled) {
			t.Fatalf("receive error %v, want context.Canceled", res.recvErr)
		}
		if !errors.Is(res.sendErr, device.ErrCancelled) {
			t.Fatalf("send error %v, want ErrCancelled", res.sendErr)
		}
		// The beginning is kept, hidden, for a resume.
		if kept := hiddenFiles(t, res.dir); len(kept) != 1 || !strings.HasPrefix(kept[0], ".partial-") {
			t.Fatalf("kept %v", kept)
		}
		checkVisible(t, res.dir, 0)
	})

	t.Run("sender cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res := ztransfer(t, zrun{
			sendOpts: &device.Options{Progress: func(p device.Progress) {
				if p.Bytes > 10000 {
					cancel()
				}
			}},
			files:   files,
			sendCtx: ctx,
		})
		if !errors.Is(res.recvErr, device.ErrCancelled) {
			t.Fatalf("receive error %v, want ErrCancelled", res.recvErr)
		}
		if !errors.Is(res.sendErr, context.Canceled) {
			t.Fatalf("send error %v, want context.Canceled", res.sendErr)
		}
		if len(res.files) != 0 {
			t.Fatalf("files %v", res.files)
		}
	})
}

func TestZmodemIdleTimeout(t *testing.T) {
	opts := device.Options{Timeout: 100 * time.Millisecond}
	t.Run("nobody sends", func(t *testing.T) {
		rxEnd, other := devicetest.Pipe()
		defer other.Close()
		dir := t.TempDir()
		_, err := device.NewZmodem(opts, device.ZmodemOptions{}).Receive(context.Background(), rxEnd, device.DirSink(dir))
		if !errors.Is(err, device.ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
		rxEnd.Close()
		heard, _ := io.ReadAll(other)
		// Only ZRINIT, again and again, and no cancel for a peer that never
		// spoke.
		const zrinit = "**\x18B0100000023be50\r\x8a\x11"
		if len(heard) == 0 || len(bytes.ReplaceAll(heard, []byte(zrinit), nil)) != 0 {
			t.Errorf("receiver wrote %q", heard)
		}
		checkDir(t, dir, 0)
	})
	t.Run("nobody receives", func(t *testing.T) {
		txEnd, other := devicetest.Pipe()
		defer other.Close()
		err := device.NewZmodem(opts, device.ZmodemOptions{}).Send(context.Background(), txEnd, []device.SendFile{device.BytesFile("a", time.Time{}, []byte("x"))})
		if !errors.Is(err, device.ErrTimeout) {
			t.Fatalf("err %v, want ErrTimeout", err)
		}
	})
}

func TestZmodemSourceShort(t *testing.T) {
	f := device.BytesFile("a.tif", time.Time{}, pattern(3000, 16))
	f.Size = 4000 // announced more than it has
	res := ztransfer(t, zrun{files: []device.SendFile{f}})
	if res.sendErr == nil || !strings.Contains(res.sendErr.Error(), "ended after 3000 of 4000 bytes") {
		t.Fatalf("send error %v", res.sendErr)
	}
	if !errors.Is(res.recvErr, device.ErrCancelled) {
		t.Fatalf("receive error %v, want ErrCancelled", res.recvErr)
	}
	checkDir(t, res.dir, 0)
}

// TestZmodemResume cuts the line halfway through a file, then offers the
// same file again: the receiver asks for the rest only, and lands the
// file whole.
func TestZmodemResume(t *testing.T) {
	data := pattern(300*1024, 17)
	file := device.BytesFile("scan0001.tif", zmod, data)
	dir := t.TempDir()
	opts := device.Options{Timeout: shortIdle}

	first := ztransfer(t, zrun{
		opts:  opts,
		files: []device.SendFile{file},
		dir:   dir,
		setup: func(rx, tx *devicetest.End) { tx.SetFault(dropFrom(int64(len(data) / 2))) },
	})
	if !errors.Is(first.recvErr, device.ErrTimeout) {
		t.Fatalf("cut transfer: receive error %v, want ErrTimeout", first.recvErr)
	}
	kept := hiddenFiles(t, dir)
	want := fmt.Sprintf(".partial-%d-%d-scan0001.tif", len(data), zmod.Unix())
	if len(kept) != 1 || kept[0] != want {
		t.Fatalf("kept %v, want [%s]", kept, want)
	}
	partial, _ := os.ReadFile(filepath.Join(dir, want))
	if len(partial) == 0 || len(partial) >= len(data) || !bytes.Equal(partial, data[:len(partial)]) {
		t.Fatalf("kept %d bytes, not the beginning of the %d", len(partial), len(data))
	}

	var rxLog []byte
	second := ztransfer(t, zrun{
		opts:  opts,
		files: []device.SendFile{file},
		dir:   dir,
		setup: func(rx, tx *devicetest.End) { rx.SetFault(devicetest.Record(&rxLog)) },
	})
	if second.recvErr != nil || second.sendErr != nil {
		t.Fatalf("resumed transfer: receive: %v; send: %v", second.recvErr, second.sendErr)
	}
	checkFiles(t, second, map[string][]byte{"scan0001.tif": data})
	headers := zHexHeaders(t, rxLog)
	if wantPos := fmt.Sprintf("ZRPOS(%d)", len(partial)); !slices.Contains(headers, wantPos) || slices.Contains(headers, "ZRPOS(0)") {
		t.Errorf("receiver sent %v, want %s and no ZRPOS(0)", headers, wantPos)
	}
}

// TestDirSinkResume checks the kept files of DirSink: what is resumed,
// what starts afresh, and what is thrown away.
func TestDirSinkResume(t *testing.T) {
	dir := t.TempDir()
	sink := device.DirSink(dir).(device.Resumer)
	start := func(name string, size int64, mod time.Time) (device.Resumable, int64) {
		t.Helper()
		in, off, err := sink.Resume(name, size, mod)
		if err != nil {
			t.Fatal(err)
		}
		return in, off
	}
	in, off := start("a.tif", 10, zmod)
	if off != 0 {
		t.Fatalf("fresh file resumes at %d", off)
	}
	in.Write([]byte("abcd"))
	if err := in.Suspend(); err != nil {
		t.Fatal(err)
	}
	if err := in.Abort(); err != nil {
		t.Fatalf("abort after suspend: %v", err)
	}
	if kept := hiddenFiles(t, dir); len(kept) != 1 {
		t.Fatalf("kept %v", kept)
	}

	// Another size, mtime or name does not match.
	for _, other := range []struct {
		name string
		size int64
		mod  time.Time
	}{{"a.tif", 11, zmod}, {"b.tif", 10, zmod}} {
		in, off := start(other.name, other.size, other.mod)
		if off != 0 {
			t.Fatalf("%+v resumes at %d", other, off)
		}
		in.Abort()
	}
	// The size changed: the kept beginning of a.tif is gone.
	if kept := hiddenFiles(t, dir); len(kept) != 0 {
		t.Fatalf("kept %v after a.tif changed", kept)
	}

	in, _ = start("a.tif", 10, zmod)
	in.Write([]byte("abcd"))
	in.Suspend()
	in, off = start("a.tif", 10, zmod)
	if off != 4 {
		t.Fatalf("resumes at %d, want 4", off)
	}
	in.Write([]byte("efghij"))
	f, err := in.Commit()
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(f.Path)
	if string(got) != "abcdefghij" || f.Size != 10 || f.SHA256 != sha256.Sum256([]byte("abcdefghij")) {
		t.Fatalf("committed %q, %+v", got, f)
	}
	checkDir(t, dir, 1)

	// Without a modification time, or with nothing written, nothing is kept.
	in, _ = start("c.tif", 10, time.Time{})
	in.Write([]byte("abc"))
	in.Suspend()
	in, _ = start("d.tif", 10, zmod)
	in.Suspend()
	checkDir(t, dir, 1)
}
