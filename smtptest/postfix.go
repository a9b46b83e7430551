package smtptest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// Timeouts and pacing of the Postfix harness.
const (
	// postfixStartTimeout bounds one `postfix start` (its integrity checks and the master's initialisation) and,
	// separately, the wait for the first greeting on each port.
	postfixStartTimeout = 60 * time.Second
	// postfixStopTimeout bounds the wait for the master to exit after SIGTERM, and again after SIGKILL.
	postfixStopTimeout = 10 * time.Second
	// postfixSaslpasswdTimeout bounds one run of saslpasswd2.
	postfixSaslpasswdTimeout = 30 * time.Second
	// postfixPollInterval is how often WaitDelivered looks at the Maildir and the stop looks at the master again.
	postfixPollInterval = 10 * time.Millisecond
	// postfixPortLockTimeout bounds the wait for other instances, in this or other test processes, to finish starting
	// (see postfixPortLock).
	postfixPortLockTimeout = 5 * time.Minute
	// postfixStartAttempts is how often StartPostfix picks new ports when a port it chose was taken before the
	// master could bind it.
	postfixStartAttempts = 3
)

// DefaultRealm is the SASL realm of the users when PostfixConfig.Realm is empty.
const DefaultRealm = "smtptest.invalid"

// DefaultMechanisms are the SASL mechanisms a Postfix instance offers when PostfixConfig.Mechanisms is nil; Cyrus
// SASL serves each of them from the sasldb. Postfix offers no SCRAM -PLUS variant (it hands Cyrus no channel
// binding), nor EXTERNAL, XOAUTH2 or OAUTHBEARER.
var DefaultMechanisms = []string{"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}

// PostfixConfig says how StartPostfix sets up its private Postfix instance.
type PostfixConfig struct {
	// Users are the SASL users (names without realm) and their passwords, stored in the instance's sasldb.
	Users map[string]string
	// Realm is the users' SASL realm (smtpd_sasl_local_domain); empty means DefaultRealm.
	Realm string
	// Mechanisms is Cyrus SASL's mech_list, the mechanisms offered after TLS; nil means DefaultMechanisms.
	Mechanisms []string
	// MessageSizeLimit is message_size_limit in octets, advertised as SIZE; 0 means Postfix's default (10240000).
	MessageSizeLimit int64
	// Main holds further main.cf parameters. They are written last and override the harness's own settings.
	Main map[string]string
}

// Postfix is a running private Postfix instance that accepts authenticated submissions on 127.0.0.1 and
// delivers every recipient into one Maildir.
type Postfix struct {
	// StartTLSAddr is the host:port of the submission port: plain SMTP on which every command but EHLO, HELO,
	// NOOP, QUIT and STARTTLS is refused until TLS is up.
	StartTLSAddr string
	// TLSAddr is the host:port of the implicit-TLS port (submissions over TLS, RFC 8314).
	TLSAddr string
	// CAPEM is the certificate authority that issued the server certificate (for "localhost" and 127.0.0.1),
	// PEM-encoded; CAFile holds the same for tools that take a file.
	CAPEM  []byte
	CAFile string
	// Maildir is where delivered mail lands (new/ holds the messages).
	Maildir string
	// Realm is the users' SASL realm.
	Realm string
	// Dir is the instance's private directory: configuration, queue, logs.
	Dir string

	cfg     PostfixConfig // with defaults filled in
	tools   postfixTools
	ids     postfixIDs
	logFile string
	pidFile string
}

// CertPool returns a pool holding the certificate authority of the instance's server certificate.
func (p *Postfix) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CAPEM)
	return pool
}

// Log returns the instance's mail log (Postfix's maillog_file), for failure messages.
func (p *Postfix) Log() string {
	b, err := os.ReadFile(p.logFile)
	if err != nil {
		return fmt.Sprintf("(no mail log: %v)", err)
	}
	return string(b)
}

// postfixTools are the programs StartPostfix runs.
type postfixTools struct{ postfix, saslpasswd2 string }

// postfixPeers are what StartPostfix needs from the machine: Postfix, the Cyrus tool that writes the sasldb,
// and the Cyrus plugins of the mechanisms and of the sasldb.
var postfixPeers = []string{"postfix", "saslpasswd2", "/usr/lib/*/sasl2/libplain.so*", "/usr/lib/*/sasl2/libsasldb.so*"}

// postfixIDs are the numeric ids of Postfix's own accounts.
type postfixIDs struct {
	uid, gid int // mail_owner "postfix" and its group
}

