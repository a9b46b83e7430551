package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
	"golang.org/x/sys/unix"
)

// record is the store file: who signed in, for which app, and the tokens. It never leaves this package, and
// the tokens in it are plain strings only on their way to and from the file.
type record struct {
	// Provider, ClientID, TokenURL and User identify what the tokens were issued for: a store made for other
	// settings counts as no sign-in.
	Provider string `json:"provider"`
	ClientID string `json:"client_id"`
	TokenURL string `json:"token_url"`
	User     string `json:"user"`
	// As is the account the provider says signed in (from an ID token, when it sends one).
	As        string    `json:"signed_in_as,omitempty"`
	SignedIn  time.Time `json:"signed_in"`
	Refreshed time.Time `json:"refreshed"`
	// RefreshExpires is when the refresh token lapses, when known.
	RefreshExpires time.Time `json:"refresh_expires,omitzero"`
	RefreshToken   string    `json:"refresh_token"`
	AccessToken    string    `json:"access_token"`
	Expiry         time.Time `json:"expiry"`
	// Broken says why the refresh token is dead (invalid_grant): sign in again.
	Broken string `json:"broken,omitempty"`
}

// String keeps the tokens out of any print.
func (r *record) String() string { return fmt.Sprintf("oauth record for %s [tokens redacted]", r.User) }

// GoString keeps the tokens out of %#v.
func (r *record) GoString() string { return r.String() }

// maxStore bounds the store file: tokens are a few KiB.
const maxStore = 64 << 10

// load reads the store; a missing file is (nil, nil).
func (c *Client) load() (*record, error) {
	f, err := os.Open(c.store)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: token store: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("oauth: token store: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxStore {
		return nil, fmt.Errorf("oauth: token store %s is not a token store file", c.store)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("oauth: token store %s is readable by other users (mode %04o): run chmod 600 %s", c.store, st.Mode().Perm(), c.store)
	}
	var r record
	if err := json.NewDecoder(f).Decode(&r); err != nil {
		// The content is not quoted: it holds tokens.
		return nil, fmt.Errorf("oauth: token store %s is damaged; sign in again", c.store)
	}
	return &r, nil
}

// mine reports whether r was made for the settings in force. A store without a refresh token holds no sign-in
// (only a damaged or hand-made one can): refreshing without one cannot work, and is no temporary failure.
func (c *Client) mine(r *record) bool {
	return r != nil && r.RefreshToken != "" && r.Provider == c.provider && r.ClientID == c.conf.ClientID && r.TokenURL == c.conf.Endpoint.TokenURL &&
		strings.EqualFold(r.User, c.user)
}

// save writes r durably: a power cut leaves the old store or the new one.
func (c *Client) save(r *record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("oauth: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(c.store), 0o700); err != nil {
		return fmt.Errorf("oauth: token store: %w", err)
	}
	err = atomicfile.WriteFile(c.store, 0o600, func(f *os.File) error {
		_, err := f.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("oauth: token store: %w", err)
	}
	return ownLikeDir(c.store)
}

// ownLikeDir gives a store written by root (gateway signin run with sudo) to the owner of its directory, the
// service's user, which must read and refresh it.
func ownLikeDir(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Dir(path), &st); err != nil || st.Uid == 0 {
		return nil
	}
	if err := os.Lchown(path, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("oauth: token store: %w", err)
	}
	return nil
}

// lockPoll is how often lock tries again while another process refreshes.
const lockPoll = 50 * time.Millisecond

// lock takes the store's lock file (flock), waiting while another process holds it, until ctx ends. The
// kernel drops it when the process dies.
func (c *Client) lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(c.store), 0o700); err != nil {
		return nil, fmt.Errorf("oauth: token store: %w", err)
	}
	f, err := os.OpenFile(c.store+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("oauth: token store: %w", err)
	}
	if err := ownLikeDir(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("oauth: token store lock: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
