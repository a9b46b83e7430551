package device

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PortInfo describes a serial port of the system.
type PortInfo struct {
	Path string // device path, for example /dev/ttyUSB0
	// USB reports a USB serial adapter or a USB CDC-ACM device; the fields
	// below are empty otherwise.
	USB          bool
	VID, PID     string // vendor and product id, four upper-case hex digits
	Serial       string // the device's serial number, often empty
	Manufacturer string
	Product      string
}

// PortLister lists the serial ports of the system. ListPorts is the real
// one; tests pass a fake.
type PortLister func() ([]PortInfo, error)

// ListPorts lists the serial ports of the system, sorted by path, with the
// USB details of USB serial adapters and CDC-ACM devices. On Linux it reads
// them from sysfs and opens no port: opening a legacy port (ttyS*) to see
// whether hardware is behind it would reset its line settings, a serial
// console's included.
func ListPorts() ([]PortInfo, error) {
	ports, err := listPorts(sysRoot)
	if err != nil {
		return nil, fmt.Errorf("device: list serial ports: %w", err)
	}
	slices.SortFunc(ports, func(a, b PortInfo) int { return strings.Compare(a.Path, b.Path) })
	return ports, nil
}

// USBID names a USB serial device by vendor and product id and, when
// several devices of the same kind are plugged in, by serial number.
type USBID struct {
	VID, PID string // hex, for example "0403" and "6001"
	Serial   string // empty matches any serial number
}

// ParseUSBID reads "VID:PID" or "VID:PID:SERIAL", with the ids in hex
// ("0403:6001", "0403:6001:A10KZP4Q"). The error wraps ErrInvalidConfig.
func ParseUSBID(s string) (USBID, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return USBID{}, invalidConfig("USB device %q is not VID:PID or VID:PID:SERIAL", s)
	}
	id := USBID{VID: parts[0], PID: parts[1]}
	if len(parts) == 3 {
		if parts[2] == "" {
			return USBID{}, invalidConfig("USB device %q: empty serial number", s)
		}
		id.Serial = parts[2]
	}
	return id.normal()
}

// normal checks the ids and writes them as four upper-case hex digits.
func (id USBID) normal() (USBID, error) {
	for _, f := range []*string{&id.VID, &id.PID} {
		v, err := strconv.ParseUint(*f, 16, 16)
		if err != nil || len(*f) > 4 {
			return USBID{}, invalidConfig("USB id %q is not 1 to 4 hex digits", *f)
		}
		*f = fmt.Sprintf("%04X", v)
	}
	return id, nil
}

// String returns the form ParseUSBID reads.
func (id USBID) String() string {
	s := id.VID + ":" + id.PID
	if id.Serial != "" {
		s += ":" + id.Serial
	}
	return s
}

func (id USBID) matches(p PortInfo) bool {
	return p.USB && strings.EqualFold(p.VID, id.VID) && strings.EqualFold(p.PID, id.PID) &&
		(id.Serial == "" || p.Serial == id.Serial)
}

// FindUSB returns the path of the serial port of the USB device with the
// given vendor and product id (hex) and, unless serial is empty, serial
// number. No such device is an error wrapping fs.ErrNotExist; several are
// an error wrapping ErrInvalidConfig that lists them.
func FindUSB(vid, pid, serial string) (string, error) {
	id, err := USBID{VID: vid, PID: pid, Serial: serial}.normal()
	if err != nil {
		return "", err
	}
	return id.find(ListPorts)
}

func (id USBID) find(list PortLister) (string, error) {
	ports, err := list()
	if err != nil {
		return "", err
	}
	var found []string
	for _, p := range ports {
		if id.matches(p) {
			found = append(found, p.Path)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("device: USB serial port %s: %w", id, ErrNoPort)
	case 1:
		return found[0], nil
	}
	return "", invalidConfig("%d serial ports match USB device %s (%s); give its serial number as VID:PID:SERIAL",
		len(found), id, strings.Join(found, ", "))
}
