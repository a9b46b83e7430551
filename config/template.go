package config

import (
	"fmt"
	"strings"
)

// Placeholders are the names a subject or body template may use, in braces: {device}, {date}, {time},
// {pages}, {dest}.
var Placeholders = []string{"device", "date", "time", "pages", "dest"}

// CheckTemplate reports unknown or unbalanced placeholders.
func CheckTemplate(t string) error {
	_, err := expand(t, nil)
	return err
}

// Expand fills a template; values maps placeholder names to their text.
func Expand(t string, values map[string]string) (string, error) {
	return expand(t, values)
}

func expand(t string, values map[string]string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			if strings.IndexByte(t, '}') >= 0 {
				return "", fmt.Errorf("unmatched } in template")
			}
			b.WriteString(t)
			return b.String(), nil
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 || strings.IndexByte(t[:i], '}') >= 0 {
			return "", fmt.Errorf("unbalanced braces in template")
		}
		name := t[i+1 : i+j]
		if !known(name) {
			return "", fmt.Errorf("unknown placeholder {%s} (known: {%s})", name, strings.Join(Placeholders, "}, {"))
		}
		b.WriteString(t[:i])
		b.WriteString(values[name])
		t = t[i+j+1:]
	}
}

func known(name string) bool {
	for _, p := range Placeholders {
		if p == name {
			return true
		}
	}
	return false
}