func lookupPostfixIDs() (postfixIDs, error) {
	u, err := user.Lookup("postfix")
	if err != nil {
		return postfixIDs{}, err
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return postfixIDs{}, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return postfixIDs{}, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return postfixIDs{}, err
	}
	return postfixIDs{uid, gid}, nil
}

// StartPostfix sets up a private Postfix instance under t.TempDir() and starts it; t.Cleanup stops it.
//
// The instance listens on 127.0.0.1 only, on two free ports: StartTLSAddr (STARTTLS required before anything
// else, AUTH only after TLS) and TLSAddr (implicit TLS). It authenticates the users of cfg with Cyrus SASL from a
// private sasldb, relays for authenticated clients only, delivers every recipient of every domain into Maildir
// and never sends mail anywhere. When Postfix or Cyrus SASL is not installed, or the test does not run as root
// (the master must start as root), the test stops as toolrun.Unavailable decides: skipped, or failed under
// SCANGATE_INTEGRATION=1.
func StartPostfix(t testing.TB, cfg PostfixConfig) *Postfix {
	t.Helper()
	toolrun.Need(t, postfixPeers...)
	ids, err := lookupPostfixIDs()
	if err != nil {
		toolrun.Unavailable(t, fmt.Sprintf("needs the postfix user and postdrop group (Debian: postfix): %v", err))
	}
	toolrun.NeedRoot(t, "Postfix's master starts as root")
	tools := postfixTools{postfix: toolrun.Path(t, "postfix"), saslpasswd2: toolrun.Path(t, "saslpasswd2")}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if cfg.Mechanisms == nil {
		cfg.Mechanisms = DefaultMechanisms
	}

	p := &Postfix{Dir: t.TempDir(), Realm: cfg.Realm, cfg: cfg, tools: tools, ids: ids}
	if err := p.prepare(); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	startServer(t, "Postfix", p.Dir, p.Log, p.start, p.stop)
	for _, addr := range []string{p.StartTLSAddr, p.TLSAddr} {
		if err := p.awaitGreeting(addr); err != nil {
			t.Fatalf("smtptest: Postfix does not greet on %s: %v\nmail log:\n%s", addr, err, p.Log())
		}
	}
	return p
}

// startServer calls start until the server runs, and has it stopped when the test ends. start chooses free
// ports each time: another program may take one between the choice and the bind, and then, after stop undoes
// the half start, start tries again. log is the server's log, for failure messages.
func startServer(t testing.TB, name, dir string, log func() string, start func() error, stop func() error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		logged := len(log())
		err := start()
		if err == nil {
			break
		}
		stop()
		if attempt == postfixStartAttempts || !strings.Contains(log()[logged:], "Address already in use") {
			t.Fatalf("smtptest: starting %s in %s: %v\nlog:\n%s", name, dir, err, log())
		}
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("smtptest: %v\nlog:\n%s", err, log())
		}
	})
}

// prepare writes everything but the ports: directories, certificate, SASL configuration and users.
func (p *Postfix) prepare() error {
	// The daemons run as postfix and open the sasldb and the Maildir by absolute path.
	if err := openToDaemons(p.Dir, "postfix"); err != nil {
		return err
	}
	etc := filepath.Join(p.Dir, "etc")
	p.logFile = filepath.Join(p.Dir, "maillog")
	p.pidFile = filepath.Join(p.Dir, "queue", "pid", "master.pid")
	p.Maildir = filepath.Join(p.Dir, "maildir")
	p.CAFile = filepath.Join(etc, "ca.pem")

	// queue_directory must be owned by root, data_directory by postfix; post-install creates the queue's
	// subdirectories with their owners at start. The Maildir is written by the virtual agent as postfix.
	for _, d := range []struct {
		path     string
		mode     os.FileMode
		uid, gid int
	}{
		{etc, 0o755, 0, 0},
		{filepath.Join(p.Dir, "queue"), 0o755, 0, 0},
		{filepath.Join(p.Dir, "data"), 0o700, p.ids.uid, p.ids.gid},
		{p.Maildir, 0o700, p.ids.uid, p.ids.gid},
		{filepath.Join(p.Maildir, "tmp"), 0o700, p.ids.uid, p.ids.gid},
		{filepath.Join(p.Maildir, "new"), 0o700, p.ids.uid, p.ids.gid},
		{filepath.Join(p.Maildir, "cur"), 0o700, p.ids.uid, p.ids.gid},
	} {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return err
		}
		if err := os.Chown(d.path, d.uid, d.gid); err != nil {
			return err
		}
	}

	ca, chain, err := newPostfixCertificate(time.Now())
	if err != nil {
		return err
	}
	p.CAPEM = ca
	if err := os.WriteFile(p.CAFile, ca, 0o644); err != nil {
		return err
	}
	// smtpd reads its key as root before it drops privileges.
	if err := os.WriteFile(filepath.Join(etc, "tls.pem"), chain, 0o600); err != nil {
		return err
	}

	// Cyrus reads smtpd.conf (smtpd_sasl_path) from cyrus_sasl_config_path; Debian's Postfix looks in
	// $config_directory/sasl whatever that parameter says, so the file goes where both find it.
	sasldb := filepath.Join(etc, "sasldb2")
	smtpdConf := fmt.Sprintf("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: %s\nsasldb_path: %s\n",
		strings.Join(p.cfg.Mechanisms, " "), sasldb)
	if err := os.Mkdir(filepath.Join(etc, "sasl"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(etc, "sasl", "smtpd.conf"), []byte(smtpdConf), 0o644); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(p.cfg.Users))
	for _, name := range names {
		if err := postfixSaslpasswd(p.tools.saslpasswd2, sasldb, p.Realm, name, p.cfg.Users[name]); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		return nil
	}
	// smtpd opens the sasldb as postfix, after dropping privileges.
	if err := os.Chown(sasldb, 0, p.ids.gid); err != nil {
		return err
	}
	return os.Chmod(sasldb, 0o640)
}

