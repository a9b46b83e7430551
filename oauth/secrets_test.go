package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// TestSecretsNeverShow: no error, Status or print of the client, a sign-in or the record holds a token or the
// client secret.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var seen []string
	see := func(what string, vs ...any) {
		seen = append(seen, what+": "+fmtAll(vs...))
	}
	fail := func(what string, err error) {
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		see(what, err, errors.Unwrap(err))
		var b strings.Builder
		slog.New(slog.NewTextHandler(&b, nil)).Warn("x", "err", err)
		seen = append(seen, b.String())
	}

	e.p.script([]reply{deviceCode(300)})
	s, err := e.c.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	see("sign-in", s, s.Code)

	e.seed(e.rec(accessTok, refreshTok, e.clk.Now().Add(time.Minute)))
	e.p.script(nil, answer(accessTok+"-2", refreshTok+"-2", 3600))
	tok, err := e.c.Token(t.Context(), false)
	if err != nil || tok.Reveal() != accessTok+"-2" {
		t.Fatalf("Token = %v", err)
	}
	see("token", tok)
	r, _ := e.stored()
	see("client, record, status", e.c, r, e.c.Status())

	for _, rep := range []reply{
		refusal(500, "server_error", ""),
		{drop: true},
		{raw: "access_token=" + accessTok, ctype: "text/html"},
		refusal(401, "invalid_client", "Bad client."),
		refusal(400, "invalid_grant", "Token revoked."),
	} {
		e.p.script(nil, rep)
		_, err := e.c.Token(t.Context(), true)
		fail(fmt.Sprintf("refresh answered %+v", rep.json), err)
	}
	_, err = e.c.Token(t.Context(), false)
	fail("broken store", err)
	see("broken status", e.c.Status())
	r, _ = e.stored()
	see("broken record", r)

	if err := os.Chmod(e.c.Store(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Token(t.Context(), false)
	fail("store readable by others", err)
	see("status of a store readable by others", e.c.Status())
	if err := os.WriteFile(e.c.Store(), []byte(`{"refresh_token":"`+refreshTok), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(e.c.Store(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Token(t.Context(), false)
	fail("damaged store", err)
	see("status of a damaged store", e.c.Status())

	for _, text := range seen {
		if l := leak(text); l != "" {
			t.Errorf("a secret (%s...) shows in: %q", l, text)
		}
	}
}

// TestProviderDescription: the provider's error_description is cut to its first sentence, and control
// characters do not reach a terminal or a log.
func TestProviderDescription(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("More trace text ", 40)
	for _, tt := range []struct {
		desc, want string
	}{
		{"AADSTS7000215: Invalid \x1b[31mclient\x1b[0m secret provided. Trace ID: 0a1b. Correlation ID: 9f. " + long,
			"invalid_client: AADSTS7000215: Invalid  [31mclient [0m secret provided."},
		{"no\nsentence\tend\x07" + long, "invalid_client: no sentence end " + long[:200-len("no sentence end ")] + "..."},
	} {
		e := newEnv(t)
		e.seed(e.rec("", refreshTok, time.Time{}))
		e.p.script(nil, refusal(401, "invalid_client", tt.desc))
		_, err := e.c.Token(t.Context(), false)
		if !errors.Is(err, ErrApp) {
			t.Fatalf("Token = %v, want ErrApp", err)
		}
		msg := err.Error()
		if !strings.HasSuffix(msg, tt.want) {
			t.Errorf("Token = %q, want it to end in %q", msg, tt.want)
		}
		for _, r := range msg {
			if !unicode.IsPrint(r) {
				t.Errorf("Token = %q: holds %U", msg, r)
			}
		}
		if strings.Contains(msg, "Trace ID") || strings.Count(msg, "More trace text") > 13 {
			t.Errorf("Token = %q: more than the first sentence", msg)
		}
	}
}

func TestFirstSentence(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"  One. Two.  ", "One."},
		{"Version 1.2 is old", "Version 1.2 is old"},
		{"a\x00b\u202ec\u200bd", "a b c d"},
		{"\r\n\t", ""},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "..."},
		{strings.Repeat("a", 199) + "é", strings.Repeat("a", 199) + "..."},
	} {
		got := firstSentence(tt.in)
		if got != tt.want {
			t.Errorf("firstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("firstSentence(%q) = %q: not UTF-8", tt.in, got)
		}
	}
}
