package appliance

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/smtpserver"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// relayMessage is a mail as an MFP submits it: 8-bit text, an encoded subject, a line that starts with a dot.
const relayMessage = "From: Copier 3F <mfp@office.example>\r\n" +
	"To: bob@example.com\r\n" +
	"Subject: =?utf-8?q?Scan_=C3=A9t=C3=A9?=\r\n" +
	"Message-ID: <scan-1@mfp.office.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Été: the scan follows.\r\n" +
	".a line with a dot\r\n" +
	"\r\n" +
	"Last line.\r\n"

// relayLoop is a loop whose settings open the relay port; rewrite sets relay.rewrite_from.
func relayLoop(t *testing.T, rewrite bool, edit func(r *config.Relay)) *loop {
	t.Helper()
	l := newLoop(t, "right")
	l.Cfg.Relay = &config.Relay{Listen: config.Addrs{"127.0.0.1:2525"}, Allow: []string{"127.0.0.0/8"}, RewriteFrom: &rewrite}
	if edit != nil {
		edit(l.Cfg.Relay)
	}
	l.reload(t)
	return l
}

// restartServer replaces the rig's mail server by one made with cfg (its address, users and Maildir filled in).
func (l *loop) restartServer(t *testing.T, cfg smtpserver.Config) {
	t.Helper()
	cfg.Addr, cfg.Users, cfg.Maildir = l.Srv.Addr(), map[string]string{"scanner": "right"}, l.Maildir
	l.Srv.Close()
	srv, err := smtpserver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	l.Srv = srv
	l.reload(t)
}

func stored(t *testing.T, l *loop, j *spool.Job) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.sp.JobDir(j.ID), messageFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withoutReceived drops the first header field when it is the gateway's Received: trace field.
func withoutReceived(t *testing.T, b []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("Received: from [")) || !bytes.Contains(b, []byte("(Scangate) with ESMTP")) {
		t.Fatalf("no trace field on top:\n%s", b)
	}
	i := bytes.Index(b, []byte("\r\n"))
	for i >= 0 && i+2 < len(b) && (b[i+2] == '\t' || b[i+2] == ' ') {
		i += 2 + bytes.Index(b[i+2:], []byte("\r\n"))
	}
	return b[i+2:]
}

// delivered returns the mails in the rig's Maildir, each without the server's Return-Path and Received.
func delivered(t *testing.T, maildir string) (mails []string, returnPaths []string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(maildir, "new", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rp, rest, _ := bytes.Cut(b, []byte("\r\n"))
		returnPaths = append(returnPaths, string(rp))
		// The server's Received field: up to the first line that is no continuation.
		i := 0
		for {
			j := bytes.Index(rest[i:], []byte("\r\n")) + i + 2
			i = j
			if rest[j] != '\t' && rest[j] != ' ' {
				break
			}
		}
		mails = append(mails, string(rest[i:]))
	}
	return mails, returnPaths
}

func noStaging(t *testing.T, l *loop) {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(l.sp.Dir(), "staging"))
	if len(ents) != 0 {
		t.Errorf("staging holds %d entries after the refusal", len(ents))
	}
	if js, _, _ := l.sp.List(); len(js) != 0 {
		t.Errorf("jobs after a refusal: %+v", js[0])
	}
}

