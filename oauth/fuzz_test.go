package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
)

var errNoNetwork = errors.New("fuzz: no network")

// FuzzStore puts arbitrary bytes in the store file. Token and Status never panic; Token returns only the
// access token the file holds, for these settings, unbroken and with RefreshMargin left (the network is down,
// so nothing else can come); a store that does not parse is reported as damaged without quoting it.
func FuzzStore(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const tokenURL = "http://127.0.0.1:1/token"
	good := func(edit func(r *record)) []byte {
		r := &record{Provider: Custom, ClientID: clientID, TokenURL: tokenURL, User: user, SignedIn: now.Add(-time.Hour),
			Refreshed: now.Add(-time.Hour), RefreshToken: refreshTok, AccessToken: accessTok, Expiry: now.Add(time.Hour)}
		if edit != nil {
			edit(r)
		}
		b, _ := json.Marshal(r)
		return b
	}
	f.Add(good(nil))
	f.Add(good(func(r *record) { r.Expiry = now }))
	f.Add(good(func(r *record) { r.Broken = "invalid_grant: revoked." }))
	f.Add(good(func(r *record) { r.ClientID = "other" }))
	f.Add(good(func(r *record) { r.RefreshToken = "" }))
	f.Add([]byte(`{"provider":"custom","refresh_token":"` + refreshTok))
	f.Add([]byte(`{"provider":"custom","client_id":"` + clientID + `","token_url":"` + tokenURL + `","user":"` + user + `"}`))
	f.Add([]byte("null"))
	f.Add([]byte(""))
	f.Add([]byte(`{"expiry":"not a time"}`))
	f.Add([]byte(`{"access_token":1}`))
	f.Add([]byte("\x00\xff garbage"))

	hc := &http.Client{Transport: roundTrip(func(*http.Request) (*http.Response, error) { return nil, errNoNetwork })}
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		c := config.Default()
		c.Account.User = user
		c.Spool.Dir = dir
		c.OAuth = &config.OAuth{Provider: Custom, ClientID: clientID, DeviceAuthURL: "http://127.0.0.1:1/device",
			TokenURL: tokenURL, Scopes: []string{"s"}}
		cl, err := New(c, Options{HTTPClient: hc, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		store := filepath.Join(dir, StoreName)
		if err := os.WriteFile(store, content, 0o600); err != nil {
			t.Fatal(err)
		}
		var r record
		parsed := json.NewDecoder(strings.NewReader(string(content))).Decode(&r) == nil

		st := cl.Status()
		tok, err := cl.Token(t.Context(), false)
		refreshed, kerr := cl.KeepFresh(t.Context())

		if !parsed {
			want := "oauth: token store " + store + " is damaged; sign in again"
			if err == nil || err.Error() != want || st.Err == nil || st.Err.Error() != want || st.SignedIn || refreshed || kerr != nil {
				t.Fatalf("store %q: Token = %v, Status %+v, KeepFresh %v %v; want only %q", content, err, st, refreshed, kerr, want)
			}
			return
		}
		if st.Err != nil {
			t.Fatalf("store %q parses, but Status.Err = %v", content, st.Err)
		}
		mine := r.RefreshToken != "" && r.Provider == Custom && r.ClientID == clientID && r.TokenURL == tokenURL && strings.EqualFold(r.User, user)
		if st.SignedIn != mine || mine && st.Broken != r.Broken {
			t.Fatalf("store %q: Status = %+v", content, st)
		}
		if err == nil {
			if !mine || r.Broken != "" || tok.Reveal() == "" || tok.Reveal() != r.AccessToken || r.Expiry.Sub(now) <= RefreshMargin {
				t.Fatalf("store %q: Token returned %q", content, tok.Reveal())
			}
			return
		}
		switch {
		case !mine:
			if !errors.Is(err, ErrNotSignedIn) {
				t.Fatalf("store %q for other settings: Token = %v, want ErrNotSignedIn", content, err)
			}
		case r.Broken != "":
			if !errors.Is(err, ErrSignInAgain) {
				t.Fatalf("broken store %q: Token = %v, want ErrSignInAgain", content, err)
			}
		default:
			// A refresh was due, and the network is down.
			if !IsTemporary(err) || !strings.Contains(err.Error(), errNoNetwork.Error()) {
				t.Fatalf("store %q: Token = %v, want the network's failure", content, err)
			}
			if len(r.RefreshToken) >= 4 && strings.Contains(err.Error(), r.RefreshToken) && !strings.Contains(tokenURL+errNoNetwork.Error(), r.RefreshToken) {
				t.Fatalf("store %q: Token = %q shows the refresh token", content, err)
			}
		}
		if after, rerr := os.ReadFile(store); rerr != nil || string(after) != string(content) {
			t.Fatalf("store %q changed to %q (%v) without a provider", content, after, rerr)
		}
	})
}
