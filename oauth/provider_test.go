package oauth

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scangate/gateway/config"
)

// check runs Check on the [oauth] section o and returns the keys it reports, with their messages.
func check(o *config.OAuth) (keys []string, msgs []string) {
	c := config.Default()
	c.OAuth = o
	Check(c, func(key, format string, args ...any) {
		keys = append(keys, key)
		msgs = append(msgs, key+": "+fmt.Sprintf(format, args...))
	})
	return keys, msgs
}

func TestCheck(t *testing.T) {
	t.Parallel()
	custom := func(edit func(o *config.OAuth)) *config.OAuth {
		o := &config.OAuth{Provider: Custom, ClientID: "app", DeviceAuthURL: "https://idp.example.com/device",
			TokenURL: "https://idp.example.com/token", Scopes: []string{"smtp", "offline_access"}}
		if edit != nil {
			edit(o)
		}
		return o
	}
	for _, tt := range []struct {
		name  string
		o     *config.OAuth
		keys  []string
		words string
	}{
		{"no section", nil, nil, ""},
		{"microsoft", &config.OAuth{Provider: Microsoft, ClientID: "app"}, nil, ""},
		{"microsoft tenant id", &config.OAuth{Provider: Microsoft, ClientID: "app", Tenant: "0b1c2d3e-0000-4000-8000-123456789abc"}, nil, ""},
		{"microsoft tenant domain", &config.OAuth{Provider: Microsoft, ClientID: "app", Tenant: "contoso.onmicrosoft.com"}, nil, ""},
		{"google", &config.OAuth{Provider: Google, ClientID: "app", ClientSecretFile: "/etc/scangate/secret"}, nil, ""},
		{"custom", custom(nil), nil, ""},
		{"unknown provider", &config.OAuth{Provider: "yahoo", ClientID: "app"}, []string{"oauth.provider"}, `"yahoo" is not one of microsoft, google, custom`},
		{"empty provider", &config.OAuth{ClientID: "app"}, []string{"oauth.provider"}, "not one of"},
		{"provider in capitals", &config.OAuth{Provider: "Microsoft", ClientID: "app"}, []string{"oauth.provider"}, "not one of"},
		{"missing client id", &config.OAuth{Provider: Microsoft, ClientID: "  "}, []string{"oauth.client_id"}, "missing"},
		{"google without secret", &config.OAuth{Provider: Google, ClientID: "app"}, []string{"oauth.client_secret_file"}, "client secret"},
		{"custom without urls and scopes", &config.OAuth{Provider: Custom, ClientID: "app"},
			[]string{"oauth.device_auth_url", "oauth.token_url", "oauth.scopes"}, "missing for provider custom"},
		{"tenant for google", &config.OAuth{Provider: Google, ClientID: "app", ClientSecretFile: "s", Tenant: "contoso.com"},
			[]string{"oauth.tenant"}, "only for provider microsoft"},
		{"tenant for custom", custom(func(o *config.OAuth) { o.Tenant = "x" }), []string{"oauth.tenant"}, "only for provider microsoft"},
		{"bad tenant", &config.OAuth{Provider: Microsoft, ClientID: "app", Tenant: "contoso/../common"}, []string{"oauth.tenant"}, "not a tenant"},
		{"tenant with a space", &config.OAuth{Provider: Microsoft, ClientID: "app", Tenant: "con toso"}, []string{"oauth.tenant"}, "not a tenant"},
		{"tenant starting with a dot", &config.OAuth{Provider: Microsoft, ClientID: "app", Tenant: ".contoso"}, []string{"oauth.tenant"}, "not a tenant"},
		{"http to another machine", custom(func(o *config.OAuth) { o.TokenURL = "http://idp.example.com/token" }),
			[]string{"oauth.token_url"}, "not an https:// address"},
		{"http to the LAN", custom(func(o *config.OAuth) { o.DeviceAuthURL = "http://192.168.1.10:8080/device" }),
			[]string{"oauth.device_auth_url"}, "not an https:// address"},
		{"http to a name that starts like loopback", custom(func(o *config.OAuth) { o.TokenURL = "http://127.0.0.1.example.com/token" }),
			[]string{"oauth.token_url"}, "not an https:// address"},
		{"http to localhost.evil", custom(func(o *config.OAuth) { o.TokenURL = "http://localhost.example.com/token" }),
			[]string{"oauth.token_url"}, "not an https:// address"},
		{"ftp", custom(func(o *config.OAuth) { o.TokenURL = "ftp://idp.example.com/token" }), []string{"oauth.token_url"}, "not an https://"},
		{"no host", custom(func(o *config.OAuth) { o.TokenURL = "https:///token" }), []string{"oauth.token_url"}, "not an https://"},
		{"not a url", custom(func(o *config.OAuth) { o.TokenURL = "idp.example.com/token" }), []string{"oauth.token_url"}, "not an https://"},
		{"http to 127.0.0.1", custom(func(o *config.OAuth) {
			o.DeviceAuthURL, o.TokenURL = "http://127.0.0.1:8080/device", "http://127.0.0.1:8080/token"
		}), nil, ""},
		{"http to localhost and ::1", custom(func(o *config.OAuth) {
			o.DeviceAuthURL, o.TokenURL = "http://localhost:8080/device", "http://[::1]:8080/token"
		}), nil, ""},
		{"https override for microsoft", &config.OAuth{Provider: Microsoft, ClientID: "app", TokenURL: "https://proxy.example.com/token"}, nil, ""},
		{"http override for microsoft", &config.OAuth{Provider: Microsoft, ClientID: "app", TokenURL: "http://proxy.example.com/token"},
			[]string{"oauth.token_url"}, "not an https://"},
		{"empty scope", custom(func(o *config.OAuth) { o.Scopes = []string{"smtp", ""} }), []string{"oauth.scopes"}, "an empty scope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			keys, msgs := check(tt.o)
			if !slices.Equal(keys, tt.keys) {
				t.Fatalf("Check reports %q, want %q", msgs, tt.keys)
			}
			if tt.words != "" && !strings.Contains(strings.Join(msgs, "\n"), tt.words) {
				t.Errorf("Check reports %q, want it to say %q", msgs, tt.words)
			}
		})
	}
}