// Without rewrite_from, the mail leaves byte for byte as received (under the trace field), with the machine's
// sender, and the job says where it came from.
func TestRelayDeliversTheBytesReceived(t *testing.T) {
	l := relayLoop(t, false, nil)
	env := RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com", "ann@example.com"}, Peer: "192.168.1.20:50123"}
	j, err := l.g.EnqueueMessage(env, strings.NewReader(relayMessage))
	if err != nil {
		t.Fatal(err)
	}
	if j.Source != spool.SourceRelay || j.Peer != env.Peer || j.Sender != env.From || j.From != env.From || j.DestName != "bob@example.com" ||
		j.Subject != "Scan été" || j.MessageID != "<scan-1@mfp.office.example>" || !j.EightBit || j.State != spool.Queued {
		t.Fatalf("job %+v", j)
	}
	// Durable on return: the job's directory holds the committed message and its job file, nothing else.
	ents, _ := os.ReadDir(l.sp.JobDir(j.ID))
	var names []string
	for _, e := range ents {
		if e.Name() != ".lock" { // the staging lock's file, which every job directory keeps
			names = append(names, e.Name())
		}
	}
	if strings.Join(names, ",") != "job.json,message.eml" {
		t.Errorf("job directory holds %v", names)
	}
	msg := stored(t, l, j)
	if got := withoutReceived(t, msg); string(got) != relayMessage {
		t.Fatalf("stored:\n%q\nwant\n%q", got, relayMessage)
	}
	if !bytes.Contains(msg, []byte("from [192.168.1.20] by ")) {
		t.Errorf("trace field does not name the peer: %s", msg[:100])
	}
	l.d.Step(context.Background())
	if got := l.job(t, j.ID); got.State != spool.Sent {
		t.Fatalf("after a pass: %+v", got)
	}
	mails, rps := delivered(t, l.Maildir)
	if len(mails) != 1 || mails[0] != string(msg) || rps[0] != "Return-Path: <mfp@office.example>" {
		t.Fatalf("delivered %q (%v), want\n%q", mails, rps, msg)
	}
	entries, _, _ := l.sp.ReadJournal()
	if e := entries[len(entries)-1]; e.Source != spool.SourceRelay || e.Outcome != "sent" || len(e.To) != 2 || e.Bytes != int64(len(msg)) {
		t.Errorf("journal %+v", e)
	}
}

// With rewrite_from (the default), the account sends: From: and the envelope sender are the account's, the
// machine's From: is the Reply-To, a Sender: goes, and every other byte stays.
func TestRelayRewriteFrom(t *testing.T) {
	l := newLoop(t, "right")
	l.Cfg.Relay = &config.Relay{Listen: config.Addrs{"127.0.0.1:2525"}, Allow: []string{"127.0.0.1"}}
	l.reload(t)
	in := strings.Replace(relayMessage, "To: bob", "Sender: mfp@office.example\r\nTo: bob", 1)
	j, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}, User: "mfp"},
		strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if j.From != "\"Scanner\" <scanner@example.com>" || j.Sender != "mfp@office.example" || j.RelayUser != "mfp" {
		t.Fatalf("job %+v", j)
	}
	want := strings.Replace(relayMessage, "From: Copier 3F <mfp@office.example>\r\n",
		"From: \"Scanner\" <scanner@example.com>\r\nReply-To: Copier 3F <mfp@office.example>\r\n", 1)
	msg := stored(t, l, j)
	if got := withoutReceived(t, msg); string(got) != want {
		t.Fatalf("stored:\n%s\nwant\n%s", got, want)
	}
	if !bytes.Contains(msg, []byte("with ESMTPA;")) {
		t.Errorf("trace field of a login: %s", msg[:100])
	}
	l.d.Step(context.Background())
	mails, rps := delivered(t, l.Maildir)
	if len(mails) != 1 || mails[0] != string(msg) || rps[0] != "Return-Path: <scanner@example.com>" {
		t.Fatalf("delivered %q (%v)", mails, rps)
	}

	// A Reply-To of the machine's own is kept, and no other added; a folded From: is replaced whole.
	in = strings.Replace(relayMessage, "From: Copier 3F <mfp@office.example>\r\n",
		"From: Copier 3F\r\n <mfp@office.example>\r\nReply-To: desk@office.example\r\n", 1)
	j, err = l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(in, "From: Copier 3F\r\n <mfp@office.example>\r\n", "From: \"Scanner\" <scanner@example.com>\r\n", 1)
	if got := withoutReceived(t, stored(t, l, j)); string(got) != want {
		t.Fatalf("stored:\n%s\nwant\n%s", got, want)
	}
}

// A spool without room refuses the mail; nothing is left of it.
func TestRelaySpoolFull(t *testing.T) {
	l := relayLoop(t, true, nil)
	l.Cfg.Spool.MaxMB = 1
	l.reload(t)
	big := relayMessage + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 2<<20/66)
	if err := l.g.RelayRoom(int64(len(big))); !errors.Is(err, spool.ErrFull) {
		t.Errorf("RelayRoom: %v", err)
	}
	if err := l.g.RelayRoom(10 << 10); err != nil {
		t.Errorf("RelayRoom of a small mail: %v", err)
	}
	_, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}}, strings.NewReader(big))
	if !errors.Is(err, spool.ErrFull) {
		t.Fatalf("EnqueueMessage of 2 MB into a 1 MB spool: %v", err)
	}
	noStaging(t, l)
}

