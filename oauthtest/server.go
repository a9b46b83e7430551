// Package oauthtest runs an OAuth 2.0 authorization server in the test process, built on zitadel's op package:
// the device authorization grant (RFC 8628) with user codes that a test approves or denies through the
// server's user-code endpoint, refresh tokens with rotation, revocation of a user's tokens, and token
// introspection (RFC 7662) for a resource server such as Dovecot (see smtptest.DovecotOAuth2).
//
// Access tokens are opaque (op encrypts the token ID and the subject); the subject is the user's mail
// address, which introspection also reports as "email" and "username".
package oauthtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
)

// Options configure a server; zero values take the defaults.
type Options struct {
	// AccessTTL is the lifetime of an access token (default 20 s).
	AccessTTL time.Duration
	// PollInterval is the device flow's polling interval (default 1 s). The response carries whole seconds,
	// so it is rounded down to them, and is at least 1 s.
	PollInterval time.Duration
	// CodeTTL is the lifetime of a device code and its user code (default 5 min).
	CodeTTL time.Duration
}

// The clients every server knows.
const (
	// PublicClientID is a public client (no secret) allowed the device and refresh_token grants.
	PublicClientID = "scangate-public"
	// SecretClientID is a confidential client allowed the same grants, authenticated with its secret (HTTP
	// basic authentication, or client_secret in the form).
	SecretClientID = "scangate-secret"
	// IntrospectionClientID is the resource server (Dovecot) that may introspect tokens.
	IntrospectionClientID = "dovecot"
)

// Server is a running authorization server on 127.0.0.1.
type Server struct {
	// Issuer is the server's HTTPS address (https://127.0.0.1:port); its certificate is signed by the CA in
	// CAFile. DeviceAuthURL, TokenURL, RevocationURL and UserCodeURL (the page where a person enters the user
	// code: POST user_code, user, action=allow|deny) are under it.
	Issuer, DeviceAuthURL, TokenURL, RevocationURL, UserCodeURL string
	// IntrospectionURL is the introspection endpoint over plain HTTP on its own port, with the resource
	// server's credentials in it (http://dovecot:secret@127.0.0.1:port/oauth/introspect), as Dovecot takes
	// them. That port serves introspection only. IntrospectionSecret is the secret.
	IntrospectionURL, IntrospectionSecret string
	// ClientID is PublicClientID; SecretClientID and ClientSecret the confidential client.
	ClientID, SecretClientID, ClientSecret string
	// CAPEM is the certificate authority of the HTTPS server; CAFile holds the same.
	CAPEM  []byte
	CAFile string

	store      *storage
	client     *http.Client
	tokenPath  string
	tokenCalls atomic.Int64
	failMu     sync.Mutex
	failN      int
	failStatus int
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, stop, err := start(t.TempDir(), o)
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	t.Cleanup(stop)
	return s
}