// openToDaemons lets a server's unprivileged processes (user) reach dir, a t.TempDir() (made 0700): dir and
// its parent become searchable by others, and every directory above them must already be.
func openToDaemons(dir, user string) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		return err
	}
	if err := postfixSearchable(filepath.Dir(filepath.Dir(dir))); err != nil {
		return fmt.Errorf("%w (the %s user must reach %s; set TMPDIR elsewhere)", err, user, dir)
	}
	return nil
}

// postfixSearchable checks that every directory from dir up to / lets others through (o+x).
func postfixSearchable(dir string) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if fi.Mode()&0o001 == 0 {
			return fmt.Errorf("directory %s is not searchable by others (mode %v)", dir, fi.Mode().Perm())
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// postfixSaslpasswd adds one user to the sasldb, creating it if needed. The password goes through a pipe, never on the
// command line.
func postfixSaslpasswd(bin, db, realm, name, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), postfixSaslpasswdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-p", "-f", db, "-c", "-u", realm, name)
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("saslpasswd2 %s@%s: %w: %s", name, realm, err, bytes.TrimSpace(out))
	}
	return nil
}

// start picks two free ports, writes main.cf and master.cf for them and starts the master.
func (p *Postfix) start() error {
	unlock, err := lockPostfixPorts()
	if err != nil {
		return err
	}
	defer unlock()
	ports, err := postfixFreePorts(2)
	if err != nil {
		return err
	}
	p.StartTLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	p.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	etc := filepath.Join(p.Dir, "etc")
	if err := os.WriteFile(filepath.Join(etc, "main.cf"), []byte(p.mainCF()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(etc, "master.cf"), []byte(p.masterCF()), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), postfixStartTimeout)
	defer cancel()
	// postfix start returns once the master has bound its ports ("master -w"). Its output goes to a file, not a
	// pipe: the daemon it leaves behind must not hold a pipe that Wait would wait on.
	out, err := os.Create(filepath.Join(p.Dir, "start.out"))
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, p.tools.postfix, "-c", etc, "start")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		return fmt.Errorf("postfix start: %w: %s", err, bytes.TrimSpace(b))
	}
	return nil
}