// A mail over relay.max_mb is refused; the limit follows the server's SIZE once a session has seen it.
func TestRelayTooLarge(t *testing.T) {
	l := relayLoop(t, true, func(r *config.Relay) { r.MaxMB = 1 })
	if n := l.g.RelayMaxBytes(); n != 1<<20 {
		t.Errorf("RelayMaxBytes %d with max_mb = 1", n)
	}
	big := relayMessage + strings.Repeat("x", 1<<20)
	_, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}}, strings.NewReader(big))
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, submit.ErrTooLarge) {
		t.Fatalf("EnqueueMessage over max_mb: %v", err)
	}
	noStaging(t, l)

	l.restartServer(t, smtpserver.Config{MaxMessageBytes: 512 << 10})
	if _, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}}, strings.NewReader(relayMessage)); err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	if n := l.g.RelayMaxBytes(); n != 512<<10-relayHeadroom {
		t.Errorf("RelayMaxBytes %d after a session with SIZE 512 KB", n)
	}
	l.Cfg.Relay.MaxMB = 0
	l.g.Apply(l.Cfg)
	if n := l.g.RelayMaxBytes(); n != 512<<10-relayHeadroom {
		t.Errorf("RelayMaxBytes %d from SIZE alone", n)
	}
}

// A server whose SIZE shrank below a queued relayed mail: the mail cannot be split like a scan, so the job is held.
func TestRelayMailLargerThanServerHeld(t *testing.T) {
	l := relayLoop(t, true, nil)
	l.restartServer(t, smtpserver.Config{MaxMessageBytes: 50 << 10})
	j, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}},
		strings.NewReader(relayMessage+strings.Repeat("y", 100<<10)))
	if err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	j = l.job(t, j.ID)
	if j.State != spool.Held || j.LastResult != "Mail too large" || !strings.Contains(j.LastDetail, "cannot be split") {
		t.Fatalf("job %+v", j)
	}
	if mails(t, l.Maildir) != 0 {
		t.Error("a mail was delivered")
	}
}

// failingReader gives some of a message, then fails, as a connection dropped in DATA does.
type failingReader struct{ r io.Reader }

var errDropped = errors.New("connection dropped")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errDropped
	}
	return n, err
}

// A message cut off before its end leaves no job and no file; neither does a transaction without a recipient.
func TestRelayCutOffLeavesNothing(t *testing.T) {
	l := relayLoop(t, true, nil)
	_, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}},
		&failingReader{strings.NewReader(relayMessage[:100])})
	if !errors.Is(err, errDropped) {
		t.Fatalf("EnqueueMessage of a cut message: %v", err)
	}
	noStaging(t, l)
	if _, err := l.g.EnqueueMessage(RelayEnvelope{From: "a@b.example"}, strings.NewReader(relayMessage)); !errors.Is(err, ErrBadMessage) {
		t.Errorf("no recipient: %v", err)
	}
	huge := "X-Big: " + strings.Repeat("z", maxHeaderBytes) + "\r\n\r\nbody\r\n"
	if _, err := l.g.EnqueueMessage(RelayEnvelope{To: []string{"bob@example.com"}}, strings.NewReader(huge)); !errors.Is(err, ErrBadMessage) {
		t.Errorf("header of 256 KB: %v", err)
	}
	noStaging(t, l)
}

// A crash while a message was coming in, or after its file was complete but before it became a job, leaves a
// staging directory: Recover removes it (the sender had no 250 and sends again), and it never becomes a job
// nor a kept pull.
func TestRelayCrashBeforeCommitLeavesNoJob(t *testing.T) {
	l := relayLoop(t, true, nil)
	st, err := l.sp.StageMessage()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(st.Dir, ".message.eml.123.tmp"), []byte(relayMessage[:50]), 0o600)
	os.WriteFile(filepath.Join(st.Dir, messageFile), []byte(relayMessage), 0o600)
	// The crash: the process and its locks are gone; a new process's loop starts with Recover.
	fresh, err := spool.Open(l.sp.Dir(), spool.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	st.Dir = "" // the dead process's lock would have been released with it; this one is released by Discard below
	st.Discard()
	if _, err := fresh.Recover(); err != nil {
		t.Fatal(err)
	}
	if k, _ := fresh.Kept(); k != nil {
		t.Errorf("a relayed message became a kept pull: %+v", k)
	}
	noStaging(t, l)
}

