package oauthtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// errUnsupported answers the parts of op.Storage that this server does not offer (the authorization code flow,
// JWT profile grants).
var errUnsupported = errors.New("oauthtest: not supported")

// storage is the provider's in-memory state: clients, device authorizations, access and refresh tokens. It
// implements op.Storage and op.DeviceAuthorizationStorage, no more.
type storage struct {
	accessTTL time.Duration
	clients   map[string]*client
	key       *ecdsa.PrivateKey
	keyID     string

	mu                                 sync.Mutex
	devices                            map[string]*device                      // device code →
	handedOut                          map[*op.DeviceAuthorizationState]string // an approved state given to op → its device code
	access                             map[string]*accessToken                 // token ID →
	refresh                            map[string]*refreshToken                // token →
	refreshes, signIns, introspections int
}

type device struct {
	clientID, userCode string
	scopes             []string
	expires            time.Time
	user               string // set when approved
	approvedAt         time.Time
	denied, used       bool
}

type accessToken struct {
	user, clientID  string
	scopes          []string
	issued, expires time.Time
}

// refreshToken is also the op.RefreshTokenRequest that TokenRequestByRefreshToken hands out (as a copy).
type refreshToken struct {
	user, clientID string
	scopes         []string
	audience       []string
	authTime       time.Time
	amr            []string
}

func (r *refreshToken) GetAMR() []string                 { return r.amr }
func (r *refreshToken) GetAudience() []string            { return r.audience }
func (r *refreshToken) GetAuthTime() time.Time           { return r.authTime }
func (r *refreshToken) GetClientID() string              { return r.clientID }
func (r *refreshToken) GetScopes() []string              { return r.scopes }
func (r *refreshToken) GetSubject() string               { return r.user }
func (r *refreshToken) SetCurrentScopes(scopes []string) { r.scopes = scopes }

func newStorage(accessTTL time.Duration, clients []*client, key *ecdsa.PrivateKey) *storage {
	s := &storage{accessTTL: accessTTL, clients: map[string]*client{}, key: key, keyID: randomID(8),
		devices: map[string]*device{}, handedOut: map[*op.DeviceAuthorizationState]string{},
		access: map[string]*accessToken{}, refresh: map[string]*refreshToken{}}
	for _, c := range clients {
		s.clients[c.id] = c
	}
	return s
}

// randomID returns n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// normalizeUserCode lets a person type a user code in any case, with or without its dash and spaces.
func normalizeUserCode(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
}

// --- device authorization (RFC 8628) ---

func (s *storage) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for code, d := range s.devices {
		if d.expires.Before(now.Add(-time.Hour)) {
			delete(s.devices, code)
		}
		if normalizeUserCode(d.userCode) == normalizeUserCode(userCode) {
			return op.ErrDuplicateUserCode
		}
	}
	s.devices[deviceCode] = &device{clientID: clientID, userCode: userCode, scopes: scopes, expires: expires}
	return nil
}

func (s *storage) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[deviceCode]
	if !ok || d.clientID != clientID {
		return nil, errors.New("unknown device code")
	}
	if d.used {
		return nil, errors.New("device code already used")
	}
	st := &op.DeviceAuthorizationState{ClientID: d.clientID, Scopes: slices.Clone(d.scopes), Expires: d.expires,
		Denied: d.denied}
	if d.user != "" {
		st.Done, st.Subject, st.AuthTime, st.AMR = true, d.user, d.approvedAt, []string{"pwd"}
		// The device code is spent when tokens are made for this state, not when it is read: a request that
		// fails after reading it (the wrong client authentication) leaves the code usable.
		s.handedOut[st] = deviceCode
	}
	return st, nil
}

// decide approves (user != "") or denies the device authorization with the user code. It answers an HTTP
// status and a message for the user-code endpoint.
func (s *storage) decide(userCode, user string, allow bool) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := normalizeUserCode(userCode)
	for _, d := range s.devices {
		if normalizeUserCode(d.userCode) != want {
			continue
		}
		switch {
		case time.Now().After(d.expires):
			return 410, "the code has expired"
		case d.user != "" || d.denied:
			return 409, "the code was already answered"
		case allow:
			d.user, d.approvedAt = user, time.Now()
			return 200, "approved"
		default:
			d.denied = true
			return 200, "denied"
		}
	}
	return 404, "no such code"
}

// spend marks the device code behind a state op got from GetDeviceAuthorizatonState as used, so that it
// yields tokens only once.
func (s *storage) spend(req op.TokenRequest) error {
	st, ok := req.(*op.DeviceAuthorizationState)
	if !ok {
		return nil
	}
	code, ok := s.handedOut[st]
	delete(s.handedOut, st)
	d := s.devices[code]
	if !ok || d == nil || d.used {
		return oidc.ErrInvalidGrant().WithDescription("device code already used")
	}
	d.used = true
	s.signIns++
	return nil
}

// --- tokens ---

// newAccess records an access token; s.mu is held.
func (s *storage) newAccess(req op.TokenRequest, clientID string) (string, time.Time) {
	id, now := randomID(16), time.Now()
	s.access[id] = &accessToken{user: req.GetSubject(), clientID: clientID, scopes: slices.Clone(req.GetScopes()),
		issued: now, expires: now.Add(s.accessTTL)}
	return id, now.Add(s.accessTTL)
}

