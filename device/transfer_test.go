package device

import (
	"errors"
	"strings"
	"testing"
)

// CheckLink is the one place that knows the protocols and which of them run under XON/XOFF.
func TestCheckLink(t *testing.T) {
	for _, p := range Protocols() {
		for _, f := range Flows() {
			err := CheckLink(p, f)
			if want := f == FlowXONXOFF && p != "zmodem"; (err != nil) != want || want && !errors.Is(err, ErrFlowProtocol) {
				t.Errorf("CheckLink(%q, %q) = %v", p, f, err)
			}
		}
	}
	if err := CheckLink("zmodme", FlowNone); !errors.Is(err, ErrUnknownProtocol) || !strings.Contains(err.Error(), "xmodem-1k") {
		t.Errorf("unknown protocol: %v", err)
	}
	if err := CheckLink("zmodem", "hardware"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("unknown flow: %v", err)
	}
}
