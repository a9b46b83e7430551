package relay

// The relay in front of the real core: a relayed message becomes a job in the spool and the delivery loop
// takes it to the rig's mail server byte for byte (after the trace field the gateway adds on top).

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/appliancetest"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/spool"
)

// startGateway makes a gateway on the rig's settings with [relay] (127.0.0.1 allowed, the From: kept) and
// starts the relay in front of it; kick is called after each accepted message.
func startGateway(t *testing.T, change func(*config.Config), kick func()) (*appliancetest.Rig, *appliance.Gateway, *Relay) {
	t.Helper()
	rig := appliancetest.NewRig(t, "", appliancetest.Password)
	no := false
	rig.Cfg.Relay = &config.Relay{Listen: config.Addrs{"127.0.0.1:2525"}, Allow: []string{"127.0.0.1"}, RewriteFrom: &no}
	if change != nil {
		change(rig.Cfg)
	}
	g, err := appliance.New(rig.Cfg, appliance.Options{RootCAs: rig.Srv.CertPool(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := OptionsFrom(rig.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Log = slog.New(slog.DiscardHandler)
	o.Listen = []string{"127.0.0.1:0"} // the settings must name a port; the test takes a free one
	if kick != nil {
		o.OnAccepted = func(*spool.Job) { kick() }
	}
	r, err := Start(context.Background(), g, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return rig, g, r
}

func maildirFiles(t *testing.T, dir string) [][]byte {
	t.Helper()
	es, _ := os.ReadDir(filepath.Join(dir, "new"))
	var out [][]byte
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestRelayGatewayDelivers(t *testing.T) {
	rig, g, r := startGateway(t, nil, nil)
	msg := mailWithDate("delivered byte for byte", 200)
	msg = append(msg, []byte("8-bit: caf\xc3\xa9\r\n")...)
	out, code := tool(t, nil, "curl", "-sS", "--url", "smtp://"+r.Addrs()[0], "--mail-from", "mfp@office.example",
		"--mail-rcpt", "sales@example.com", "--upload-file", writeFile(t, msg))
	if code != 0 {
		t.Fatalf("curl: exit %d\n%s", code, out)
	}
	// 250 came after the job was durable: it is in the spool now.
	jobs := appliancetest.Jobs(t, rig.Cfg.Spool.Dir)
	if len(jobs) != 1 || jobs[0].Source != spool.SourceRelay || jobs[0].Subject != "delivered byte for byte" {
		t.Fatalf("jobs %+v", jobs)
	}
	if st := r.Stats(); st.Today != 1 {
		t.Errorf("stats %+v", st)
	}
	// The delivery loop sends it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Deliver(ctx, func(d *appliance.Deliverer) { d.Kick() }) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	var got [][]byte
	for len(got) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		got = maildirFiles(t, rig.Maildir)
	}
	if len(got) != 1 {
		t.Fatalf("%d messages delivered", len(got))
	}
	if !bytes.HasSuffix(got[0], msg) {
		t.Fatalf("the delivered message does not end with the bytes relayed:\n%.2000s", got[0])
	}
	head := string(got[0][:len(got[0])-len(msg)])
	if strings.Count(head, "Received:") != 2 || !strings.Contains(head, "from [127.0.0.1]") {
		t.Errorf("trace fields:\n%s", head)
	}
}

func TestRelayGatewaySpoolFull(t *testing.T) {
	rig, _, r := startGateway(t, func(c *config.Config) { c.Spool.MaxMB = 1 }, nil)
	c := dial(t, r.Addrs()[0])
	ehlo(c)
	if code, text := c.cmd("MAIL FROM:<a@b.example> SIZE=%d", 3<<20); code != 452 || !strings.HasPrefix(text, "4.3.1") {
		t.Fatalf("MAIL SIZE=3 MB into a 1 MB spool: %d %s", code, text)
	}
	// Without SIZE the room runs out during DATA.
	big := mailWithDate("too big for the spool", 3<<20/40)
	if code, text := c.send("a@b.example", "s@example.com", big); code != 452 || !strings.HasPrefix(text, "4.3.1") {
		t.Fatalf("3 MB DATA into a 1 MB spool: %d %s", code, text)
	}
	// A DATA cut off midway.
	c2 := dial(t, r.Addrs()[0])
	ehlo(c2)
	c2.must(250, "MAIL FROM:<a@b.example>")
	c2.must(250, "RCPT TO:<s@example.com>")
	c2.must(354, "DATA")
	c2.conn.Write(big[:100<<10])
	c2.conn.Close()
	// What fits is taken.
	if code, text := c.send("a@b.example", "s@example.com", mailWithDate("fits", 10)); code != 250 {
		t.Fatalf("a small mail: %d %s", code, text)
	}
	r.Close() // waits for the cut-off session's message to be given up
	jobs := appliancetest.Jobs(t, rig.Cfg.Spool.Dir)
	if len(jobs) != 1 || jobs[0].Subject != "fits" {
		t.Fatalf("jobs %+v", jobs)
	}
	// Nothing half-written is left in the spool beside the job.
	var files []string
	filepath.Walk(rig.Cfg.Spool.Dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, strings.TrimPrefix(p, rig.Cfg.Spool.Dir))
		}
		return nil
	})
	for _, f := range files {
		if strings.Contains(f, ".tmp") || strings.HasPrefix(f, "/staging/") {
			t.Errorf("left in the spool: %s (all: %v)", f, files)
		}
	}
}

// relay.max_mb = 1: SIZE says so, and 3 MB are refused with 552 at MAIL (curl sends SIZE=) and at the end of
// DATA (swaks does not), leaving no job.
func TestRelayGatewayTooLarge(t *testing.T) {
	rig, g, r := startGateway(t, func(c *config.Config) { c.Relay.MaxMB = 1 }, nil)
	if g.RelayMaxBytes() != 1<<20 {
		t.Fatalf("RelayMaxBytes %d", g.RelayMaxBytes())
	}
	file := writeFile(t, mailWithDate("three MB", 3<<20/40))
	out, code := tool(t, nil, "curl", "-sS", "--url", "smtp://"+r.Addrs()[0], "--mail-from", "mfp@office.example",
		"--mail-rcpt", "sales@example.com", "--upload-file", file)
	if code == 0 || !strings.Contains(out, "552") {
		t.Errorf("curl: exit %d\n%s", code, out)
	}
	out, code = tool(t, nil, "swaks", "--server", r.Addrs()[0], "--from", "mfp@office.example", "--to", "sales@example.com",
		"--data", "@"+file, "--suppress-data")
	if code == 0 || !strings.Contains(out, "552 5.3.4") {
		t.Errorf("swaks: exit %d\n%s", code, out)
	}
	if jobs := appliancetest.Jobs(t, rig.Cfg.Spool.Dir); len(jobs) != 0 {
		t.Errorf("jobs %+v", jobs)
	}
}
