package device

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// sysRoot is the root under which ListPorts finds sys/class/tty.
const sysRoot = "/"

// serialName matches the tty names of serial hardware: legacy and SoC
// UARTs, USB serial adapters, CDC-ACM devices and Bluetooth serial links.
var serialName = regexp.MustCompile(`^(ttyS|ttyHS|ttyUSB|ttyACM|ttyAMA|rfcomm|ttyO|ttymxc)[0-9]{1,3}$`)

// legacyName matches the ports the kernel creates whether or not a UART is
// behind them.
var legacyName = regexp.MustCompile(`^(ttyS|ttyHS)[0-9]`)

// listPorts reads the serial ports from root/sys/class/tty. A tty without
// a device behind it (a virtual console, a pseudo-terminal) is not a
// serial port; neither is a legacy port whose UART type is unknown (0).
func listPorts(root string) ([]PortInfo, error) {
	class := filepath.Join(root, "sys", "class", "tty")
	entries, err := os.ReadDir(class)
	if err != nil {
		return nil, err
	}
	var ports []PortInfo
	for _, e := range entries {
		name := e.Name()
		if !serialName.MatchString(name) {
			continue
		}
		dev, err := filepath.EvalSymlinks(filepath.Join(class, name, "device"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if legacyName.MatchString(name) && attr(filepath.Join(class, name, "type")) == "0" {
			continue
		}
		p := PortInfo{Path: "/dev/" + name}
		subsystem, _ := filepath.EvalSymlinks(filepath.Join(dev, "subsystem"))
		usb := ""
		switch filepath.Base(subsystem) {
		case "usb-serial": // .../1-1/1-1:1.0/ttyUSB0: the interface, then the device
			usb = filepath.Dir(filepath.Dir(dev))
		case "usb": // .../1-1/1-1:1.0: a CDC-ACM interface
			usb = filepath.Dir(dev)
		}
		if usb != "" {
			if vid := attr(filepath.Join(usb, "idVendor")); vid != "" {
				p.USB = true
				p.VID = strings.ToUpper(vid)
				p.PID = strings.ToUpper(attr(filepath.Join(usb, "idProduct")))
				p.Serial = attr(filepath.Join(usb, "serial"))
				p.Manufacturer = attr(filepath.Join(usb, "manufacturer"))
				p.Product = attr(filepath.Join(usb, "product"))
			}
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// attr reads a one-line sysfs attribute; a missing one reads as empty.
func attr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
