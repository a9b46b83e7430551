// Package oauth signs the mail account in with OAuth 2.0 and keeps its tokens fresh for months.
//
// Sign-in is the device authorization grant (RFC 8628): Begin asks the provider for a user code, the person
// types it on a phone or a PC, and SignIn.Wait polls until they approved it (honouring interval and slow_down,
// ending on expired_token and access_denied). The refresh token and the current access token are then kept in
// one store file (mode 0600, written durably through internal/atomicfile).
//
// Before each SMTP session Client.Token returns an access token with at least RefreshMargin left, refreshing
// it first when needed and keeping the new refresh token when the provider rotates it. A refresh that fails
// for now (the network, a 5xx) is a TemporaryError; invalid_grant (the refresh token is revoked or expired)
// marks the store and is ErrSignInAgain until the next sign-in; a provider that refuses the app itself
// (invalid_client, invalid_scope) is ErrApp. Processes that share a store (gateway run and gateway send) take
// turns through a lock file, so that a rotated refresh token is never used twice.
//
// The provider presets (microsoft, google, custom) and the rules of the [oauth] settings live here; the
// golang.org/x/oauth2 client speaks the protocol. Tokens are secret.Secret outside this package and never
// appear in errors.
package oauth
