package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/secret"
	"github.com/scangate/gateway/spool"
)

// fakeCore keeps the messages it is given as the core does: only a message read to its end becomes a job.
type fakeCore struct {
	mu     sync.Mutex
	max    int64
	full   bool // RelayRoom and EnqueueMessage say spool.ErrFull
	jobs   []fakeJob
	number int
}

type fakeJob struct {
	env  Envelope
	data []byte
}

func (f *fakeCore) EnqueueMessage(env Envelope, msg io.Reader) (*spool.Job, error) {
	data, err := io.ReadAll(msg)
	if err != nil {
		return nil, fmt.Errorf("reading the message: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full {
		return nil, fmt.Errorf("%w: test", spool.ErrFull)
	}
	if int64(len(data)) > f.max {
		return nil, errors.New("too large")
	}
	f.number++
	f.jobs = append(f.jobs, fakeJob{env, data})
	return &spool.Job{Number: f.number}, nil
}

func (f *fakeCore) RelayMaxBytes() int64 { return f.max }

func (f *fakeCore) RelayRoom(n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.full {
		return fmt.Errorf("%w: test", spool.ErrFull)
	}
	return nil
}

func (f *fakeCore) Jobs() []fakeJob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeJob(nil), f.jobs...)
}

const (
	testUser     = "mfp"
	testPassword = "s3cret pass"
)

// logBuffer collects the relay's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type testRelay struct {
	*Relay
	core *fakeCore
	log  *logBuffer
	addr string
}

// startTest starts a relay on 127.0.0.1 with a fake core; allow says whether 127.0.0.1 may relay without
// AUTH. change adjusts the options.
func startTest(t testing.TB, allow bool, change ...func(*Options)) *testRelay {
	t.Helper()
	return startWith(t, &fakeCore{max: 25 << 20}, allow, change...)
}

// startWith is startTest with core.
func startWith(t testing.TB, core *fakeCore, allow bool, change ...func(*Options)) *testRelay {
	t.Helper()
	lb := &logBuffer{}
	o := Options{Listen: []string{"127.0.0.1:0"}, Users: map[string]secret.Secret{testUser: testPassword},
		StateDir: t.TempDir(), Domain: "relay.test", Log: slog.New(slog.NewTextHandler(lb, nil))}
	if allow {
		o.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}
	for _, f := range change {
		f(&o)
	}
	r, err := start(context.Background(), core, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &testRelay{Relay: r, core: core, log: lb, addr: r.Addrs()[0]}
}

// client is a raw SMTP client for the replies the tools do not show.
type client struct {
	t    testing.TB
	conn net.Conn
	text *textproto.Conn
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	cl := &client{t: t, conn: c, text: textproto.NewConn(c)}
	t.Cleanup(func() { c.Close() })
	cl.expect(220)
	return cl
}

// cmd sends a line and returns the reply's code and text.
func (c *client) cmd(format string, args ...any) (int, string) {
	c.t.Helper()
	if err := c.text.PrintfLine(format, args...); err != nil {
		c.t.Fatal(err)
	}
	return c.reply()
}

func (c *client) reply() (int, string) {
	c.t.Helper()
	code, msg, err := c.text.ReadResponse(0)
	if err != nil && code == 0 {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return code, msg
}

func (c *client) expect(want int) string {
	c.t.Helper()
	code, msg := c.reply()
	if code != want {
		c.t.Fatalf("reply %d %s, want %d", code, msg, want)
	}
	return msg
}

func (c *client) must(want int, format string, args ...any) string {
	c.t.Helper()
	code, msg := c.cmd(format, args...)
	if code != want {
		c.t.Fatalf("%s: reply %d %s, want %d", fmt.Sprintf(format, args...), code, msg, want)
	}
	return msg
}

// startTLS says STARTTLS and EHLO again over TLS with cfg (nil: any certificate).
func (c *client) startTLS(cfg *tls.Config) error {
	c.t.Helper()
	c.must(220, "STARTTLS")
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.conn, c.text = tc, textproto.NewConn(tc)
	c.must(250, "EHLO client.test")
	return nil
}

func (c *client) authPlain(user, pass string) (int, string) {
	c.t.Helper()
	return c.cmd("AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)))
}

// send runs one transaction with msg and returns the final reply.
func (c *client) send(from, to string, msg []byte) (int, string) {
	c.t.Helper()
	if code, text := c.cmd("MAIL FROM:<%s>", from); code != 250 {
		return code, text
	}
	if code, text := c.cmd("RCPT TO:<%s>", to); code != 250 {
		return code, text
	}
	c.must(354, "DATA")
	w := c.text.DotWriter()
	w.Write(msg)
	w.Close()
	return c.reply()
}

// message is a small mail with CRLF line ends.
func message(subject string, bodyLines int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: MFP <mfp@office.example>\r\nTo: sales@example.com\r\nSubject: %s\r\nMessage-ID: <%s@office.example>\r\n\r\n", subject, strings.ReplaceAll(subject, " ", "."))
	for i := range bodyLines {
		fmt.Fprintf(&b, "line %d of the scan, with a dot:\r\n.leading dot\r\n", i)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func ehlo(c *client) string {
	c.t.Helper()
	return c.must(250, "EHLO client.test")
}

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 5*time.Second) }
