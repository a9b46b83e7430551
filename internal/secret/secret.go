package config

import (
	"fmt"
	"log/slog"
)

// Secret is a password or token. Printing it, formatting it or logging it shows "[redacted]"; Reveal gives the
// value to the code that must send it.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", so that %#v does not leak either.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" whatever the verb.
func (s Secret) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }

// LogValue keeps the value out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
