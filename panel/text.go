package panel

import (
	"fmt"
	"math/bits"
	"strings"
	"time"
)

// asciiFolds maps common non-ASCII characters to ASCII look-alikes, since a
// character LCD shows ASCII reliably and little else.
var asciiFolds = func() map[rune]string {
	groups := []struct{ from, to string }{
		{"ÀÁÂÃÄÅĀĂĄ", "A"}, {"àáâãäåāăą", "a"}, {"ÇĆČ", "C"}, {"çćč", "c"},
		{"ĎĐÐ", "D"}, {"ďđð", "d"}, {"ÈÉÊËĒĘĚ", "E"}, {"èéêëēęě", "e"},
		{"ĞĢ", "G"}, {"ğģ", "g"}, {"ÌÍÎÏĪİ", "I"}, {"ìíîïīı", "i"},
		{"ĹĻĽŁ", "L"}, {"ĺļľł", "l"}, {"ÑŃŅŇ", "N"}, {"ñńņň", "n"},
		{"ÒÓÔÕÖØŌŐ", "O"}, {"òóôõöøōő", "o"}, {"ŔŘ", "R"}, {"ŕř", "r"},
		{"ŚŞŠ", "S"}, {"śşš", "s"}, {"ŢŤ", "T"}, {"ţť", "t"},
		{"ÙÚÛÜŪŮŰŲ", "U"}, {"ùúûüūůűų", "u"}, {"ÝŸ", "Y"}, {"ýÿ", "y"},
		{"ŹŻŽ", "Z"}, {"źżž", "z"}, {"ß", "ss"}, {"Æ", "AE"}, {"æ", "ae"},
		{"Œ", "OE"}, {"œ", "oe"}, {"Þ", "Th"}, {"þ", "th"},
		{"‘’‚′", "'"}, {"“”„″", "\""}, {"‐‑‒–—−", "-"}, {"…", "..."},
		{"«", "<<"}, {"»", ">>"}, {"€", "EUR"}, {"\u00a0", " "},
	}
	m := make(map[rune]string)
	for _, g := range groups {
		for _, r := range g.from {
			m[r] = g.to
		}
	}
	return m
}()

// toASCII returns s in printable ASCII: look-alikes for common accented
// letters and punctuation, a space for control characters, '?' for the rest.
func toASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		case asciiFolds[r] != "":
			b.WriteString(asciiFolds[r])
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// fit pads or cuts the ASCII string s to exactly w bytes.
func fit(s string, w int) string {
	if len(s) >= w {
		return s[:w]
	}
	return s + strings.Repeat(" ", w-len(s))
}

// scrollHold is how many ticks a scrolling line rests at each end.
const scrollHold = 2

// scrollOffset returns where a line of n characters starts on a w-column row
// after tick ticks: it rests at the start, moves one character per tick until
// its end is visible, rests again and starts over.
func scrollOffset(n, w, tick int) int {
	travel := n - w
	if travel <= 0 || tick < 0 {
		return 0
	}
	t := tick % (scrollHold + travel + scrollHold)
	return min(max(t-scrollHold, 0), travel)
}

// plausibleYear is the first year the clock is believed: a board without a
// real-time clock starts in 1970 until the network sets the time.
const plausibleYear = 2024

// clock returns the time of day as HH:MM, or "--:--" while the clock is not
// plausible.
func clock(t time.Time) string {
	if t.Year() < plausibleYear {
		return "--:--"
	}
	return t.Format("15:04")
}

// percent returns done as a whole percentage of total (total > 0), in 0..100.
func percent(done, total int64) int {
	switch {
	case done <= 0:
		return 0
	case done >= total:
		return 100
	}
	hi, lo := bits.Mul64(uint64(done), 100)
	q, _ := bits.Div64(hi, lo, uint64(total)) // hi < total since done < total
	return int(q)
}

// size returns n bytes in at most six characters: "999 B", "999 KB",
// "9.9 MB", "999 MB", "9.9 GB"...
func size(n int64) string {
	if n < 1000 {
		return fmt.Sprintf("%d B", max(n, 0))
	}
	if kb := (n + 512) / 1024; kb < 1000 {
		return fmt.Sprintf("%d KB", kb)
	}
	v := float64(n) / (1024 * 1024)
	for _, unit := range []string{"MB", "GB", "TB"} {
		switch {
		case v < 9.95:
			return fmt.Sprintf("%.1f %s", v, unit)
		case v < 999.5:
			return fmt.Sprintf("%.0f %s", v, unit)
		}
		v /= 1024
	}
	return "lots"
}
