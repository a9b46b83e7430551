package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/spool"
)

func TestRelayAllowedSendsWithoutAuth(t *testing.T) {
	r := startTest(t, true)
	c := dial(t, r.addr)
	caps := ehlo(c)
	for _, want := range []string{"STARTTLS", "AUTH PLAIN LOGIN", "SIZE 26214400", "PIPELINING"} {
		if !strings.Contains(caps, want) {
			t.Errorf("EHLO does not offer %q:\n%s", want, caps)
		}
	}
	msg := message("allowed", 3)
	if code, text := c.send("mfp@office.example", "sales@example.com", msg); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	jobs := r.core.Jobs()
	if len(jobs) != 1 || !bytes.Equal(jobs[0].data, msg) {
		t.Fatalf("jobs %+v", jobs)
	}
	if e := jobs[0].env; e.From != "mfp@office.example" || len(e.To) != 1 || !strings.HasPrefix(e.Peer, "127.0.0.1:") || e.User != "" {
		t.Errorf("envelope %+v", e)
	}
	if st := r.Stats(); st.Today != 1 || st.Total != 1 || st.Day != time.Now().Format(time.DateOnly) {
		t.Errorf("stats %+v", st)
	}
	if l := r.log.String(); !strings.Contains(l, "relay: message accepted") || !strings.Contains(l, "job=1") {
		t.Errorf("log: %s", l)
	}
}

func TestRelayCleartextAuthRefused(t *testing.T) {
	r := startTest(t, false)
	c := dial(t, r.addr)
	caps := ehlo(c)
	if strings.Contains(caps, "AUTH") || !strings.Contains(caps, "STARTTLS") {
		t.Fatalf("before STARTTLS a peer outside allow is offered:\n%s", caps)
	}
	if code, text := c.authPlain(testUser, testPassword); code != 538 || !strings.HasPrefix(text, "5.7.11") {
		t.Errorf("cleartext AUTH PLAIN: %d %s", code, text)
	}
	if code, text := c.cmd("AUTH LOGIN"); code != 538 {
		t.Errorf("cleartext AUTH LOGIN: %d %s", code, text)
	}
	if code, text := c.cmd("MAIL FROM:<a@b.example>"); code != 530 || !strings.HasPrefix(text, "5.7.0") {
		t.Errorf("MAIL without AUTH: %d %s", code, text)
	}
	// Over TLS the same peer logs in and sends.
	if err := c.startTLS(nil); err != nil {
		t.Fatal(err)
	}
	if code, text := c.cmd("MAIL FROM:<a@b.example>"); code != 530 {
		t.Errorf("MAIL without AUTH over TLS: %d %s", code, text)
	}
	if code, text := c.authPlain(testUser, testPassword); code != 235 {
		t.Fatalf("AUTH PLAIN over TLS: %d %s", code, text)
	}
	if code, text := c.send("a@b.example", "sales@example.com", message("tls", 1)); code != 250 {
		t.Fatalf("DATA: %d %s", code, text)
	}
	if j := r.core.Jobs(); len(j) != 1 || j[0].env.User != testUser {
		t.Fatalf("jobs %+v", j)
	}
}

