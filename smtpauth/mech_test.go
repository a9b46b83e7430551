package smtpauth

import (
	"encoding/base64"
	"errors"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSelect(t *testing.T) {
	cred := Credentials{User: "user", Password: "pass"}
	tests := []struct {
		name       string
		advertised []string
		prefer     []string
		want       string // "" means no usable mechanism
	}{
		{"REQ-18/PLAIN before LOGIN", []string{"LOGIN", "PLAIN"}, nil, "PLAIN"},
		{"REQ-13/LOGIN only (Exchange)", []string{"LOGIN"}, nil, "LOGIN"},
		{"REQ-12/case-insensitive names", []string{"plain", "login"}, nil, "PLAIN"},
		{"REQ-13/no prefix matches", []string{"PLAIN-CLIENTTOKEN", "XOAUTH"}, nil, ""},
		{"nothing advertised", nil, nil, ""},
		{"configured preference", []string{"PLAIN", "LOGIN"}, []string{"login"}, "LOGIN"},
		{"configured mechanism we don't speak", []string{"GSSAPI"}, []string{"GSSAPI"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, c, err := Select(tt.advertised, tt.prefer, cred)
			if tt.want == "" {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("Select = %v, want unsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mech, _, _ := c.Start(); mech != tt.want || name != tt.want {
				t.Errorf("mechanism %s (named %s), want %s", mech, name, tt.want)
			}
		})
	}
}

// P-2: credentials with NUL bytes are refused locally.
func TestSelectBadCredentials(t *testing.T) {
	for _, c := range []Credentials{{"", "p"}, {"u", ""}, {"u\x00x", "p"}, {"u", "p\x00"}} {
		if _, _, err := Select([]string{"PLAIN"}, nil, c); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Select(%q) = %v", c.User, err)
		}
	}
}
