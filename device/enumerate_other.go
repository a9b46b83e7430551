//go:build !linux

package device

import "errors"

const sysRoot = "/"

func listPorts(string) ([]PortInfo, error) {
	return nil, errors.New("listing serial ports is supported on Linux only")
}