// The server refuses one recipient after the mail was accepted: the journal names it, and with relay.bounce the
// sender gets a report; the report itself goes out on the next pass.
func TestRelayRefusedRecipientJournaledAndBounced(t *testing.T) {
	l := relayLoop(t, true, func(r *config.Relay) { r.Bounce = true })
	l.restartServer(t, smtpserver.Config{Refuse: []string{"gone@example.com"}})
	j, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com", "gone@example.com"}},
		strings.NewReader(relayMessage))
	if err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	if j = l.job(t, j.ID); j.State != spool.Sent || j.LastResult != "Sent, 1 refused" {
		t.Fatalf("job %+v", j)
	}
	entries, _, _ := l.sp.ReadJournal()
	if e := entries[len(entries)-1]; e.Source != spool.SourceRelay || !strings.Contains(e.Outcome, "refused gone@example.com") ||
		!strings.Contains(e.Detail, "550 5.1.1") {
		t.Errorf("journal %+v", e)
	}
	js, _, _ := l.sp.List()
	var report *spool.Job
	for _, x := range js {
		if x.Source == spool.SourceBounce {
			report = x
		}
	}
	if report == nil || len(report.To) != 1 || report.To[0] != "mfp@office.example" || report.State != spool.Queued {
		t.Fatalf("no report queued for the sender: %+v", js)
	}
	l.d.Step(context.Background())
	if r := l.job(t, report.ID); r.State != spool.Sent {
		t.Fatalf("report %+v", r)
	}
	ms, rps := delivered(t, l.Maildir)
	var dsn string
	for i, m := range ms {
		if strings.Contains(m, "multipart/report") {
			dsn = m
			if rps[i] != "Return-Path: <scanner@example.com>" {
				t.Errorf("report sent as %s", rps[i])
			}
		}
	}
	for _, want := range []string{"To: <mfp@office.example>", "From: \"Scanner\" <scanner@example.com>", "Auto-Submitted: auto-replied",
		"report-type=delivery-status", "Final-Recipient: rfc822; gone@example.com", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1",
		"Content-Type: text/rfc822-headers", "Message-ID: <scan-1@mfp.office.example>", "Reply-To: Copier 3F <mfp@office.example>"} {
		if !strings.Contains(dsn, want) {
			t.Errorf("report lacks %q:\n%s", want, dsn)
		}
	}
	if os.Getenv("PEEK") != "" {
		t.Logf("%s", dsn)
	}
	if strings.Contains(dsn, "Final-Recipient: rfc822; bob@example.com") {
		t.Error("the report names a recipient that got the mail")
	}
}

// A relayed mail refused for good is reported to its sender; a report that fails in its turn is not reported,
// and nothing is reported to the null sender.
func TestRelayBounceOnFailureNeverTwice(t *testing.T) {
	l := relayLoop(t, true, func(r *config.Relay) { r.Bounce = true })
	l.restartServer(t, smtpserver.Config{Refuse: []string{"gone@example.com", "mfp@office.example"}})
	j, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"gone@example.com"}}, strings.NewReader(relayMessage))
	if err != nil {
		t.Fatal(err)
	}
	null, err := l.g.EnqueueMessage(RelayEnvelope{From: "<>", To: []string{"gone@example.com"}}, strings.NewReader(relayMessage))
	if err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	for _, id := range []string{j.ID, null.ID} {
		if x := l.job(t, id); x.State != spool.Failed {
			t.Fatalf("job %+v", x)
		}
	}
	js, _, _ := l.sp.List()
	if len(js) != 3 || js[2].Source != spool.SourceBounce || js[2].To[0] != "mfp@office.example" {
		t.Fatalf("jobs after the failures: %d, last %+v", len(js), js[len(js)-1])
	}
	l.d.Step(context.Background()) // the report is refused too
	if r := l.job(t, js[2].ID); r.State != spool.Failed {
		t.Fatalf("report %+v", r)
	}
	if js, _, _ = l.sp.List(); len(js) != 3 {
		t.Errorf("a report about a report: %d jobs", len(js))
	}
	entries, _, _ := l.sp.ReadJournal()
	if e := entries[len(entries)-1]; e.Source != spool.SourceBounce || e.Outcome != "failed" {
		t.Errorf("journal %+v", e)
	}
}

// Without relay.bounce nothing is reported.
func TestRelayNoBounceByDefault(t *testing.T) {
	l := relayLoop(t, true, nil)
	l.restartServer(t, smtpserver.Config{Refuse: []string{"gone@example.com"}})
	if _, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"gone@example.com"}}, strings.NewReader(relayMessage)); err != nil {
		t.Fatal(err)
	}
	l.d.Step(context.Background())
	if js, _, _ := l.sp.List(); len(js) != 1 || js[0].State != spool.Failed {
		t.Fatalf("jobs %+v", js)
	}
}

