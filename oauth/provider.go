package oauth

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/scangate/gateway/config"
	"golang.org/x/oauth2"
)

// The providers.
const (
	Microsoft = "microsoft"
	Google    = "google"
	Custom    = "custom"
)

// Providers returns the names that [oauth] provider accepts.
func Providers() []string { return []string{Microsoft, Google, Custom} }

// preset is what a provider fills in.
type preset struct {
	deviceAuthURL, tokenURL string
	scopes                  []string
	// idleLapse is how long a refresh token lives unused, when the provider says so in its documentation and
	// not in its answers; 0 when unknown.
	idleLapse time.Duration
}

var presets = map[string]preset{
	// Microsoft identity platform v2.0; {tenant} is replaced. Refresh tokens lapse after 90 days unused.
	Microsoft: {"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
		"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
		[]string{"https://outlook.office.com/SMTP.Send", "offline_access"}, 90 * 24 * time.Hour},
	Google: {"https://oauth2.googleapis.com/device/code", "https://oauth2.googleapis.com/token",
		[]string{"https://mail.google.com/"}, 0},
	Custom: {},
}

// DefaultTenant is the Microsoft tenant used when [oauth] tenant is empty: any work or school account.
const DefaultTenant = "organizations"

var tenantName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)

// endpoint returns the provider's endpoints and scopes for the settings o.
func endpoint(o *config.OAuth) (oauth2.Endpoint, []string) {
	p := presets[o.Provider]
	tenant := o.Tenant
	if tenant == "" {
		tenant = DefaultTenant
	}
	ep := oauth2.Endpoint{
		DeviceAuthURL: strings.ReplaceAll(p.deviceAuthURL, "{tenant}", tenant),
		TokenURL:      strings.ReplaceAll(p.tokenURL, "{tenant}", tenant),
		// Client id (and secret) go in the form: public clients (Microsoft's device flow) have no secret for a
		// Basic header, and finding out by trial would poll twice.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	if o.DeviceAuthURL != "" {
		ep.DeviceAuthURL = o.DeviceAuthURL
	}
	if o.TokenURL != "" {
		ep.TokenURL = o.TokenURL
	}
	scopes := p.scopes
	if len(o.Scopes) > 0 {
		scopes = o.Scopes
	}
	return ep, scopes
}

// Check applies the providers' rules to the [oauth] section: a known provider, a client id, Google's client
// secret, a custom provider's endpoints and scopes, a tenant name. It is a config.Check.
func Check(c *config.Config, bad config.Bad) {
	o := c.OAuth
	if o == nil {
		return
	}
	if _, ok := presets[o.Provider]; !ok {
		bad("oauth.provider", "%q is not one of %s", o.Provider, strings.Join(Providers(), ", "))
		return
	}
	if strings.TrimSpace(o.ClientID) == "" {
		bad("oauth.client_id", "missing (the application (client) id registered with %s)", o.Provider)
	}
	if o.Provider == Google && o.ClientSecretFile == "" {
		bad("oauth.client_secret_file", "missing: Google's device sign-in needs the client secret")
	}
	if o.Tenant != "" && (o.Provider != Microsoft || !tenantName.MatchString(o.Tenant)) {
		if o.Provider != Microsoft {
			bad("oauth.tenant", "only for provider microsoft")
		} else {
			bad("oauth.tenant", "%q is not a tenant id or domain", o.Tenant)
		}
	}
	if o.Provider == Custom {
		if o.DeviceAuthURL == "" {
			bad("oauth.device_auth_url", "missing for provider custom")
		}
		if o.TokenURL == "" {
			bad("oauth.token_url", "missing for provider custom")
		}
		if len(o.Scopes) == 0 {
			bad("oauth.scopes", "missing for provider custom")
		}
	}
	for _, u := range []struct{ key, v string }{{"oauth.device_auth_url", o.DeviceAuthURL}, {"oauth.token_url", o.TokenURL}} {
		if u.v != "" && !secureURL(u.v) {
			bad(u.key, "%q is not an https:// address (http:// only to this machine)", u.v)
		}
	}
	if slices.Contains(o.Scopes, "") {
		bad("oauth.scopes", "an empty scope")
	}
}

// secureURL accepts https, and http to the loopback interface only: tokens must not cross a network in clear.
func secureURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	if u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