func TestRelayAuthLoginAndLockout(t *testing.T) {
	r := startTest(t, false)
	c := dial(t, r.addr)
	ehlo(c)
	if err := c.startTLS(nil); err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	// LOGIN with its prompts, wrong password.
	if code, text := c.cmd("AUTH LOGIN"); code != 334 || text != b64("Username:") {
		t.Fatalf("AUTH LOGIN: %d %s", code, text)
	}
	if code, text := c.cmd("%s", b64(testUser)); code != 334 || text != b64("Password:") {
		t.Fatalf("user: %d %s", code, text)
	}
	if code, text := c.cmd("%s", b64("wrong")); code != 535 || !strings.HasPrefix(text, "5.7.8") {
		t.Fatalf("wrong password: %d %s", code, text)
	}
	// Four more failures (PLAIN, LOGIN with an initial response, an unknown user) lock the address out.
	for i := range 4 {
		var code int
		var text string
		if i%2 == 1 {
			c.must(334, "AUTH LOGIN %s", b64("nobody"))
			code, text = c.cmd("%s", b64(testPassword))
		} else {
			code, text = c.authPlain(testUser, "wrong too")
		}
		if code != 535 {
			t.Fatalf("failure %d: %d %s", i+2, code, text)
		}
	}
	if code, text := c.authPlain(testUser, testPassword); code != 454 || !strings.HasPrefix(text, "4.7.0") {
		t.Fatalf("locked out, the right password: %d %s", code, text)
	}
	// A new connection from the same address is locked out too; ten minutes later it is not.
	c2 := dial(t, r.addr)
	ehlo(c2)
	c2.startTLS(nil)
	if code, _ := c2.authPlain(testUser, testPassword); code != 454 {
		t.Fatalf("new connection while locked out: %d", code)
	}
	r.mu.Lock()
	for k := range r.locked {
		r.locked[k] = time.Now().Add(-time.Second)
	}
	r.mu.Unlock()
	if code, text := c2.authPlain(testUser, testPassword); code != 235 {
		t.Fatalf("after the lockout: %d %s", code, text)
	}
	log := r.log.String()
	if strings.Count(log, "relay: login refused") != 5 || strings.Contains(log, "wrong") || strings.Contains(log, testPassword) {
		t.Errorf("log:\n%s", log)
	}
}

func TestRelayTooLarge(t *testing.T) {
	r := startWith(t, &fakeCore{max: 1 << 20}, true)
	c := dial(t, r.addr)
	if caps := ehlo(c); !strings.Contains(caps, "SIZE 1048576") {
		t.Fatalf("EHLO: %s", caps)
	}
	if code, text := c.cmd("MAIL FROM:<a@b.example> SIZE=3145728"); code != 552 || !strings.HasPrefix(text, "5.3.4") {
		t.Fatalf("MAIL SIZE=3 MB: %d %s", code, text)
	}
	big := message("big", 3<<20/40)
	if code, text := c.send("a@b.example", "s@example.com", big); code != 552 || !strings.HasPrefix(text, "5.3.4") {
		t.Fatalf("3 MB DATA: %d %s", code, text)
	}
	// The session goes on: a small message is taken.
	if code, text := c.send("a@b.example", "s@example.com", message("small", 2)); code != 250 {
		t.Fatalf("after the refusal: %d %s", code, text)
	}
	if n := len(r.core.Jobs()); n != 1 {
		t.Fatalf("%d jobs", n)
	}
}

func TestRelaySpoolFull(t *testing.T) {
	r := startTest(t, true)
	r.core.full = true
	c := dial(t, r.addr)
	ehlo(c)
	if code, text := c.cmd("MAIL FROM:<a@b.example>"); code != 452 || !strings.HasPrefix(text, "4.3.1") {
		t.Fatalf("MAIL with the spool full: %d %s", code, text)
	}
	// Room at MAIL, none at the end of DATA.
	r.core.mu.Lock()
	r.core.full = false
	r.core.mu.Unlock()
	c.must(250, "MAIL FROM:<a@b.example>")
	c.must(250, "RCPT TO:<s@example.com>")
	r.core.mu.Lock()
	r.core.full = true
	r.core.mu.Unlock()
	c.must(354, "DATA")
	w := c.text.DotWriter()
	w.Write(message("full", 2))
	w.Close()
	if code, text := c.reply(); code != 452 || !strings.HasPrefix(text, "4.3.1") {
		t.Fatalf("DATA with the spool full: %d %s", code, text)
	}
	if n := len(r.core.Jobs()); n != 0 {
		t.Fatalf("%d jobs kept", n)
	}
}

func TestRelayDataCutOff(t *testing.T) {
	r := startTest(t, true)
	c := dial(t, r.addr)
	ehlo(c)
	c.must(250, "MAIL FROM:<a@b.example>")
	c.must(250, "RCPT TO:<s@example.com>")
	c.must(354, "DATA")
	c.conn.Write([]byte("Subject: half\r\n\r\nthe first half of a scan\r\n"))
	c.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		n := len(r.conns)
		r.mu.Unlock()
		if n == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.Close()
	if n := len(r.core.Jobs()); n != 0 {
		t.Fatalf("a DATA cut off left %d jobs", n)
	}
}

