package smtpauth

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize makes text that came from a server safe to show: on a terminal, in a log or journal, on the front
// panel. A server's reply text can carry escape sequences that clear a screen or retitle a terminal window, and
// bidirectional overrides (U+202E) that make a line read differently from what it says. Sanitize replaces each
// such character with '?': the C0 controls, DEL and the C1 controls (Unicode category Cc), the format
// characters (category Cf: bidirectional marks and overrides, zero-width characters, the byte order mark), the
// line and paragraph separators U+2028 and U+2029, and every byte that is not valid UTF-8 (a literal U+FFFD
// too). A tab becomes a space. Printable text, letters of any script included, is kept as it is.
//
// Sanitize is for what people read. Protocol code works on the raw text (Reply.Lines), where a SASL challenge,
// say, must arrive byte for byte.
func Sanitize(s string) string {
	i := 0
	for i < len(s) && s[i] >= ' ' && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s // printable ASCII, the common case: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case unsafeRune(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports a rune that Sanitize replaces. Ranging over a string yields utf8.RuneError for each byte
// that is not valid UTF-8.
func unsafeRune(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
