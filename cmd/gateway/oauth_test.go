package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/oauthtest"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/smtptest"
)

// oauthRig is a Dovecot submission service that checks OAuth tokens with a private authorization server, a
// relay behind it that stores what Dovecot accepts, and the settings of a gateway that signs in there.
type oauthRig struct {
	idp      *oauthtest.Server
	dir, cfg string
	scan     string

	mu      sync.Mutex
	relayed []smtpserver.Delivery
}

const oauthUser = "scanner@example.com"

func newOAuthRig(t *testing.T) *oauthRig {
	t.Helper()
	r := &oauthRig{dir: t.TempDir()}
	relay, err := smtpserver.Start(smtpserver.Config{Addr: "127.0.0.1:0", Users: map[string]string{"relay": "relay-pass"},
		Maildir: filepath.Join(r.dir, "relayed"), OnDeliver: func(d smtpserver.Delivery) {
			r.mu.Lock()
			r.relayed = append(r.relayed, d)
			r.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	r.idp = oauthtest.Start(t, oauthtest.Options{AccessTTL: 20 * time.Second})
	dv := smtptest.StartDovecot(t, smtptest.DovecotConfig{Users: map[string]string{}, Relay: relay.Addr(),
		RelayUser: "relay", RelayPassword: "relay-pass", OAuth2: &smtptest.DovecotOAuth2{IntrospectionURL: r.idp.IntrospectionURL}})
	r.scan = filepath.Join(r.dir, "scan.tif")
	os.WriteFile(r.scan, mfpsim.SamplePages().Data, 0o600)
	r.cfg = writeOAuthSettings(t, r.dir, r.idp, fmt.Sprintf("server = %q\nsecurity = \"starttls\"\nca_file = %q\n", dv.StartTLSAddr, dv.CAFile),
		"retry_first = \"1s\"\nretry_max = \"2s\"\n")
	return r
}

// writeOAuthSettings writes, in dir, the settings of a gateway whose account oauthUser signs in at idp (store
// dir/state/oauth.json, spool dir/spool); account and spool are more lines of those sections.
func writeOAuthSettings(t *testing.T, dir string, idp *oauthtest.Server, account, spool string) string {
	t.Helper()
	conf := fmt.Sprintf(`[account]
user = %q
from = "Scanner <%s>"
%s
[oauth]
provider = "custom"
client_id = %q
device_auth_url = %q
token_url = %q
scopes = ["smtp", "offline_access"]
store = %q

[spool]
dir = %q
%s`, oauthUser, oauthUser, account, idp.ClientID, idp.DeviceAuthURL, idp.TokenURL,
		filepath.Join(dir, "state", "oauth.json"), filepath.Join(dir, "spool"), spool)
	path := filepath.Join(dir, "gateway.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// command runs the gateway binary as the service would: the authorization server's CA comes in through
// SSL_CERT_FILE, as the system's roots would.
func (r *oauthRig) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, gatewayBin, args...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+r.idp.CAFile)
	return cmd
}

func (r *oauthRig) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	cmd := r.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run()
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

func (r *oauthRig) relayedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.relayed)
}

var userCodeLine = regexp.MustCompile(`(?m)^    ([A-Z0-9-]{4,})$`)

// signIn runs gateway signin and answers its code at the authorization server's user-code endpoint: approve,
// or refuse.
func (r *oauthRig) signIn(t *testing.T, approve bool) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	cmd := r.command(ctx, "signin", "-config", r.cfg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	answered := false
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := userCodeLine.FindStringSubmatch(sc.Text()); m != nil && !answered {
			answered = true
			if approve {
				err = r.idp.Approve(ctx, m[1], oauthUser)
			} else {
				err = r.idp.Deny(ctx, m[1])
			}
			if err != nil {
				t.Errorf("answering code %s: %v", m[1], err)
			}
		}
	}
	cmd.Wait()
	res := result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
	if !answered {
		t.Fatalf("signin showed no code:\n%s\n%s", res.stdout, res.stderr)
	}
	return res
}

// storedTokens reads the store the gateway keeps.
func (r *oauthRig) storedTokens(t *testing.T) (access, refresh string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "state", "oauth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
	}
	json.Unmarshal(b, &s)
	return s.Access, s.Refresh
}

