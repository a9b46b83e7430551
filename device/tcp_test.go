package device_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
)

// TestDialTCP pulls a batch from a YMODEM sender behind a TCP listener on
// the loopback interface, as from a network serial server.
func TestDialTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := pattern(50*1024+3, 45)
	sent := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			sent <- err
			return
		}
		defer c.Close()
		send, _ := device.NewSender("ymodem", device.Options{})
		sent <- send.Send(context.Background(), device.DeadlinePort(c), []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	port, err := device.DialTCP(ctx, ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	recv, _ := device.NewReceiver("ymodem", device.Options{})
	res := result{dir: t.TempDir()}
	res.files, res.recvErr = recv.Receive(ctx, port, device.DirSink(res.dir))
	if res.recvErr != nil {
		t.Fatal(res.recvErr)
	}
	if err := <-sent; err != nil {
		t.Fatalf("send: %v", err)
	}
	checkFiles(t, res, map[string][]byte{"scan.tif": data})
}

func TestDialTCPErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	if _, err := device.DialTCP(context.Background(), addr, time.Second); err == nil || errors.Is(err, device.ErrTimeout) {
		t.Errorf("refused connection: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := device.DialTCP(ctx, addr, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled dial: %v", err)
	}
	if _, err := device.DialTCP(context.Background(), "no-port", time.Second); err == nil {
		t.Error("address without a port accepted")
	}
}

func TestTCPReadTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // stays silent until the client closes
		}
	}()
	port, err := device.DialTCP(context.Background(), ln.Addr().String(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	port.SetReadTimeout(10 * time.Millisecond)
	if _, err := port.Read(make([]byte, 1)); !errors.Is(err, device.ErrTimeout) {
		t.Fatalf("read from a silent server: %v, want ErrTimeout", err)
	}
}
