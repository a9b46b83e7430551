package smtpauth

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestSanitize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"mx.example.com ESMTP ready", "mx.example.com ESMTP ready"},
		{"\x1b[2J\x1b[Hready", "?[2J?[Hready"},             // clear screen, cursor home
		{"\x1b]0;owned\x07", "?]0;owned?"},                 // terminal title
		{"a\rb\nc\x00d\x7fe", "a?b?c?d?e"},                 // C0 and DEL
		{"\u009b2J", "?2J"},                                // C1 CSI
		{"user \u202eexe.fdp", "user ?exe.fdp"},            // right-to-left override
		{"\u2066x\u2069 \u200b\ufeff\u00ad", "?x? ???"},    // isolates, zero width, BOM, soft hyphen
		{"one\u2028two\u2029", "one?two?"},                 // line and paragraph separators
		{"bad \xff\xfe utf-8 \xe2\x82", "bad ?? utf-8 ??"}, // not UTF-8
		{"Grüße, 日本語, café\tok", "Grüße, 日本語, café ok"},    // printable text stays, a tab is a space
	} {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"250 ok", "\x1b[2J", "\u202e", "\xff", "é\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		for _, r := range out {
			if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) || r == '\uFFFD' {
				t.Fatalf("Sanitize(%q) = %q keeps %U", in, out, r)
			}
		}
		if Sanitize(out) != out {
			t.Fatalf("Sanitize(%q) = %q is not stable", in, out)
		}
	})
}

// The server's text is made safe where people read it (Text, String, the transcript), and kept raw in Lines,
// where protocol code reads it.
func TestReplyTextSanitized(t *testing.T) {
	var trace []string
	rd := NewReader(strings.NewReader("554-5.7.1 \x1b[2J\x1b[31mDENIED\r\n554 5.7.1 see \u202etxt.exe\r\n"))
	rd.SetTrace(func(l string) { trace = append(trace, l) })
	r, err := rd.ReadReply()
	if err != nil {
		t.Fatal(err)
	}
	if want := "554 5.7.1 ?[2J?[31mDENIED see ?txt.exe"; r.String() != want {
		t.Errorf("String() = %q, want %q", r.String(), want)
	}
	if want := "?[2J?[31mDENIED see ?txt.exe"; r.Text() != want {
		t.Errorf("Text() = %q, want %q", r.Text(), want)
	}
	if r.Lines[0] != "\x1b[2J\x1b[31mDENIED" || r.Lines[1] != "see \u202etxt.exe" {
		t.Errorf("Lines = %q, want the raw text", r.Lines)
	}
	if want := "554-5.7.1 ?[2J?[31mDENIED|554 5.7.1 see ?txt.exe"; strings.Join(trace, "|") != want {
		t.Errorf("trace %q, want %q", trace, want)
	}
	e := &Error{Kind: Permanent, Reply: r, Detail: "x\x1by", Err: errors.New("cause \x1b[2J")}
	if strings.ContainsAny(e.Error(), "\x1b\u202e") {
		t.Errorf("Error() = %q", e.Error())
	}
}

// A mechanism's report of the refusal, and the mechanism names the server advertised, are the server's words
// too.
func TestServerWordsInAuthErrors(t *testing.T) {
	c := mustClient(t, "XOAUTH2", "XOAUTH2", Credentials{User: "u", Token: "t"}, verifiedTLS)
	err := run(t, c, "C: AUTH XOAUTH2 "+b64("user=u\x01auth=Bearer t\x01\x01"),
		"S: 334 "+b64(`{"status":"\u001b[2J401\u202e"}`), "C: ", "S: 535 5.7.8 no")
	var ae *Error
	if !errors.As(err, &ae) || ae.Detail != "token refused: ?[2J401?" {
		t.Fatalf("XOAUTH2 refusal: %v (detail %q)", err, ae.Detail)
	}
	_, _, err = Select([]string{"X-\x1b[2JEVIL"}, Credentials{User: "u", Password: "p"}, verifiedTLS, Options{})
	if err == nil || strings.Contains(err.Error(), "\x1b") || !strings.Contains(err.Error(), "X-?[2JEVIL") {
		t.Fatalf("Select = %v", err)
	}
}