// The account signs in with OAuth through the binary, end to end against a real SMTP server that checks the
// tokens: sign-in, mail with XOAUTH2 and OAUTHBEARER, a refresh instead of a second sign-in, a revoked sign-in
// that holds the jobs, and a new sign-in that sends them while gateway run runs.
func TestOAuthEndToEnd(t *testing.T) {
	r := newOAuthRig(t)

	// Before the sign-in the job is held, with words that say what to do.
	res := r.run(t, "send", "-config", r.cfg, "--to", "sales@example.com", r.scan)
	if res.code != exitFail || !strings.Contains(res.stderr, "has not signed in yet") {
		t.Fatalf("send before the sign-in: exit %d\n%s", res.code, res.stderr)
	}
	if q := r.run(t, "queue", "-config", r.cfg); !strings.Contains(q.stdout, "Not signed in") {
		t.Fatalf("queue before the sign-in:\n%s", q.stdout)
	}

	res = r.signIn(t, true)
	if res.code != 0 || !strings.Contains(res.stdout, "Signed in") || !strings.Contains(res.stdout, "Signed in as "+oauthUser) {
		t.Fatalf("signin: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	st, err := os.Stat(filepath.Join(r.dir, "state", "oauth.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token store: %v, %v", st, err)
	}

	// Mail with each mechanism. The 20-second access tokens always have less than 5 minutes left, so each
	// session refreshes first: no second sign-in is needed.
	for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
		res := r.run(t, "send", "-v", "-config", r.cfg, "--mech", mech, "--to", "sales@example.com", r.scan)
		if res.code != 0 {
			t.Fatalf("send with %s: exit %d\n%s\n%s", mech, res.code, res.stdout, res.stderr)
		}
		access, refresh := r.storedTokens(t)
		if !strings.Contains(res.stdout+res.stderr, "AUTH "+mech) {
			t.Errorf("the transcript shows no AUTH %s:\n%s", mech, res.stdout)
		}
		for _, tok := range []string{access, refresh} {
			if tok == "" || strings.Contains(res.stdout+res.stderr, tok) {
				t.Fatalf("a token (%d bytes) is in the output of send -v", len(tok))
			}
		}
	}
	// The held job went out with the first send's delivery too: three mails in all.
	if n := r.relayedCount(); n != 3 {
		t.Fatalf("%d mails relayed, want 3", n)
	}
	if r.idp.SignIns() != 1 || r.idp.Refreshes() < 2 {
		t.Fatalf("%d sign-ins and %d refreshes; want 1 sign-in and a refresh per session", r.idp.SignIns(), r.idp.Refreshes())
	}
	chk := r.run(t, "check", "-config", r.cfg)
	if chk.code != 0 || !strings.Contains(chk.stdout, "Signed in as "+oauthUser) || !strings.Contains(chk.stdout, "accepted") {
		t.Fatalf("check: exit %d\n%s\n%s", chk.code, chk.stdout, chk.stderr)
	}

	// The sign-in is revoked at the provider: the next job is held with "Sign in again".
	r.idp.Revoke(oauthUser)
	res = r.run(t, "send", "-config", r.cfg, "--to", "sales@example.com", r.scan)
	if res.code != exitFail || !strings.Contains(res.stderr, "sign in again") {
		t.Fatalf("send after the revocation: exit %d\n%s", res.code, res.stderr)
	}
	if q := r.run(t, "queue", "-config", r.cfg); !strings.Contains(q.stdout, "Sign in again") {
		t.Fatalf("queue after the revocation:\n%s", q.stdout)
	}

	// gateway run keeps the job held; a new sign-in from another process releases it.
	ctx, cancel := context.WithTimeout(t.Context(), hangGuard)
	defer cancel()
	daemon := r.command(ctx, "run", "--board", "none", "-config", r.cfg)
	var daemonLog bytes.Buffer
	daemon.Stderr = &daemonLog
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		daemon.Process.Signal(syscall.SIGTERM)
		daemon.Wait()
	}()
	time.Sleep(time.Second)
	if n := r.relayedCount(); n != 3 {
		t.Fatalf("a held job went out before the new sign-in: %d mails", n)
	}
	if res := r.signIn(t, true); res.code != 0 {
		t.Fatalf("second signin: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for deadline := time.Now().Add(time.Minute); r.relayedCount() < 4; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the held job did not go out after the new sign-in; run's log:\n%s", daemonLog.String())
		}
	}

	// A refused sign-in says so, and leaves the stored one alone.
	res = r.signIn(t, false)
	if res.code != exitFail || !strings.Contains(res.stderr, "Sign-in refused") {
		t.Fatalf("refused signin: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if chk := r.run(t, "check", "-config", r.cfg); chk.code != 0 {
		t.Fatalf("check after a refused sign-in: exit %d\n%s", chk.code, chk.stdout)
	}
}
