package device_test

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scangate/gateway/device"
)

// termios reads the terminal settings of the device at path.
func termios(t *testing.T, path string) *unix.Termios {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio
}

// TestSerialFlowSettings opens a pseudo-terminal with each flow control
// and reads the terminal settings back.
func TestSerialFlowSettings(t *testing.T) {
	p := openPTY(t)
	for _, tt := range []struct {
		flow           string
		rtscts, xonoff bool
	}{
		{"rtscts", true, false},
		{"xonxoff", false, true},
		{"none", false, false},
		{"", false, false},
	} {
		s, err := device.OpenSerial(device.SerialConfig{Path: p.Path(), Baud: 115200, Flow: tt.flow})
		if err != nil {
			t.Fatalf("%q: %v", tt.flow, err)
		}
		tio := termios(t, p.Path())
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		rtscts := tio.Cflag&unix.CRTSCTS != 0
		xonoff := tio.Iflag&(unix.IXON|unix.IXOFF) == unix.IXON|unix.IXOFF
		if rtscts != tt.rtscts || xonoff != tt.xonoff || tio.Iflag&unix.IXANY != 0 {
			t.Errorf("flow %q: CRTSCTS %v, IXON|IXOFF %v, iflag %#x", tt.flow, rtscts, xonoff, tio.Iflag)
		}
		if xonoff && (tio.Cc[unix.VSTART] != 0x11 || tio.Cc[unix.VSTOP] != 0x13) {
			t.Errorf("flow %q: start/stop characters %#x/%#x", tt.flow, tio.Cc[unix.VSTART], tio.Cc[unix.VSTOP])
		}
	}
}

// TestSerialXOFFHoldsWrites stops the gateway's output with XOFF: a write
// then fails with ErrTimeout instead of blocking, and XON lets writes
// through again. With XON/XOFF on, the two bytes never reach the reader.
func TestSerialXOFFHoldsWrites(t *testing.T) {
	p := openPTY(t)
	s, err := device.OpenSerial(device.SerialConfig{Path: p.Path(), Baud: 115200, Flow: "xonxoff", WriteTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	machine := p.Port()
	machine.SetReadTimeout(time.Second)
	buf := make([]byte, 64)
	if _, err := machine.Write([]byte{0x13}); err != nil {
		t.Fatal(err)
	}
	// The terminal takes the XOFF in a moment: until then a byte gets
	// through, and the machine reads it.
	for tries := 0; ; tries++ {
		_, err := s.Write([]byte{'x'})
		if errors.Is(err, device.ErrTimeout) {
			break
		}
		if err != nil || tries == 100 {
			t.Fatalf("write while stopped: %v after %d tries", err, tries)
		}
		if _, err := machine.Read(buf); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := machine.Write([]byte{0x11, 'y'}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte{'z'}); err != nil {
		t.Fatalf("write after XON: %v", err)
	}
	if n, err := machine.Read(buf); err != nil || string(buf[:n]) != "z" {
		t.Fatalf("machine read %q, %v; want z", buf[:n], err)
	}
	s.SetReadTimeout(time.Second)
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "y" {
		t.Fatalf("gateway read %q, %v; want y alone", buf[:n], err)
	}
}