// clientOf finds the client a token request is for: every request type this server accepts carries it.
func clientOf(req op.TokenRequest) string {
	if c, ok := req.(interface{ GetClientID() string }); ok {
		return c.GetClientID()
	}
	return ""
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.spend(req); err != nil {
		return "", time.Time{}, err
	}
	id, exp := s.newAccess(req, clientOf(req))
	return id, exp, nil
}

// CreateAccessAndRefreshTokens issues an access token and a new refresh token. On a refresh the old refresh
// token is retired (rotation): presenting it again answers invalid_grant.
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if current != "" {
		if _, ok := s.refresh[current]; !ok { // revoked or rotated out while this request ran
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("refresh token is no longer valid")
		}
		delete(s.refresh, current)
		s.refreshes++
	} else if err := s.spend(req); err != nil {
		return "", "", time.Time{}, err
	}
	rt := &refreshToken{user: req.GetSubject(), clientID: clientOf(req), scopes: slices.Clone(req.GetScopes()),
		audience: slices.Clone(req.GetAudience())}
	if r, ok := req.(interface {
		GetAuthTime() time.Time
		GetAMR() []string
	}); ok {
		rt.authTime, rt.amr = r.GetAuthTime(), slices.Clone(r.GetAMR())
	}
	token := randomID(32)
	s.refresh[token] = rt
	id, exp := s.newAccess(req, rt.clientID)
	return id, token, exp, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok {
		return nil, errors.New("unknown refresh token")
	}
	c := *rt
	c.scopes, c.audience, c.amr = slices.Clone(rt.scopes), slices.Clone(rt.audience), slices.Clone(rt.amr)
	return &c, nil
}

// revokeUser forgets every access and refresh token of user.
func (s *storage) revokeUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, at := range s.access {
		if at.user == user {
			delete(s.access, id)
		}
	}
	for tok, rt := range s.refresh {
		if rt.user == user {
			delete(s.refresh, tok)
		}
	}
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

// RevokeToken serves the revocation endpoint (RFC 7009): a refresh token, or the ID of an access token.
func (s *storage) RevokeToken(_ context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if userID == "" {
		if rt, ok := s.refresh[tokenOrID]; ok && rt.clientID == clientID {
			delete(s.refresh, tokenOrID)
		}
		return nil
	}
	if at, ok := s.access[tokenOrID]; ok && at.clientID == clientID {
		delete(s.access, tokenOrID)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[token]
	if !ok || rt.clientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rt.user, token, nil
}

// validAccess returns the live access token with the ID, issued to user.
func (s *storage) validAccess(id, user string) (*accessToken, error) {
	at, ok := s.access[id]
	switch {
	case !ok:
		return nil, errors.New("unknown or revoked access token")
	case at.user != user:
		return nil, errors.New("access token of another user")
	case time.Now().After(at.expires):
		return nil, errors.New("access token expired")
	}
	return at, nil
}

// SetIntrospectionFromToken fills the introspection response (RFC 7662) of a live token. The mail address is
// the subject, and is reported as email and username too, for the resource server to compare with the SASL
// user. An error makes op answer {"active": false}.
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.introspections++
	at, err := s.validAccess(tokenID, subject)
	if err != nil {
		return err
	}
	resp.Scope = oidc.SpaceDelimitedArray(slices.Clone(at.scopes))
	resp.ClientID = at.clientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(at.expires)
	resp.IssuedAt = oidc.FromTime(at.issued)
	resp.Subject = at.user
	resp.Username = at.user
	resp.Email = at.user
	resp.EmailVerified = true
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.validAccess(tokenID, subject); err != nil {
		return err
	}
	info.Subject, info.Email, info.EmailVerified, info.PreferredUsername = subject, subject, true, subject
	return nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	info.Subject, info.Email, info.EmailVerified, info.PreferredUsername = userID, userID, true, userID
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// --- clients ---

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("unknown client %q", id)
}

// AuthorizeClientIDSecret checks a confidential client's secret. A public client has none to check: its
// attempt at client authentication fails, so that op treats it as the public client it is.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	if !ok || c.secret == "" || c.secret != secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

// --- the authorization code flow: not offered ---

func (s *storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *storage) SaveAuthCode(context.Context, string, string) error { return errUnsupported }
func (s *storage) DeleteAuthRequest(context.Context, string) error    { return nil }

// --- keys: ID tokens (scope openid) are signed with an ECDSA P-256 key ---

type signingKey struct {
	id  string
	key *ecdsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.keyID, s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{s.keyID, s.key}}}, nil
}

func (s *storage) Health(context.Context) error { return nil }

// client is an op.Client: public (no secret, a native application) or confidential (a secret, sent with basic
// authentication). It may ask for any scope.
type client struct {
	id, secret string
	grants     []oidc.GrantType
	idTokenTTL time.Duration
}

func (c *client) GetID() string                    { return c.id }
func (c *client) RedirectURIs() []string           { return nil }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	if c.secret != "" {
		return op.ApplicationTypeWeb // op's word for a confidential client
	}
	return op.ApplicationTypeNative
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.secret != "" {
		return oidc.AuthMethodBasic
	}
	return oidc.AuthMethodNone
}
func (c *client) ResponseTypes() []oidc.ResponseType  { return nil }
func (c *client) GrantTypes() []oidc.GrantType        { return c.grants }
func (c *client) LoginURL(string) string              { return "" }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.idTokenTTL }
func (c *client) DevMode() bool                       { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
