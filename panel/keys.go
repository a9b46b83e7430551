package panel

import (
	"errors"
	"fmt"
	"strings"
)

// Key is one key of the front panel.
type Key int

// The keys of the front panel.
const (
	KeyUp Key = iota
	KeyDown
	KeyLeft
	KeyRight
	KeyOK
	KeyBack
	KeySend
	KeyStop
	numKeys
)

var keyNames = [numKeys]string{"up", "down", "left", "right", "ok", "back", "send", "stop"}

// String returns the key's name as ParseKeys accepts it: "up", "down", "left",
// "right", "ok", "back", "send" or "stop".
func (k Key) String() string {
	if k < 0 || k >= numKeys {
		return fmt.Sprintf("key(%d)", int(k))
	}
	return keyNames[k]
}

// ErrUnknownKey is wrapped by the errors of ParseKey and ParseKeys for a name
// that is not a key.
var ErrUnknownKey = errors.New("unknown key")

// ParseKey returns the key named s, ignoring case and surrounding spaces.
func ParseKey(s string) (Key, error) {
	k, err := parseKey(s)
	if err != nil {
		return 0, fmt.Errorf("panel: %w", err)
	}
	return k, nil
}

func parseKey(s string) (Key, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for k, n := range keyNames {
		if n == name {
			return Key(k), nil
		}
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownKey, name, strings.Join(keyNames[:], ", "))
}

// ParseKeys parses a comma-separated list of key names such as
// "down,ok,send". Names are case-insensitive and spaces around them are
// ignored. An empty or all-space string is no keys; an empty name between
// commas or an unknown name is an error.
func ParseKeys(s string) ([]Key, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var keys []Key
	for i, name := range strings.Split(s, ",") {
		k, err := parseKey(name)
		if err != nil {
			return nil, fmt.Errorf("panel: key %d of %q: %w", i+1, s, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
