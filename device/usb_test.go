package device_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

func TestParseUSBID(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"0403:6001", "0403:6001"},
		{"403:6001", "0403:6001"},
		{"1a86:7523:ABC:1", "1A86:7523:ABC:1"},
		{"0403", ""},
		{"0403:6001:", ""},
		{"zz:6001", ""},
		{"0403:60011", ""},
		{"", ""},
	}
	for _, tt := range tests {
		id, err := device.ParseUSBID(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, device.ErrInvalidConfig) {
				t.Errorf("ParseUSBID(%q) = %v, %v; want ErrInvalidConfig", tt.in, id, err)
			}
			continue
		}
		if err != nil || id.String() != tt.want {
			t.Errorf("ParseUSBID(%q) = %v, %v; want %s", tt.in, id, err, tt.want)
		}
	}
	if _, err := device.FindUSB("04030", "6001", ""); !errors.Is(err, device.ErrInvalidConfig) {
		t.Errorf("FindUSB with a bad id: %v", err)
	}
}

// fakeUSB is the system as an USBPort sees it: a list of ports that tests
// change, pipes for the ports, and a virtual clock.
type fakeUSB struct {
	mu     sync.Mutex
	ports  []device.PortInfo
	opened map[string]*devicetest.End // the machine's end of each open port
	now    time.Time
	polls  int
	// onPoll runs at each poll, before the clock moves.
	onPoll func(f *fakeUSB)
}

func (f *fakeUSB) list() ([]device.PortInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]device.PortInfo(nil), f.ports...), nil
}

func (f *fakeUSB) set(ports ...device.PortInfo) {
	f.mu.Lock()
	f.ports = ports
	f.mu.Unlock()
}

func (f *fakeUSB) open(c device.SerialConfig) (device.Port, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.ports {
		if p.Path == c.Path {
			gw, machine := devicetest.Pipe()
			f.opened[c.Path] = machine
			return gw, nil
		}
	}
	return nil, fs.ErrNotExist
}

func (f *fakeUSB) config(id string) device.USBConfig {
	uid, _ := device.ParseUSBID(id)
	return device.USBConfig{
		ID: uid, Line: device.SerialConfig{Baud: 115200}, Poll: time.Second,
		List: f.list, Open: f.open,
		Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.polls++
			if f.onPoll != nil {
				f.onPoll(f)
			}
			f.mu.Lock()
			f.now = f.now.Add(d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
}

var (
	ftdiA  = device.PortInfo{Path: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Serial: "A1", Product: "FT232R"}
	ftdiB  = device.PortInfo{Path: "/dev/ttyUSB1", USB: true, VID: "0403", PID: "6001", Serial: "B2", Product: "FT232R"}
	legacy = device.PortInfo{Path: "/dev/ttyS0"}
)

func TestOpenUSBFinds(t *testing.T) {
	tests := []struct {
		id, path string
		want     error
	}{
		{"0403:6001:B2", "/dev/ttyUSB1", nil},
		{"403:6001:A1", "/dev/ttyUSB0", nil},
		{"0403:6001", "", device.ErrInvalidConfig}, // two of them
		{"0403:6001:C3", "", fs.ErrNotExist},
		{"067b:2303", "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		f := &fakeUSB{ports: []device.PortInfo{legacy, ftdiA, ftdiB}, opened: map[string]*devicetest.End{}}
		p, err := device.OpenUSB(f.config(tt.id))
		if tt.want != nil {
			if !errors.Is(err, tt.want) {
				t.Errorf("%s: %v, want %v", tt.id, err, tt.want)
			}
			continue
		}
		if err != nil || p.Path() != tt.path {
			t.Errorf("%s: %v, %v; want %s", tt.id, p, err, tt.path)
			continue
		}
		p.Close()
	}
}

// TestUSBUnplugAndReplug pulls the device while its port is in use: reads
// and writes say ErrUnplugged, and Reopen finds the device again under its
// new name.
func TestUSBUnplugAndReplug(t *testing.T) {
	f := &fakeUSB{ports: []device.PortInfo{ftdiA}, opened: map[string]*devicetest.End{}, now: time.Unix(0, 0)}
	p, err := device.OpenUSB(f.config("0403:6001"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetReadTimeout(time.Second)
	buf := make([]byte, 8)

	f.opened["/dev/ttyUSB0"].Write([]byte("hi"))
	if n, err := p.Read(buf); err != nil || string(buf[:n]) != "hi" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	// A read error while the device is still listed is just an error.
	f.opened["/dev/ttyUSB0"].Close()
	if _, err := p.Read(buf); err == nil || errors.Is(err, device.ErrUnplugged) {
		t.Fatalf("read from a closed peer of a listed device: %v", err)
	}
	// Pulled out: no longer listed.
	f.set(legacy)
	for _, op := range []func() error{
		func() error { _, err := p.Read(buf); return err },
		func() error { _, err := p.Write([]byte("x")); return err },
	} {
		if err := op(); !errors.Is(err, device.ErrUnplugged) || !strings.Contains(err.Error(), "/dev/ttyUSB0") {
			t.Fatalf("after unplug: %v, want ErrUnplugged", err)
		}
	}
	// It comes back as ttyUSB1 at the third look.
	f.onPoll = func(f *fakeUSB) {
		if f.polls == 3 {
			back := ftdiA
			back.Path = "/dev/ttyUSB1"
			f.set(legacy, back)
		}
	}
	if err := p.Reopen(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if p.Path() != "/dev/ttyUSB1" || f.polls != 3 {
		t.Fatalf("reopened %s after %d polls", p.Path(), f.polls)
	}
	f.opened["/dev/ttyUSB1"].Write([]byte("again"))
	if n, err := p.Read(buf); err != nil || string(buf[:n]) != "again" {
		t.Fatalf("read after replug %q, %v", buf[:n], err)
	}
}

func TestUSBReopenGivesUp(t *testing.T) {
	f := &fakeUSB{ports: []device.PortInfo{ftdiA}, opened: map[string]*devicetest.End{}, now: time.Unix(0, 0)}
	p, err := device.OpenUSB(f.config("0403:6001"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f.set()
	err = p.Reopen(context.Background(), 5*time.Second)
	if !errors.Is(err, device.ErrUnplugged) {
		t.Fatalf("err %v, want ErrUnplugged", err)
	}
	if waited := f.now.Sub(time.Unix(0, 0)); waited != 5*time.Second || f.polls != 5 {
		t.Errorf("gave up after %v and %d polls", waited, f.polls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Reopen(ctx, 5*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Reopen: %v", err)
	}
}
