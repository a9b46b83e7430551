package device_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// Pull one batch of scans from a machine on a serial port into a directory.
func ExampleNewReceiver() {
	port, err := device.OpenSerial(device.SerialConfig{Path: "/dev/ttyUSB0", Baud: 115200})
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()
	recv, err := device.NewReceiver("ymodem", device.Options{
		Timeout:  30 * time.Second,
		Progress: func(p device.Progress) { fmt.Printf("%s: %d of %d bytes\n", p.File, p.Bytes, p.Total) },
	})
	if err != nil {
		log.Fatal(err)
	}
	files, err := recv.Receive(context.Background(), port, device.DirSink("/var/spool/scangate/incoming"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Printf("%s %d bytes %x\n", f.Path, f.Size, f.SHA256)
	}
}

// countSink is a Sink that keeps nothing but the size of each file.
type countSink struct{}

type counted struct {
	name string
	n    int64
}

func (countSink) Create(name string, size int64, mod time.Time) (device.Incoming, error) {
	return &counted{name: device.CleanName(name)}, nil
}

func (c *counted) Write(p []byte) (int, error)  { c.n += int64(len(p)); return len(p), nil }
func (c *counted) Commit() (device.File, error) { return device.File{Name: c.name, Size: c.n}, nil }
func (c *counted) Abort() error                 { return nil }

// A sender and a receiver over an in-memory pipe, into a Sink of one's own.
func ExampleNewSender() {
	machine, gateway := devicetest.Pipe()
	defer machine.Close()
	defer gateway.Close()
	send, _ := device.NewSender("ymodem", device.Options{})
	recv, _ := device.NewReceiver("ymodem", device.Options{})

	go send.Send(context.Background(), machine, []device.SendFile{
		device.BytesFile("scan0001.tif", time.Now(), []byte("II*\x00 a very short scan")),
		device.BytesFile("../notes.txt", time.Now(), []byte("hello")),
	})
	files, err := recv.Receive(context.Background(), gateway, countSink{})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Name, f.Size)
	}
	// Output:
	// scan0001.tif 22
	// notes.txt 5
}
