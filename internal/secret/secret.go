// Package secret holds passwords and tokens so that they never show by accident: every way of printing,
// formatting, logging or marshalling a Secret to JSON gives "[redacted]", and only Reveal gives the value, to
// the code that must send or store it.
package secret

import (
	"fmt"
	"log/slog"
)

// Secret is a password or a token.
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

// MarshalJSON keeps the value out of JSON (status pages, debug dumps). A file that must hold the secret writes
// Reveal's value itself.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
