package device_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// errNoRoom is the caller's own error for a full spool.
var errNoRoom = errors.New("spool: no room")

// quotaSink refuses a file announced larger than the room it has left.
type quotaSink struct {
	device.Sink
	room int64
}

func (s *quotaSink) Create(name string, size int64, mod time.Time) (device.Incoming, error) {
	if size > s.room {
		return nil, fmt.Errorf("spool: %s needs %d bytes, %d left: %w", device.CleanName(name), size, s.room, errNoRoom)
	}
	s.room -= max(size, 0)
	return s.Sink.Create(name, size, mod)
}

// A Sink of one's own decides the room: the file that does not fit is
// refused before any of its data is taken, the machine is told to stop
// (and keeps it), and the caller finds its own error in Receive's.
func ExampleSink() {
	dir, _ := os.MkdirTemp("", "spool")
	defer os.RemoveAll(dir)
	machine, gateway := devicetest.Pipe()
	defer machine.Close()
	defer gateway.Close()
	send, _ := device.NewSender("ymodem", device.Options{})
	recv, _ := device.NewReceiver("ymodem", device.Options{})

	sent := make(chan error, 1)
	go func() {
		sent <- send.Send(context.Background(), machine, []device.SendFile{
			device.BytesFile("page1.tif", time.Time{}, make([]byte, 600)),
			device.BytesFile("page2.tif", time.Time{}, make([]byte, 600)),
		})
	}()
	files, err := recv.Receive(context.Background(), gateway, &quotaSink{Sink: device.DirSink(dir), room: 1000})
	for _, f := range files {
		fmt.Println("landed", f.Name)
	}
	fmt.Println("spool full:", errors.Is(err, errNoRoom))
	fmt.Println("machine told to stop:", errors.Is(<-sent, device.ErrCancelled))
	// Output:
	// landed page1.tif
	// spool full: true
	// machine told to stop: true
}
