package smtptest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// DefaultDovecotMechanisms are the mechanisms a Dovecot instance offers when DovecotConfig.Mechanisms is nil.
var DefaultDovecotMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}

// DovecotConfig describes a private Dovecot submission server.
type DovecotConfig struct {
	// Users are the accounts (passwd-file) and their passwords.
	Users map[string]string
	// Mechanisms is auth_mechanisms; nil means DefaultDovecotMechanisms.
	Mechanisms []string
	// Relay is the host:port of the SMTP server that Dovecot's submission service hands accepted mail to
	// (Dovecot stores nothing itself): it must offer STARTTLS (its certificate is not checked) and, when
	// RelayUser is set, accept AUTH PLAIN with RelayUser and RelayPassword.
	Relay                    string
	RelayUser, RelayPassword string
	// OAuth2, when set, makes the instance also take OAuth 2.0 bearer tokens (XOAUTH2, OAUTHBEARER), checked
	// with the authorization server's token introspection.
	OAuth2 *DovecotOAuth2
}

// Dovecot is a running private Dovecot submission service (RFC 6409) on 127.0.0.1: a second real SMTP AUTH
// server beside Postfix, with its own SASL implementation.
type Dovecot struct {
	// StartTLSAddr is the submission port (STARTTLS); TLSAddr the implicit-TLS port.
	StartTLSAddr, TLSAddr string
	// CAPEM is the authority of the server certificate (for "localhost" and 127.0.0.1); CAFile holds the same.
	CAPEM  []byte
	CAFile string
	// Dir is the instance's private directory: configuration, run directory, log.
	Dir string

	cfg     DovecotConfig
	cmd     *exec.Cmd
	exited  chan error // receives the master's exit once it runs
	logFile string
}

// CertPool returns a pool holding the instance's certificate authority.
func (d *Dovecot) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(d.CAPEM)
	return pool
}

// Log returns the instance's log so far.
func (d *Dovecot) Log() string {
	b, _ := os.ReadFile(d.logFile)
	return string(b)
}

// StartDovecot starts a private Dovecot (Debian: dovecot-core dovecot-submissiond) with its own configuration
// in a directory of the test, and stops it, by PID, when the test ends. It must run as root, as Dovecot's
// master does. When Dovecot is not installed or the test does not run as root, the test stops as
// toolrun.Unavailable decides: skipped, or failed under SCANGATE_INTEGRATION=1.
func StartDovecot(t testing.TB, cfg DovecotConfig) *Dovecot {
	t.Helper()
	toolrun.Need(t, "dovecot", "/usr/lib/dovecot/submission")
	toolrun.NeedRoot(t, "Dovecot's master starts as root")
	bin := toolrun.Path(t, "dovecot")
	if cfg.Mechanisms == nil {
		cfg.Mechanisms = DefaultDovecotMechanisms
	}
	d := &Dovecot{Dir: t.TempDir(), cfg: cfg}
	if err := d.prepare(); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	startServer(t, "Dovecot", d.Dir, d.Log, func() error { return d.start(bin) }, d.stop)
	return d
}

// prepare writes the certificate and the users. The auth process reads the passwd-file as the dovecot user,
// so the directories above it must let others through.
func (d *Dovecot) prepare() error {
	if err := openToDaemons(d.Dir, "dovecot"); err != nil {
		return err
	}
	d.logFile = filepath.Join(d.Dir, "dovecot.log")
	d.CAFile = filepath.Join(d.Dir, "ca.pem")
	for _, sub := range []string{"run", "state"} {
		if err := os.Mkdir(filepath.Join(d.Dir, sub), 0o755); err != nil {
			return err
		}
	}
	ca, chain, err := newPostfixCertificate(time.Now())
	if err != nil {
		return err
	}
	d.CAPEM = ca
	if err := os.WriteFile(d.CAFile, ca, 0o644); err != nil {
		return err
	}
	// Dovecot takes the key and the certificate from separate files; the chain holds the key first.
	var key, cert []byte
	for rest := chain; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			cert = append(cert, pem.EncodeToMemory(b)...)
		} else {
			key = append(key, pem.EncodeToMemory(b)...)
		}
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "key.pem"), key, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "cert.pem"), cert, 0o644); err != nil {
		return err
	}
	var users strings.Builder
	for _, name := range slices.Sorted(maps.Keys(d.cfg.Users)) {
		pw := d.cfg.Users[name]
		if strings.ContainsAny(name+pw, ":\n") {
			return fmt.Errorf("user %q: no ':' or newline in a passwd-file", name)
		}
		fmt.Fprintf(&users, "%s:{PLAIN}%s\n", name, pw)
	}
	if err := os.WriteFile(filepath.Join(d.Dir, "passwd"), []byte(users.String()), 0o644); err != nil {
		return err
	}
	return d.writeOAuth2Conf()
}

