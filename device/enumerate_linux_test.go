package device

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeSysfs builds the parts of a sysfs tree that listPorts reads: links
// are "path -> target", files "path=contents", both relative to root.
func fakeSysfs(t *testing.T, links, files []string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		path, contents, _ := strings.Cut(f, "=")
		mustWrite(t, filepath.Join(root, path), contents+"\n")
	}
	for _, l := range links {
		path, target, _ := strings.Cut(l, " -> ")
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(root, target), full); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func mustWrite(t *testing.T, path, contents string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(contents), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestListPortsSysfs(t *testing.T) {
	const ftdi = "sys/devices/pci0/usb1/1-1"
	const acm = "sys/devices/pci0/usb1/1-2"
	root := fakeSysfs(t, []string{
		"sys/class/tty/ttyUSB0/device -> " + ftdi + "/1-1:1.0/ttyUSB0",
		ftdi + "/1-1:1.0/ttyUSB0/subsystem -> sys/bus/usb-serial",
		"sys/class/tty/ttyACM0/device -> " + acm + "/1-2:1.0",
		acm + "/1-2:1.0/subsystem -> sys/bus/usb",
		"sys/class/tty/ttyS0/device -> sys/devices/pnp0/00:00",
		"sys/class/tty/ttyS1/device -> sys/devices/platform/serial8250",
		"sys/class/tty/ttyAMA0/device -> sys/devices/platform/soc/fe201000.serial",
	}, []string{
		ftdi + "/idVendor=0403", ftdi + "/idProduct=6001", ftdi + "/serial=A10KZP4Q",
		ftdi + "/manufacturer=FTDI", ftdi + "/product=FT232R USB UART",
		acm + "/idVendor=2341", acm + "/idProduct=006a",
		"sys/class/tty/ttyS0/type=4",
		"sys/class/tty/ttyS1/type=0",       // no UART behind it
		"sys/class/tty/ttyUSB9/dev=188:9",  // no device: gone
		"sys/class/tty/tty0/dev=4:0",       // a virtual console
		"sys/class/tty/ttyACM0x/dev=166:0", // not a serial port name
		"sys/class/tty/ttyAMA0/type=0",     // not a legacy port: its type does not matter
	})
	got, err := listPorts(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []PortInfo{
		{Path: "/dev/ttyACM0", USB: true, VID: "2341", PID: "006A"},
		{Path: "/dev/ttyAMA0"},
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Serial: "A10KZP4Q", Manufacturer: "FTDI", Product: "FT232R USB UART"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listPorts:\n got %+v\nwant %+v", got, want)
	}
	if _, err := listPorts(t.TempDir()); err == nil {
		t.Error("a tree without sys/class/tty listed")
	}
}