func TestRelayTooManyRecipients(t *testing.T) {
	r := startTest(t, true)
	c := dial(t, r.addr)
	ehlo(c)
	c.must(250, "MAIL FROM:<a@b.example>")
	for i := range MaxRecipients {
		c.must(250, "RCPT TO:<r%d@example.com>", i)
	}
	if code, text := c.cmd("RCPT TO:<one.more@example.com>"); code != 452 {
		t.Fatalf("recipient %d: %d %s", MaxRecipients+1, code, text)
	}
}

func TestRelayConnectionsPerPeer(t *testing.T) {
	r := startTest(t, true)
	for range MaxConnsPerPeer {
		dial(t, r.addr)
	}
	c, err := netDial(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 100)
	n, _ := c.Read(b)
	if !strings.HasPrefix(string(b[:n]), "421 4.7.0") {
		t.Fatalf("connection %d: %q", MaxConnsPerPeer+1, b[:n])
	}
}

func TestRelayLegacyTLS(t *testing.T) {
	old := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}
	for _, legacy := range []bool{false, true} {
		r := startTest(t, false, func(o *Options) { o.LegacyTLS = legacy })
		c := dial(t, r.addr)
		ehlo(c)
		err := c.startTLS(old)
		if legacy != (err == nil) {
			t.Fatalf("legacy_tls %v: a TLS 1.0 client: %v", legacy, err)
		}
		if legacy {
			if st := c.conn.(*tls.Conn).ConnectionState(); st.Version != tls.VersionTLS10 {
				t.Errorf("version %x", st.Version)
			}
			if code, text := c.authPlain(testUser, testPassword); code != 235 {
				t.Errorf("AUTH over TLS 1.0: %d %s", code, text)
			}
		}
		// A current client is taken either way, with TLS 1.3.
		c2 := dial(t, r.addr)
		ehlo(c2)
		if err := c2.startTLS(nil); err != nil {
			t.Fatal(err)
		}
		if v := c2.conn.(*tls.Conn).ConnectionState().Version; v != tls.VersionTLS13 {
			t.Errorf("version %x", v)
		}
	}
}