func start(dir string, o Options) (_ *Server, stop func(), err error) {
	if o.AccessTTL <= 0 {
		o.AccessTTL = 20 * time.Second
	}
	o.PollInterval = o.PollInterval.Truncate(time.Second)
	if o.PollInterval < time.Second {
		o.PollInterval = time.Second
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 5 * time.Minute
	}
	caPEM, cert, err := newCertificates()
	if err != nil {
		return nil, nil, err
	}
	s := &Server{ClientID: PublicClientID, SecretClientID: SecretClientID, ClientSecret: randomID(16),
		IntrospectionSecret: randomID(16), CAPEM: caPEM, CAFile: filepath.Join(dir, "oauth-ca.pem")}
	if err := os.WriteFile(s.CAFile, caPEM, 0o644); err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	s.client = &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	grants := []oidc.GrantType{oidc.GrantTypeDeviceCode, oidc.GrantTypeRefreshToken}
	s.store = newStorage(o.AccessTTL, []*client{
		{id: PublicClientID, grants: grants, idTokenTTL: o.AccessTTL},
		{id: SecretClientID, secret: s.ClientSecret, grants: grants, idTokenTTL: o.AccessTTL},
		{id: IntrospectionClientID, secret: s.IntrospectionSecret},
	}, key)

	httpsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		httpsLn.Close()
		return nil, nil, err
	}
	s.Issuer = "https://" + httpsLn.Addr().String()
	cfg := &op.Config{GrantTypeRefreshToken: true, AuthMethodPost: true, CodeMethodS256: true,
		DeviceAuthorization: op.DeviceAuthorizationConfig{Lifetime: o.CodeTTL, PollInterval: o.PollInterval,
			UserFormPath: "/device", UserCode: op.UserCodeBase20}}
	rand.Read(cfg.CryptoKey[:])
	provider, err := op.NewProvider(cfg, s.store, op.StaticIssuer(s.Issuer))
	if err != nil {
		httpsLn.Close()
		plainLn.Close()
		return nil, nil, err
	}
	s.tokenPath = provider.TokenEndpoint().Relative()
	s.DeviceAuthURL = provider.DeviceAuthorizationEndpoint().Absolute(s.Issuer)
	s.TokenURL = provider.TokenEndpoint().Absolute(s.Issuer)
	s.RevocationURL = provider.RevocationEndpoint().Absolute(s.Issuer)
	s.UserCodeURL = s.Issuer + "/device"
	introPath := provider.IntrospectionEndpoint().Relative()
	s.IntrospectionURL = (&url.URL{Scheme: "http", User: url.UserPassword(IntrospectionClientID, s.IntrospectionSecret),
		Host: plainLn.Addr().String(), Path: introPath}).String()

	mux := http.NewServeMux()
	mux.HandleFunc("/device", s.userCodePage)
	mux.Handle("/", s.tokenGate(provider))
	httpsSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	plainSrv := &http.Server{ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != introPath {
				http.NotFound(w, r)
				return
			}
			provider.ServeHTTP(w, r)
		})}
	go httpsSrv.ServeTLS(httpsLn, "", "")
	go plainSrv.Serve(plainLn)
	return s, func() {
		httpsSrv.Close()
		plainSrv.Close()
		s.client.CloseIdleConnections()
	}, nil
}

// tokenGate stands before the provider's token endpoint: it counts the requests, answers the failures
// FailNext asked for, and puts client authentication into the form op takes. A confidential client's
// client_secret sent in the form moves into basic authentication (op's device grant reads only that); a
// public client's basic authentication with an empty secret becomes the client_id it stands for.
func (s *Server) tokenGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != s.tokenPath {
			next.ServeHTTP(w, r)
			return
		}
		s.tokenCalls.Add(1)
		if status := s.failing(); status != 0 {
			code := "server_error"
			if status == http.StatusServiceUnavailable {
				code = "temporarily_unavailable"
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":%q,"error_description":"oauthtest: FailNext"}`, code)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		if id, secret, ok := r.BasicAuth(); ok && secret == "" {
			if id, err := url.QueryUnescape(id); err == nil {
				r.Header.Del("Authorization")
				r.Form.Set("client_id", id)
				r.PostForm.Set("client_id", id)
			}
		} else if !ok && r.PostForm.Get("client_secret") != "" {
			r.SetBasicAuth(url.QueryEscape(r.PostForm.Get("client_id")), url.QueryEscape(r.PostForm.Get("client_secret")))
			r.Form.Del("client_secret")
			r.PostForm.Del("client_secret")
		}
		next.ServeHTTP(w, r)
	})
}

// failing reports the status to fail the current token request with, 0 for none.
func (s *Server) failing() int {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	if s.failN == 0 {
		return 0
	}
	s.failN--
	return s.failStatus
}

// FailNext makes the token endpoint answer the next n requests with status (a 5xx, for temporary failures)
// and an OAuth error body: temporarily_unavailable for 503, server_error otherwise. Note that a client that
// probes how to authenticate (golang.org/x/oauth2's AuthStyleAutoDetect) may spend two requests on one try.
func (s *Server) FailNext(n, status int) {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	s.failN, s.failStatus = n, status
}

