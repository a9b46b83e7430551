package device_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
	"github.com/scangate/gateway/internal/toolrun"
)

// errSpoolFull stands for the caller's own error of a sink out of room.
var errSpoolFull = errors.New("spool: full")

// roomSink is a DirSink with room for room bytes, as the appliance's spool
// gives one: Create and Resume refuse a file announced larger than the
// room left (and any file once no room is left), and a Write fails once
// the room is used up. Both errors wrap errSpoolFull. It counts the writes
// of each file.
type roomSink struct {
	dir    device.Sink
	room   int64
	writes map[string]int
	// commitErr, if set, fails every Commit, leaving the file open.
	commitErr error
}

func newRoomSink(dir string, room int64) *roomSink {
	return &roomSink{dir: device.DirSink(dir), room: room, writes: map[string]int{}}
}

func (s *roomSink) check(name string, size int64) error {
	if s.room <= 0 || size > s.room {
		return fmt.Errorf("room sink: %s: %d bytes announced, %d left: %w", name, size, s.room, errSpoolFull)
	}
	return nil
}

func (s *roomSink) Create(name string, size int64, mod time.Time) (device.Incoming, error) {
	if err := s.check(name, size); err != nil {
		return nil, err
	}
	in, err := s.dir.Create(name, size, mod)
	if err != nil {
		return nil, err
	}
	return &roomIncoming{Incoming: in, s: s, name: name}, nil
}

func (s *roomSink) Resume(name string, size int64, mod time.Time) (device.Resumable, int64, error) {
	if err := s.check(name, size); err != nil {
		return nil, 0, err
	}
	in, off, err := s.dir.(device.Resumer).Resume(name, size, mod)
	if err != nil {
		return nil, 0, err
	}
	return &roomIncoming{Incoming: in, s: s, name: name}, off, nil
}

type roomIncoming struct {
	device.Incoming
	s    *roomSink
	name string
}

func (in *roomIncoming) Write(p []byte) (int, error) {
	in.s.writes[in.name]++
	if int64(len(p)) > in.s.room {
		return 0, fmt.Errorf("room sink: %s: %w", in.name, errSpoolFull)
	}
	in.s.room -= int64(len(p))
	return in.Incoming.Write(p)
}

func (in *roomIncoming) Commit() (device.File, error) {
	if in.s.commitErr != nil {
		return device.File{}, in.s.commitErr
	}
	return in.Incoming.Commit()
}

func (in *roomIncoming) Suspend() error { return in.Incoming.(device.Resumable).Suspend() }

// roomRun runs the sender of proto against its receiver, which lands the
// files in sink, and returns once both are done. The receiver gets opts;
// the sender the same without Progress.
func roomRun(t *testing.T, proto string, opts device.Options, sink device.Sink, files []device.SendFile,
	setup func(rx, tx *devicetest.End)) ([]device.File, error, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	rxEnd, txEnd := devicetest.Pipe()
	defer rxEnd.Close()
	defer txEnd.Close()
	if setup != nil {
		setup(rxEnd, txEnd)
	}
	recv, err := device.NewReceiver(proto, opts)
	if err != nil {
		t.Fatal(err)
	}
	sendOpts := opts
	sendOpts.Progress = nil
	send, err := device.NewSender(proto, sendOpts)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() { sent <- send.Send(ctx, txEnd, files) }()
	got, recvErr := recv.Receive(ctx, rxEnd, sink)
	// The sender hears the receiver's cancel before the line goes; a
	// sender still waiting for a reply then gives up.
	select {
	case sendErr := <-sent:
		return got, recvErr, sendErr
	case <-time.After(opts.Timeout + time.Second):
	}
	rxEnd.Close()
	return got, recvErr, <-sent
}

// cancelSeen reports whether log holds two CAN bytes in a row.
func cancelSeen(log []byte) bool { return bytes.Contains(log, []byte{0x18, 0x18}) }