// TestCheckInValidate: Check plugs into config.Validate.
func TestCheckInValidate(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.OAuth = &config.OAuth{Provider: "aol"}
	err := c.Validate(false, Check)
	if err == nil || !strings.Contains(err.Error(), "oauth.provider") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		o             config.OAuth
		device, token string
		scopes        []string
	}{
		{"microsoft default tenant", config.OAuth{Provider: Microsoft},
			"https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode",
			"https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
			[]string{"https://outlook.office.com/SMTP.Send", "offline_access"}},
		{"microsoft tenant", config.OAuth{Provider: Microsoft, Tenant: "contoso.onmicrosoft.com"},
			"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode",
			"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
			[]string{"https://outlook.office.com/SMTP.Send", "offline_access"}},
		{"microsoft scopes", config.OAuth{Provider: Microsoft, Tenant: "consumers", Scopes: []string{"https://outlook.office.com/SMTP.Send", "offline_access", "openid"}},
			"https://login.microsoftonline.com/consumers/oauth2/v2.0/devicecode",
			"https://login.microsoftonline.com/consumers/oauth2/v2.0/token",
			[]string{"https://outlook.office.com/SMTP.Send", "offline_access", "openid"}},
		{"microsoft urls", config.OAuth{Provider: Microsoft, DeviceAuthURL: "https://d.example/dev", TokenURL: "https://d.example/tok"},
			"https://d.example/dev", "https://d.example/tok", []string{"https://outlook.office.com/SMTP.Send", "offline_access"}},
		{"google", config.OAuth{Provider: Google},
			"https://oauth2.googleapis.com/device/code", "https://oauth2.googleapis.com/token", []string{"https://mail.google.com/"}},
		{"custom", config.OAuth{Provider: Custom, DeviceAuthURL: "https://i.example/d", TokenURL: "https://i.example/t", Scopes: []string{"a"}},
			"https://i.example/d", "https://i.example/t", []string{"a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ep, scopes := endpoint(&tt.o)
			if ep.DeviceAuthURL != tt.device || ep.TokenURL != tt.token || !slices.Equal(scopes, tt.scopes) {
				t.Errorf("endpoint = %q %q %q, want %q %q %q", ep.DeviceAuthURL, ep.TokenURL, scopes, tt.device, tt.token, tt.scopes)
			}
		})
	}
}