// userCodePage is the page a person opens on another device: GET shows a form, POST with user_code, user and
// action=allow|deny answers the device authorization. It answers 200 when done, 404 for an unknown code, 409
// for a code already answered, 410 for an expired one, 400 for a bad request.
func (s *Server) userCodePage(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Sign in a device</title><form method="post">
<p>Code <input name="user_code" value="%s"> User <input name="user" type="email">
<button name="action" value="allow">Allow</button> <button name="action" value="deny">Deny</button></form>`,
			html.EscapeString(r.URL.Query().Get("user_code")))
		return
	case http.MethodPost:
	default:
		http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
		return
	}
	code, user := r.PostFormValue("user_code"), r.PostFormValue("user")
	var allow bool
	switch r.PostFormValue("action") {
	case "allow", "":
		allow = true
		if user == "" || strings.ContainsAny(user, ":\x00\x01\r\n") { // op's opaque token joins ID and subject with ':'
			http.Error(w, "allow needs a user without ':'", http.StatusBadRequest)
			return
		}
	case "deny":
	default:
		http.Error(w, "action is allow or deny", http.StatusBadRequest)
		return
	}
	if code == "" {
		http.Error(w, "user_code missing", http.StatusBadRequest)
		return
	}
	status, msg := s.store.decide(code, user, allow)
	http.Error(w, msg, status) // plain text, also for 200
}

// Approve signs user in on the device that shows userCode, through the user-code endpoint.
func (s *Server) Approve(ctx context.Context, userCode, user string) error {
	return s.answer(ctx, url.Values{"user_code": {userCode}, "user": {user}, "action": {"allow"}})
}

// Deny refuses the device authorization that shows userCode, through the user-code endpoint: the device's
// next poll answers access_denied.
func (s *Server) Deny(ctx context.Context, userCode string) error {
	return s.answer(ctx, url.Values{"user_code": {userCode}, "action": {"deny"}})
}

func (s *Server) answer(ctx context.Context, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.UserCodeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("oauthtest: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("oauthtest: %s %s: %s: %s", form.Get("action"), form.Get("user_code"), resp.Status,
			strings.TrimSpace(string(body)))
	}
	return nil
}

// Revoke invalidates every access and refresh token of user: a refresh answers invalid_grant, and
// introspection reports the access tokens inactive.
func (s *Server) Revoke(user string) { s.store.revokeUser(user) }

// Refreshes is the number of refresh grants served (each rotated a refresh token).
func (s *Server) Refreshes() int {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	return s.store.refreshes
}

// SignIns is the number of device grants that yielded tokens.
func (s *Server) SignIns() int {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	return s.store.signIns
}

// Introspections is the number of tokens the resource server asked about.
func (s *Server) Introspections() int {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	return s.store.introspections
}

// TokenRequests is the number of HTTP requests to the token endpoint, failed ones included.
func (s *Server) TokenRequests() int { return int(s.tokenCalls.Load()) }

// CertPool returns a pool holding the server's certificate authority.
func (s *Server) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CAPEM)
	return pool
}

// HTTPClient returns a client that trusts the server's certificate; put it into a context under
// oauth2.HTTPClient for golang.org/x/oauth2.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Endpoint returns the server's endpoints for golang.org/x/oauth2 (the client authentication style is left
// to detection).
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{DeviceAuthURL: s.DeviceAuthURL, TokenURL: s.TokenURL}
}

// Config returns an oauth2.Config of the public client asking for scopes.
func (s *Server) Config(scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: s.ClientID, Endpoint: s.Endpoint(), Scopes: scopes}
}

// newCertificates makes a certificate authority and a server certificate for 127.0.0.1 and localhost.
func newCertificates() (caPEM []byte, cert tls.Certificate, err error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "oauthtest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return nil, cert, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), cert, nil
}