// start picks two free ports, writes the configuration for them, starts the master in the foreground (our
// child, so that stop can end it by PID) and waits for both ports to greet.
func (d *Dovecot) start(bin string) error {
	unlock, err := lockPostfixPorts() // the same lock keeps two instances of either server off the same ports
	if err != nil {
		return err
	}
	defer unlock()
	ports, err := postfixFreePorts(2)
	if err != nil {
		return err
	}
	d.StartTLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	d.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	conf := filepath.Join(d.Dir, "dovecot.conf")
	if err := os.WriteFile(conf, []byte(d.conf(ports)), 0o644); err != nil {
		return err
	}
	out, err := os.Create(filepath.Join(d.Dir, "master.out"))
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(bin, "-F", "-c", conf)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	d.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(postfixStartTimeout)
	for _, addr := range []string{d.StartTLSAddr, d.TLSAddr} {
		for {
			err := greets(addr, addr == d.TLSAddr, d.CertPool(), 5*time.Second)
			if err == nil {
				break
			}
			select {
			case werr := <-exited:
				b, _ := os.ReadFile(out.Name())
				exited <- werr
				return fmt.Errorf("dovecot exited: %v: %s", werr, bytes.TrimSpace(b))
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no greeting on %s within %v: %w", addr, postfixStartTimeout, err)
			}
			time.Sleep(postfixPollInterval)
		}
	}
	d.exited = exited
	return nil
}

// conf is the instance's dovecot.conf: the submission service only, on 127.0.0.1, users from the passwd-file
// (and tokens checked by introspection, with cfg.OAuth2), accepted mail relayed to cfg.Relay.
func (d *Dovecot) conf(ports []int) string {
	dir := d.Dir
	relayHost, relayPort, _ := net.SplitHostPort(d.cfg.Relay)
	var b strings.Builder
	fmt.Fprintf(&b, `base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[2]s
instance_name = smtptest-%[3]d
protocols = submission
listen = 127.0.0.1
hostname = localhost
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
first_valid_uid = 1
mail_location = maildir:%[1]s/home/%%n/Maildir
# No delay after a failed login, and no penalty growing with each (anvil's), which would slow the tests.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
auth_mechanisms = %[4]s
%[7]suserdb {
  driver = static
  args = uid=dovecot gid=dovecot home=%[1]s/home/%%n
}
submission_relay_host = %[5]s
submission_relay_port = %[6]s
submission_relay_ssl = starttls
submission_relay_ssl_verify = no
`, dir, d.logFile, ports[0], strings.ToLower(strings.Join(d.authMechanisms(), " ")), relayHost, relayPort,
		d.passdbs())
	if d.cfg.RelayUser != "" {
		fmt.Fprintf(&b, "submission_relay_user = %s\nsubmission_relay_password = %s\n", d.cfg.RelayUser, d.cfg.RelayPassword)
	}
	fmt.Fprintf(&b, `service submission-login {
  inet_listener submission {
    address = 127.0.0.1
    port = %d
  }
  inet_listener submissions {
    address = 127.0.0.1
    port = %d
    ssl = yes
  }
}
`, ports[0], ports[1])
	return b.String()
}

// stop ends the master by its PID with SIGTERM (it stops its children), and kills its process group if it is
// still there after postfixStopTimeout.
func (d *Dovecot) stop() error {
	if d.cmd == nil || d.cmd.Process == nil {
		return nil
	}
	pid := d.cmd.Process.Pid
	exited := d.exited
	d.cmd, d.exited = nil, nil
	if exited == nil { // start failed: its waiter already reported or is about to
		syscall.Kill(-pid, syscall.SIGKILL)
		return nil
	}
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(postfixStopTimeout):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
		return errors.New("the Dovecot master ignored SIGTERM and was killed")
	}
	if !waitPostfixGroupGone(pid) {
		syscall.Kill(-pid, syscall.SIGKILL)
		return fmt.Errorf("children of the Dovecot master %d outlived it", pid)
	}
	return nil
}