// roundTrip answers requests in the test process, whatever their address.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestMicrosoftRequests: a Microsoft client asks the tenant's endpoints (default "organizations") for the
// preset scopes, or for the scopes of the settings.
func TestMicrosoftRequests(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tenant, url, scope string
		scopes             []string
	}{
		{"", "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode",
			"https://outlook.office.com/SMTP.Send offline_access", nil},
		{"contoso.onmicrosoft.com", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode",
			"https://outlook.office.com/SMTP.Send offline_access openid", []string{"https://outlook.office.com/SMTP.Send", "offline_access", "openid"}},
	} {
		var got *http.Request
		hc := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
			r.ParseForm()
			got = r
			body := `{"device_code":"d","user_code":"U","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5}`
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
		})}
		c := config.Default()
		c.Account.User = user
		c.Spool.Dir = t.TempDir()
		c.OAuth = &config.OAuth{Provider: Microsoft, ClientID: " app ", Tenant: tt.tenant, Scopes: tt.scopes}
		cl, err := New(c, Options{HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Begin(t.Context()); err != nil {
			t.Fatalf("Begin = %v", err)
		}
		if got == nil || got.URL.String() != tt.url || got.PostForm.Get("scope") != tt.scope || got.PostForm.Get("client_id") != "app" {
			t.Errorf("tenant %q: request to %v with %v, want %s with scope %q", tt.tenant, got.URL, got.PostForm, tt.url, tt.scope)
		}
		if want := strings.Replace(tt.url, "devicecode", "token", 1); cl.conf.Endpoint.TokenURL != want {
			t.Errorf("token URL %q, want %q", cl.conf.Endpoint.TokenURL, want)
		}
		if cl.Provider() != Microsoft || cl.Store() != filepath.Join(c.Spool.Dir, StoreName) {
			t.Errorf("Provider %q, Store %q", cl.Provider(), cl.Store())
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	c := config.Default()
	if cl, err := New(c, Options{}); cl != nil || err != nil {
		t.Errorf("New without [oauth] = %v, %v; want nil, nil", cl, err)
	}
	c.OAuth = &config.OAuth{Provider: "yahoo"}
	if _, err := New(c, Options{}); err == nil || !strings.Contains(err.Error(), "oauth.provider") {
		t.Errorf("New with an unknown provider = %v", err)
	}
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(clientSec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secretFile, 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "tokens", "store.json")
	c.OAuth = &config.OAuth{Provider: Google, ClientID: "app", ClientSecretFile: secretFile, Store: store}
	if _, err := New(c, Options{}); err == nil || !strings.Contains(err.Error(), "chmod 600") || leak(err.Error()) != "" {
		t.Errorf("New with a client secret readable by others = %v", err)
	}
	if err := os.Chmod(secretFile, 0o600); err != nil {
		t.Fatal(err)
	}
	cl, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cl.conf.ClientSecret != clientSec || cl.Store() != store {
		t.Errorf("client secret read as %d bytes, store %q", len(cl.conf.ClientSecret), cl.Store())
	}
	if cl.http == nil || cl.http.Timeout != httpTimeout || cl.now == nil {
		t.Errorf("New without options: http %v, now set %v", cl.http, cl.now != nil)
	}
	c.OAuth.ClientSecretFile = filepath.Join(dir, "missing")
	if _, err := New(c, Options{}); err == nil {
		t.Error("New with a missing client secret file: no error")
	}
}