// The header's odd shapes: a From: in the obsolete syntax, a mail without From:, a mail that is only a header,
// an IPv6 peer.
func TestRelayHeaderShapes(t *testing.T) {
	l := relayLoop(t, true, nil)
	for _, tt := range []struct{ name, in, want string }{
		{"obsolete syntax", "From : mfp@office.example\r\nSubject: s\r\n\r\nbody\r\n",
			"From: \"Scanner\" <scanner@example.com>\r\nReply-To: mfp@office.example\r\nSubject: s\r\n\r\nbody\r\n"},
		{"no From", "Subject: s\r\n\r\nbody\r\n", "Subject: s\r\nFrom: \"Scanner\" <scanner@example.com>\r\n\r\nbody\r\n"},
		{"header only", "From: mfp@office.example\r\nSubject: s\r\n",
			"From: \"Scanner\" <scanner@example.com>\r\nReply-To: mfp@office.example\r\nSubject: s\r\n"},
		{"From not an address", "From: the copier\r\n\r\nbody\r\n", "From: \"Scanner\" <scanner@example.com>\r\n\r\nbody\r\n"},
	} {
		j, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}, Peer: "[fd00::7]:4000"},
			strings.NewReader(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		msg := stored(t, l, j)
		if got := withoutReceived(t, msg); string(got) != tt.want {
			t.Errorf("%s: stored\n%q\nwant\n%q", tt.name, got, tt.want)
		}
		if !bytes.HasPrefix(msg, []byte("Received: from [IPv6:fd00::7] by ")) {
			t.Errorf("%s: trace field %q", tt.name, msg[:40])
		}
	}
}

// A relayed mail whose server stays down past spool.lifetime is reported to its sender as expired (4.4.7).
func TestRelayBounceWhenGivenUp(t *testing.T) {
	l := relayLoop(t, true, func(r *config.Relay) { r.Bounce = true })
	l.Cfg.Spool.Lifetime = config.Duration{Duration: 3 * time.Hour}
	l.reload(t)
	l.serverDown(t)
	j, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}}, strings.NewReader(relayMessage))
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		l.d.Step(context.Background())
		if j = l.job(t, j.ID); j.State != spool.Deferred {
			break
		}
		l.clock.Set(j.NextAttempt)
	}
	if j.State != spool.Failed || j.LastResult != "Gave up" {
		t.Fatalf("job %+v", j)
	}
	js, _, _ := l.sp.List()
	if len(js) != 2 || js[1].Source != spool.SourceBounce {
		t.Fatalf("no report: %d jobs", len(js))
	}
	b := stored(t, l, js[1])
	for _, want := range []string{"Final-Recipient: rfc822; bob@example.com", "Status: 4.4.7", "could not be delivered", "Gave up after retrying"} {
		if !bytes.Contains(b, []byte(want)) && !strings.Contains(qpDecode(t, b), want) {
			t.Errorf("report lacks %q:\n%s", want, b)
		}
	}
}

func qpDecode(t *testing.T, b []byte) string {
	t.Helper()
	s, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	return string(s)
}

// Several sessions of the listener queue at once: every mail becomes its own whole job.
func TestRelayConcurrentEnqueue(t *testing.T) {
	l := relayLoop(t, true, nil)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			in := strings.Replace(relayMessage, "Last line.", "Last line of mail "+string(rune('a'+i))+".", 1)
			_, err := l.g.EnqueueMessage(RelayEnvelope{From: "mfp@office.example", To: []string{"bob@example.com"}}, strings.NewReader(in))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	js, broken, _ := l.sp.List()
	if len(js) != n || len(broken) != 0 {
		t.Fatalf("%d jobs, %d broken", len(js), len(broken))
	}
	seen := map[string]bool{}
	for _, j := range js {
		b := stored(t, l, j)
		i := bytes.Index(b, []byte("Last line of mail "))
		if i < 0 || seen[string(b[i:])] {
			t.Fatalf("job %s holds %q", j.ID, b)
		}
		seen[string(b[i:])] = true
	}
	l.d.Step(context.Background())
	if m := mails(t, l.Maildir); m != n {
		t.Errorf("%d mails delivered", m)
	}
}