func TestRelayCertificateMadeAndKept(t *testing.T) {
	dir := t.TempDir()
	o := func(o *Options) { o.StateDir = dir }
	if _, made, err := Fingerprint(Options{StateDir: dir}); made || err != nil {
		t.Fatalf("before the first start: made %v, %v", made, err)
	}
	r := startTest(t, false, o)
	fp := r.Fingerprint()
	if len(fp) != 95 || strings.ToUpper(fp) != fp {
		t.Fatalf("fingerprint %q", fp)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	c := dial(t, r.addr)
	ehlo(c)
	var leaf *x509.Certificate
	if err := c.startTLS(&tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		leaf = cs.PeerCertificates[0]
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if fingerprint(leaf.Raw) != fp {
		t.Errorf("the certificate offered is not the one of the fingerprint")
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA || leaf.NotAfter.Sub(leaf.NotBefore) < 9*365*24*time.Hour || len(leaf.DNSNames) == 0 || len(leaf.IPAddresses) == 0 {
		t.Errorf("certificate: %v %v-%v %v %v", leaf.PublicKeyAlgorithm, leaf.NotBefore, leaf.NotAfter, leaf.DNSNames, leaf.IPAddresses)
	}
	r.Close()
	r2 := startTest(t, false, o)
	if r2.Fingerprint() != fp {
		t.Errorf("a restart made a new certificate")
	}
	if got, made, err := Fingerprint(Options{StateDir: dir}); got != fp || !made || err != nil {
		t.Errorf("Fingerprint: %q %v %v", got, made, err)
	}
}

func TestRelayCloseWithContext(t *testing.T) {
	r := startTest(t, true)
	c := dial(t, r.addr)
	ehlo(c)
	done := make(chan struct{})
	go func() { r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(StopGrace + 5*time.Second):
		t.Fatal("Close hangs on an idle session")
	}
	if _, err := netDial(r.addr); err == nil {
		t.Error("still listening after Close")
	}
}

// Close cuts idle sessions off at once, lets a message being handed to the core finish within StopGrace, and
// refuses a DATA that comes after it began.
func TestRelayCloseLetsMessageFinish(t *testing.T) {
	core := &slowCore{fakeCore: fakeCore{max: 25 << 20}, started: make(chan struct{}), release: make(chan struct{})}
	r, err := start(t.Context(), core, Options{Listen: []string{"127.0.0.1:0"}, StateDir: t.TempDir(),
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	addr := r.Addrs()[0]
	idle := dial(t, addr)
	ehlo(idle)
	late := dial(t, addr)
	ehlo(late)
	late.must(250, "MAIL FROM:<a@b.example>")
	late.must(250, "RCPT TO:<s@example.com>")
	c := dial(t, addr)
	ehlo(c)
	c.must(250, "MAIL FROM:<a@b.example>")
	c.must(250, "RCPT TO:<s@example.com>")
	c.must(354, "DATA")
	w := c.text.DotWriter()
	w.Write(message("in flight", 2))
	w.Close()
	<-core.started
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	// The idle session is cut off at once (it reads EOF), and so is the one between RCPT and DATA.
	if _, err := idle.text.ReadLine(); err == nil {
		t.Error("the idle session is still open")
	}
	if code, _, err := late.text.ReadResponse(0); err == nil {
		t.Errorf("the session waiting to send DATA got %d", code)
	}
	close(core.release)
	if code, text := c.reply(); code != 250 {
		t.Errorf("the message in flight: %d %s", code, text)
	}
	<-closed
	if n := len(core.Jobs()); n != 1 {
		t.Errorf("%d jobs", n)
	}
}

// slowCore holds each message until release is closed.
type slowCore struct {
	fakeCore
	started, release chan struct{}
	once             sync.Once
}

func (s *slowCore) EnqueueMessage(env Envelope, msg io.Reader) (*spool.Job, error) {
	s.once.Do(func() { close(s.started) })
	<-s.release
	return s.fakeCore.EnqueueMessage(env, msg)
}

// cert_file and key_file: the relay offers that certificate and makes none.
func TestRelayConfiguredCertificate(t *testing.T) {
	made := t.TempDir()
	if _, err := makeCertificate(made, time.Now()); err != nil {
		t.Fatal(err)
	}
	want, _, err := Fingerprint(Options{StateDir: made})
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	o := func(o *Options) {
		o.StateDir = state
		o.CertFile, o.KeyFile = filepath.Join(made, CertFileName), filepath.Join(made, KeyFileName)
	}
	r := startTest(t, false, o)
	if r.Fingerprint() != want {
		t.Errorf("fingerprint %s, want the configured certificate's %s", r.Fingerprint(), want)
	}
	if es, _ := os.ReadDir(state); len(es) != 0 {
		t.Errorf("a certificate was made beside the configured one: %v", es)
	}
	if _, err := start(t.Context(), &fakeCore{}, Options{Listen: []string{"127.0.0.1:0"}, CertFile: "/nonexistent", KeyFile: "/nonexistent"}); err == nil {
		t.Error("a missing cert_file is not an error")
	}
	// A clock in 1970 makes no certificate.
	if _, err := makeCertificate(t.TempDir(), time.Unix(0, 0)); err == nil {
		t.Error("a certificate made in 1970")
	}
}

// The end of Start's context closes the relay.
func TestRelayStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := start(ctx, &fakeCore{max: 1 << 20}, Options{Listen: []string{"127.0.0.1:0", "127.0.0.1:0"}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Addrs()) != 2 {
		t.Fatalf("addrs %v", r.Addrs())
	}
	for _, a := range r.Addrs() {
		dial(t, a)
	}
	cancel()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := netDial(r.Addrs()[0]); err != nil {
			break
		} else {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("still listening after the context ended")
		}
	}
	r.Close()
}
