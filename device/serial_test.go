package device_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/mfpsim"
)

func TestSerialConfigValidate(t *testing.T) {
	ok := device.SerialConfig{Path: "/dev/ttyUSB0", Baud: 115200}
	tests := []struct {
		name string
		edit func(c *device.SerialConfig)
		ok   bool
	}{
		{"defaults", func(c *device.SerialConfig) {}, true},
		{"7E2", func(c *device.SerialConfig) { c.DataBits, c.Parity, c.StopBits = 7, "even", 2 }, true},
		{"odd parity in capitals", func(c *device.SerialConfig) { c.Parity = "ODD" }, true},
		{"no path", func(c *device.SerialConfig) { c.Path = "" }, false},
		{"baud 0", func(c *device.SerialConfig) { c.Baud = 0 }, false},
		{"negative baud", func(c *device.SerialConfig) { c.Baud = -9600 }, false},
		{"mark parity", func(c *device.SerialConfig) { c.Parity = "mark" }, false},
		{"9 data bits", func(c *device.SerialConfig) { c.DataBits = 9 }, false},
		{"4 data bits", func(c *device.SerialConfig) { c.DataBits = 4 }, false},
		{"3 stop bits", func(c *device.SerialConfig) { c.StopBits = 3 }, false},
		{"RTS/CTS", func(c *device.SerialConfig) { c.Flow = "rtscts" }, true},
		{"XON/XOFF in capitals", func(c *device.SerialConfig) { c.Flow = "XONXOFF" }, true},
		{"no flow control", func(c *device.SerialConfig) { c.Flow = "none" }, true},
		{"unknown flow control", func(c *device.SerialConfig) { c.Flow = "hardware" }, false},
		{"negative write timeout", func(c *device.SerialConfig) { c.WriteTimeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate() = %v", err)
			}
			if err != nil && !errors.Is(err, device.ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			if _, oerr := device.OpenSerial(c); err != nil && !errors.Is(oerr, device.ErrInvalidConfig) {
				t.Fatalf("OpenSerial: %v", oerr)
			}
		})
	}
}

func TestOpenSerialMissing(t *testing.T) {
	_, err := device.OpenSerial(device.SerialConfig{Path: filepath.Join(t.TempDir(), "ttyNONE"), Baud: 9600})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

// TestSerialOnPTY opens a pseudo-terminal slave as a serial port, the way
// the gateway opens the simulated machine, and checks that a read timeout
// is an error and that bytes pass unchanged both ways.
func TestSerialOnPTY(t *testing.T) {
	p := openPTY(t)
	s, err := device.OpenSerial(device.SerialConfig{Path: p.Path(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetReadTimeout(20 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if n, err := s.Read(buf); !errors.Is(err, device.ErrTimeout) || n != 0 {
		t.Fatalf("Read on a silent line = %d, %v; want ErrTimeout", n, err)
	}
	sent := allBytes(1)
	if _, err := p.Port().Write(sent); err != nil {
		t.Fatal(err)
	}
	s.SetReadTimeout(time.Second)
	var got []byte
	for len(got) < len(sent) {
		n, err := s.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != string(sent) {
		t.Fatalf("bytes changed on the way: %q", got)
	}
}

// BenchmarkYmodemPTY measures YMODEM throughput over a pseudo-terminal
// without pacing: the machine sends on the master, the gateway receives on
// the slave opened as a serial port.
func BenchmarkYmodemPTY(b *testing.B) {
	p, err := mfpsim.OpenPTY()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	port, err := device.OpenSerial(device.SerialConfig{Path: p.Path(), Baud: 115200})
	if err != nil {
		b.Fatal(err)
	}
	defer port.Close()
	data := pattern(1<<20, 30)
	recv, _ := device.NewReceiver("ymodem", device.Options{})
	send, _ := device.NewSender("ymodem", device.Options{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		dir := b.TempDir()
		sent := make(chan error, 1)
		go func() {
			sent <- send.Send(context.Background(), p.Port(), []device.SendFile{device.BytesFile("scan.tif", time.Time{}, data)})
		}()
		if _, err := recv.Receive(context.Background(), port, device.DirSink(dir)); err != nil {
			b.Fatal(err)
		}
		if err := <-sent; err != nil {
			b.Fatal(err)
		}
	}
}
