package panel_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/scangate/gateway/panel"
)

func TestParseKeys(t *testing.T) {
	tests := []struct {
		in      string
		want    []panel.Key
		wantErr string
	}{
		{in: "send", want: []panel.Key{panel.KeySend}},
		{in: "down,ok,send", want: []panel.Key{panel.KeyDown, panel.KeyOK, panel.KeySend}},
		{in: " Up , LEFT,right ,Back,STOP ", want: []panel.Key{panel.KeyUp, panel.KeyLeft, panel.KeyRight, panel.KeyBack, panel.KeyStop}},
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "down,,ok", wantErr: `panel: key 2 of "down,,ok": unknown key "" (valid: up, down, left, right, ok, back, send, stop)`},
		{in: "send,enter", wantErr: `panel: key 2 of "send,enter": unknown key "enter" (valid: up, down, left, right, ok, back, send, stop)`},
		{in: "down ok", wantErr: `unknown key "down ok"`},
	}
	for _, tt := range tests {
		got, err := panel.ParseKeys(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, panel.ErrUnknownKey) {
				t.Errorf("ParseKeys(%q) err = %v, want %q wrapping ErrUnknownKey", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseKeys(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestKeyNames(t *testing.T) {
	for k := panel.KeyUp; k <= panel.KeyStop; k++ {
		got, err := panel.ParseKey(strings.ToUpper(k.String()))
		if err != nil || got != k {
			t.Errorf("ParseKey(%q) = %v, %v", k, got, err)
		}
	}
	if got := panel.Key(42).String(); got != "key(42)" {
		t.Errorf("Key(42).String() = %q", got)
	}
	if _, err := panel.ParseKey("home"); err == nil || !strings.HasPrefix(err.Error(), "panel: unknown key") {
		t.Errorf("ParseKey(home) err = %v", err)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{panel.StageReceiving.String(), "receiving"},
		{panel.StageQueued.String(), "queued"},
		{panel.StageConverting.String(), "converting"},
		{panel.StageSending.String(), "sending"},
		{panel.Stage(7).String(), "stage(7)"},
		{panel.RequestNone.String(), "none"},
		{panel.RequestSend.String(), "send"},
		{panel.RequestStop.String(), "stop"},
		{panel.RequestSaveSettings.String(), "save-settings"},
		{panel.RequestTestAccount.String(), "test-account"},
		{panel.RequestRetryJob.String(), "retry-job"},
		{panel.RequestDeleteJob.String(), "delete-job"},
		{panel.RequestJournal.String(), "journal"},
		{panel.RequestNetwork.String(), "network"},
		{panel.RequestSignIn.String(), "sign-in"},
		{panel.RequestCancelSignIn.String(), "cancel-sign-in"},
		{panel.RequestKind(42).String(), "request(42)"},
		{panel.RequestKind(-1).String(), "request(-1)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// FuzzParseKeys checks that any input parses or fails cleanly, and that what
// parses prints back to an equal list.
func FuzzParseKeys(f *testing.F) {
	for _, s := range []string{"send", "down,ok,send", " Up ,STOP", "", ",", "sénd", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := panel.ParseKeys(s)
		if err != nil {
			if !errors.Is(err, panel.ErrUnknownKey) {
				t.Fatalf("error %v does not wrap ErrUnknownKey", err)
			}
			return
		}
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.String()
		}
		again, err := panel.ParseKeys(strings.Join(names, ","))
		if err != nil || !slices.Equal(again, keys) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