// mainCF is the instance's main.cf.
func (p *Postfix) mainCF() string {
	params := [][2]string{
		{"compatibility_level", "3.6"},
		// A private instance: its own queue, data, log; nothing shared with a system instance.
		{"queue_directory", filepath.Join(p.Dir, "queue")},
		{"data_directory", filepath.Join(p.Dir, "data")},
		{"maillog_file", p.logFile},
		{"maillog_file_prefixes", p.Dir},
		{"mail_owner", "postfix"},
		{"setgid_group", "postdrop"},
		{"myhostname", "mail." + DefaultRealm},
		{"mydomain", DefaultRealm},
		{"inet_interfaces", "127.0.0.1"},
		{"inet_protocols", "ipv4"},
		{"smtpd_banner", "$myhostname ESMTP smtptest"},
		{"biff", "no"},
		{"readme_directory", "no"},
		{"alias_maps", ""},
		{"alias_database", ""},
		// Every recipient of every domain goes into the one Maildir; nothing is delivered locally or sent out.
		{"mydestination", ""},
		{"relay_domains", ""},
		{"local_transport", "error:5.1.1 local delivery is disabled"},
		{"default_transport", "error:5.7.1 outbound mail is disabled"},
		{"relay_transport", "$default_transport"},
		{"virtual_mailbox_domains", "static:all"},
		{"virtual_mailbox_base", p.Dir},
		{"virtual_mailbox_maps", "static:maildir/"},
		{"virtual_uid_maps", "static:" + strconv.Itoa(p.ids.uid)},
		{"virtual_gid_maps", "static:" + strconv.Itoa(p.ids.gid)},
		{"virtual_minimum_uid", "1"},
		{"virtual_mailbox_limit", "0"},
		// Submission: TLS before anything else, then AUTH, then relaying for authenticated clients only.
		{"smtpd_tls_chain_files", filepath.Join(p.Dir, "etc", "tls.pem")},
		{"smtpd_tls_security_level", "encrypt"},
		{"smtpd_tls_auth_only", "yes"},
		{"smtpd_sasl_auth_enable", "yes"},
		{"smtpd_sasl_type", "cyrus"},
		{"smtpd_sasl_path", "smtpd"},
		{"cyrus_sasl_config_path", filepath.Join(p.Dir, "etc", "sasl")},
		{"smtpd_sasl_local_domain", p.Realm},
		{"smtpd_sasl_security_options", "noanonymous"},
		{"smtpd_client_restrictions", "permit_sasl_authenticated, reject"},
		{"smtpd_relay_restrictions", "permit_sasl_authenticated, reject"},
		// Clients on 127.0.0.1 would count as local and have their headers rewritten and completed (Date,
		// Message-Id); treat them as the remote clients they stand for, whose messages pass unchanged.
		{"local_header_rewrite_clients", ""},
	}
	if p.cfg.MessageSizeLimit > 0 {
		params = append(params, [2]string{"message_size_limit", strconv.FormatInt(p.cfg.MessageSizeLimit, 10)})
	}
	for _, k := range slices.Sorted(maps.Keys(p.cfg.Main)) {
		params = setPostfixParam(params, k, p.cfg.Main[k])
	}
	var b strings.Builder
	b.WriteString("# Private Postfix instance of a test (package smtptest).\n")
	for _, kv := range params {
		fmt.Fprintf(&b, "%s = %s\n", kv[0], kv[1])
	}
	return b.String()
}

// setPostfixParam replaces the value of parameter k, or appends it.
func setPostfixParam(params [][2]string, k, v string) [][2]string {
	for i := range params {
		if params[i][0] == k {
			params[i][1] = v
			return params
		}
	}
	return append(params, [2]string{k, v})
}

// masterCF is the instance's master.cf: the two submission ports and the internal services mail needs on its
// way to the virtual delivery agent. Nothing runs chrooted: the instance's paths are absolute and outside any
// chroot.
func (p *Postfix) masterCF() string {
	return `# service type  private unpriv  chroot  wakeup  maxproc command
` + p.StartTLSAddr + ` inet n - n - - smtpd
  -o syslog_name=postfix/submission
` + p.TLSAddr + ` inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
pickup     unix n - n 60 1 pickup
cleanup    unix n - n - 0 cleanup
qmgr       unix n - n 300 1 qmgr
tlsmgr     unix - - n 1000? 1 tlsmgr
rewrite    unix - - n - - trivial-rewrite
bounce     unix - - n - 0 bounce
defer      unix - - n - 0 bounce
trace      unix - - n - 0 bounce
verify     unix - - n - 1 verify
flush      unix n - n 1000? 0 flush
proxymap   unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
showq      unix n - n - - showq
error      unix - - n - - error
retry      unix - - n - - error
discard    unix - - n - - discard
virtual    unix - n n - - virtual
anvil      unix - - n - 1 anvil
scache     unix - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
`
}

// awaitGreeting connects to addr and reads the 220 greeting, through TLS on the implicit-TLS port. It proves that
// smtpd starts and loads its certificate.
func (p *Postfix) awaitGreeting(addr string) error {
	return greets(addr, addr == p.TLSAddr, p.CertPool(), postfixStartTimeout)
}

// greets connects to addr, through TLS verified with pool when implicitTLS, reads a 220 greeting and says QUIT,
// all within timeout.
func greets(addr string, implicitTLS bool, pool *x509.CertPool, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if implicitTLS {
		tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: "localhost"})
		if err := tc.Handshake(); err != nil {
			return err
		}
		c = tc
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220 ") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	_, err = c.Write([]byte("QUIT\r\n"))
	return err
}