// TestSinkRefusesFile has the sink refuse a file at Create (or Resume):
// the receiver asks for none of its data, cancels the transfer so that the
// machine keeps the file, and returns the files committed before with an
// error that wraps the sink's own.
func TestSinkRefusesFile(t *testing.T) {
	small, big := pattern(3000, 51), pattern(200*1024, 52)
	batch := []device.SendFile{device.BytesFile("small.tif", zmod, small), device.BytesFile("big.tif", zmod, big)}
	tests := []struct {
		proto string
		files []device.SendFile
		room  int64
		want  int // files committed
		// noData checks the receiver's side: it took none of the refused
		// file's data.
		noData func(t *testing.T, rxLog []byte)
	}{
		{
			proto: "zmodem", files: batch, room: 100 * 1024, want: 1,
			noData: func(t *testing.T, rxLog []byte) {
				// ZRPOS for the first file only; the second ZFILE, asked for
				// with the last ZRINIT, got the cancel.
				h := zHexHeaders(t, rxLog)
				if strings.Count(strings.Join(h, " "), "ZRPOS") != 1 || !strings.HasPrefix(h[len(h)-1], "ZRINIT") {
					t.Errorf("receiver sent %v", h)
				}
			},
		},
		{
			proto: "ymodem", files: batch, room: 100 * 1024, want: 1,
			noData: func(t *testing.T, rxLog []byte) {
				// After the request for the second header, only the cancel.
				rest := rxLog[bytes.LastIndexByte(rxLog, 'C')+1:]
				if len(rest) == 0 || len(bytes.Trim(rest, "\x18")) != 0 {
					t.Errorf("receiver answered the refused header with %q", rest)
				}
			},
		},
		{
			// XMODEM announces no size: a sink with no room left refuses
			// the file when its first block arrives.
			proto: "xmodem", files: batch[1:], room: 0, want: 0,
			noData: func(t *testing.T, rxLog []byte) {
				if bytes.IndexByte(rxLog, 0x06) >= 0 {
					t.Errorf("receiver acknowledged a block of the refused file: %q", rxLog)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.proto, func(t *testing.T) {
			dir := t.TempDir()
			sink := newRoomSink(dir, tt.room)
			var rxLog []byte
			got, recvErr, sendErr := roomRun(t, tt.proto, device.Options{Timeout: 5 * time.Second}, sink, tt.files,
				func(rx, tx *devicetest.End) { rx.SetFault(devicetest.Record(&rxLog)) })
			if !errors.Is(recvErr, errSpoolFull) {
				t.Fatalf("receive error %v, want one wrapping the sink's", recvErr)
			}
			if !errors.Is(sendErr, device.ErrCancelled) {
				t.Fatalf("send error %v, want ErrCancelled: the machine keeps its file", sendErr)
			}
			if len(got) != tt.want {
				t.Fatalf("%d files committed, want %d", len(got), tt.want)
			}
			if sink.writes["big.tif"] != 0 {
				t.Errorf("%d writes to the refused file", sink.writes["big.tif"])
			}
			if !cancelSeen(rxLog) {
				t.Errorf("no cancel sent: %q", rxLog)
			}
			tt.noData(t, rxLog)
			checkDir(t, dir, tt.want)
		})
	}
}

// TestSinkFullMidFile has the sink run out of room while a file arrives:
// the receiver cancels the transfer, returns an error that wraps the
// sink's own, and throws the partial file away instead of keeping it for
// a resume. A line cut off still keeps it.
func TestSinkFullMidFile(t *testing.T) {
	data := pattern(300*1024, 53)
	files := []device.SendFile{device.BytesFile("scan.tif", zmod, data)}
	for _, proto := range []string{"zmodem", "ymodem", "xmodem"} {
		t.Run(proto, func(t *testing.T) {
			dir := t.TempDir()
			sink := newRoomSink(dir, 1<<20)
			taken := false
			opts := device.Options{Timeout: 5 * time.Second, Progress: func(p device.Progress) {
				if p.Bytes > 100*1024 && !taken {
					sink.room, taken = 1000, true // another job took the room
				}
			}}
			var rxLog []byte
			got, recvErr, sendErr := roomRun(t, proto, opts, sink, files,
				func(rx, tx *devicetest.End) { rx.SetFault(devicetest.Record(&rxLog)) })
			if !errors.Is(recvErr, errSpoolFull) {
				t.Fatalf("receive error %v, want one wrapping the sink's", recvErr)
			}
			if !errors.Is(sendErr, device.ErrCancelled) {
				t.Fatalf("send error %v, want ErrCancelled: the machine keeps its file", sendErr)
			}
			if len(got) != 0 || !cancelSeen(rxLog) {
				t.Fatalf("files %v; cancel sent: %v", got, cancelSeen(rxLog))
			}
			checkDir(t, dir, 0) // nothing kept, not even hidden
		})
	}
	t.Run("zmodem/commit fails", func(t *testing.T) {
		dir := t.TempDir()
		sink := newRoomSink(dir, 1<<20)
		sink.commitErr = fmt.Errorf("room sink: commit: %w", errSpoolFull)
		got, recvErr, sendErr := roomRun(t, "zmodem", device.Options{Timeout: 5 * time.Second}, sink, files, nil)
		if !errors.Is(recvErr, errSpoolFull) || len(got) != 0 {
			t.Fatalf("files %v, receive error %v, want one wrapping the sink's", got, recvErr)
		}
		if !errors.Is(sendErr, device.ErrCancelled) {
			t.Fatalf("send error %v, want ErrCancelled: the machine keeps its file", sendErr)
		}
		checkDir(t, dir, 0)
	})
	t.Run("zmodem/line cut", func(t *testing.T) {
		dir := t.TempDir()
		sink := newRoomSink(dir, 1<<20)
		got, recvErr, _ := roomRun(t, "zmodem", device.Options{Timeout: shortIdle}, sink, files,
			func(rx, tx *devicetest.End) { tx.SetFault(dropFrom(int64(len(data) / 2))) })
		if !errors.Is(recvErr, device.ErrTimeout) || len(got) != 0 {
			t.Fatalf("files %v, receive error %v, want ErrTimeout", got, recvErr)
		}
		if kept := hiddenFiles(t, dir); len(kept) != 1 || !strings.HasPrefix(kept[0], ".partial-") {
			t.Fatalf("kept %v, want the beginning for a resume", kept)
		}
	})
}

// TestSinkRefusesFileFromLrzsz checks the refusal against lrzsz's
// senders: the second file does not fit, the sender hears the cancel and
// gives up at once, and the first file is committed.
func TestSinkRefusesFileFromLrzsz(t *testing.T) {
	src := t.TempDir()
	for name, data := range map[string][]byte{"small.tif": pattern(3000, 54), "big.tif": pattern(200*1024, 55)} {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ proto, sender string }{{"zmodem", "sz"}, {"ymodem", "sb"}} {
		t.Run(tt.proto, func(t *testing.T) {
			p := openPTY(t)
			wait := toolrun.StartLrzsz(t, p.Path(), src, tt.sender+" small.tif big.tif")
			ctx, cancel := context.WithTimeout(context.Background(), testLimit)
			defer cancel()
			recv, _ := device.NewReceiver(tt.proto, device.Options{})
			dir := t.TempDir()
			got, err := recv.Receive(ctx, p.Port(), newRoomSink(dir, 100*1024))
			if !errors.Is(err, errSpoolFull) {
				t.Fatalf("receive error %v, want one wrapping the sink's", err)
			}
			if len(got) != 1 || got[0].Name != "small.tif" {
				t.Fatalf("files %v, want small.tif", got)
			}
			// The sender stopped on the cancel, failing, rather than wait
			// for its own timeouts.
			var exit *exec.ExitError
			if err := wait(); !errors.As(err, &exit) {
				t.Fatalf("%s: %v, want a failed exit", tt.sender, err)
			}
			checkDir(t, dir, 1)
		})
	}
}
