package appliance

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// failedRecipient is one recipient of a failure report: its address, the RFC 3463 status and the server's reply
// ("" when there was none).
type failedRecipient struct {
	addr, status, reply string
}

// bounce queues a failure report (a delivery status notification, RFC 3464) to the sender of a relayed mail that
// failed for good, or whose server refused some recipients after it accepted the others, when relay.bounce asks
// for it. A report is never made about a report, nor for the null sender. The report leaves through the account
// like any job; a failure to queue it is logged.
func (d *Deliverer) bounce(j *spool.Job, act action, err error, refused []submit.RcptError) {
	r := d.g.s().cfg.Relay
	if r == nil || !r.Bounce || j.Source != spool.SourceRelay || j.Sender == "" {
		return
	}
	var failed []failedRecipient
	switch {
	case act == actFail:
		code, enh := replyCodes(err)
		status := statusOf(code, enh)
		if code == 0 && j.LastResult == "Gave up" {
			status = "4.4.7" // delivery time expired
		}
		rep := ""
		if code != 0 {
			rep = reply(err)
		}
		for _, to := range j.To {
			failed = append(failed, failedRecipient{addr: to, status: status, reply: rep})
		}
	case act == actSent && len(refused) > 0:
		for _, rf := range refused {
			f := failedRecipient{addr: rf.Addr, status: "5.0.0"}
			if rf.Err != nil && rf.Err.Reply != nil {
				f.status = statusOf(rf.Err.Reply.Code, rf.Err.Reply.Enhanced.String())
				f.reply = rf.Err.Reply.String()
			}
			failed = append(failed, f)
		}
	default:
		return
	}
	b, qerr := d.g.queueBounce(d.sp, j, failed)
	if qerr != nil {
		d.g.opts.Log.Error("queueing the failure report to the sender", "job", j.Number, "sender", j.Sender, "err", qerr)
		return
	}
	d.g.opts.Log.Info("failure report queued for the sender", "job", j.Number, "report", b.Number, "sender", j.Sender)
}

// statusOf is the RFC 3463 status for a reply code and its enhanced code.
func statusOf(code int, enh string) string {
	switch {
	case enh != "" && enh != "0.0.0":
		return enh
	case code >= 400 && code < 500:
		return "4.0.0"
	}
	return "5.0.0"
}

// queueBounce queues the failure report about job orig, to its envelope sender, from the account.
func (g *Gateway) queueBounce(sp *spool.Spool, orig *spool.Job, failed []failedRecipient) (*spool.Job, error) {
	s := g.s()
	now := g.opts.Now()
	header := originalHeader(filepath.Join(sp.JobDir(orig.ID), messageFile))
	subject := "Undelivered mail: " + orig.Subject
	if orig.Subject == "" {
		subject = "Undelivered mail"
	}
	st, err := sp.StageMessage()
	if err != nil {
		return nil, err
	}
	msgID := submit.NewMessageID(now, g.domain())
	var eightBit bool
	err = spoolFile(filepath.Join(st.Dir, messageFile), func(f *os.File) error {
		w := bufio.NewWriter(f)
		eightBit = writeReport(w, reportData{
			from: s.from.String(), to: orig.Sender, subject: subject, messageID: msgID, now: now,
			account: s.from.Address, reporter: reportingHost(s.cfg.Account.HelloName), orig: orig, failed: failed,
			header: header,
		})
		return w.Flush()
	})
	if err != nil {
		st.Discard()
		return nil, err
	}
	j, err := st.Commit(spool.Job{
		Files:     []string{messageFile},
		DestName:  orig.Sender,
		From:      s.from.String(),
		To:        []string{orig.Sender},
		Subject:   subject,
		MessageID: "<" + msgID + ">",
		Source:    spool.SourceBounce,
		EightBit:  eightBit,
	}, now)
	if err != nil {
		st.Discard()
		return nil, err
	}
	return j, nil
}

// originalHeader reads the header of a stored message, for the report; nil when it cannot.
func originalHeader(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	h, _, err := readHeader(bufio.NewReader(f))
	if err != nil {
		return nil
	}
	return h
}

func reportingHost(hello string) string {
	if hello != "" {
		return hello
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

type reportData struct {
	from, to, subject, messageID string
	now                          time.Time
	account, reporter            string
	orig                         *spool.Job
	failed                       []failedRecipient
	header                       []byte
}

// writeReport writes a multipart/report (RFC 6522) of report-type delivery-status (RFC 3464): the words for
// people, the machine-readable status, the original header. It returns whether the message holds 8-bit bytes
// (from the original header).
func writeReport(w *bufio.Writer, r reportData) (eightBit bool) {
	var rb [12]byte
	rand.Read(rb[:])
	boundary := "=_report_" + hex.EncodeToString(rb[:])
	date := func(t time.Time) string { return t.Format("Mon, 02 Jan 2006 15:04:05 -0700") }
	line := func(format string, args ...any) { fmt.Fprintf(w, format+"\r\n", args...) }

	line("From: %s", r.from)
	line("To: <%s>", r.to)
	line("Subject: %s", mime.QEncoding.Encode("utf-8", r.subject))
	line("Date: %s", date(r.now))
	line("Message-ID: <%s>", r.messageID)
	line("Auto-Submitted: auto-replied")
	line("MIME-Version: 1.0")
	line("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"", boundary)
	line("")
	line("This is a delivery status notification in MIME format.")
	line("")

	line("--%s", boundary)
	line("Content-Type: text/plain; charset=utf-8")
	line("Content-Transfer-Encoding: quoted-printable")
	line("")
	var text strings.Builder
	fmt.Fprintf(&text, "This is the Scangate mail gateway %s, which sends the mail of the office's machines through the account %s.\r\n\r\n",
		r.reporter, r.account)
	all := len(r.failed) == len(r.orig.To)
	when := r.orig.Created.In(time.Local).Format("2006-01-02 15:04")
	if all {
		fmt.Fprintf(&text, "Your mail of %s could not be delivered", when)
	} else {
		fmt.Fprintf(&text, "Your mail of %s was delivered, except", when)
	}
	if r.orig.Subject != "" {
		fmt.Fprintf(&text, " (subject: %s)", r.orig.Subject)
	}
	text.WriteString(" to:\r\n\r\n")
	for _, f := range r.failed {
		fmt.Fprintf(&text, "  %s", f.addr)
		if f.reply != "" {
			fmt.Fprintf(&text, ": the mail server answered %s", clip(f.reply, 400))
		}
		text.WriteString("\r\n")
	}
	if all && r.orig.LastDetail != "" { // with some delivered, the detail says no more than the list
		fmt.Fprintf(&text, "\r\n%s\r\n", r.orig.LastDetail)
	}
	text.WriteString("\r\nThe header of your mail follows. Nothing will be tried again for these recipients.\r\n")
	qp := quotedprintable.NewWriter(w)
	qp.Write([]byte(text.String()))
	qp.Close()
	line("")

	line("--%s", boundary)
	line("Content-Type: message/delivery-status")
	line("")
	line("Reporting-MTA: dns; %s", r.reporter)
	line("Arrival-Date: %s", date(r.orig.Created))
	for _, f := range r.failed {
		line("")
		line("Final-Recipient: rfc822; %s", f.addr)
		line("Action: failed")
		line("Status: %s", f.status)
		if f.reply != "" {
			line("Diagnostic-Code: smtp; %s", clip(f.reply, 900))
		}
		if !r.orig.LastAttempt.IsZero() {
			line("Last-Attempt-Date: %s", date(r.orig.LastAttempt))
		}
	}
	line("")

	line("--%s", boundary)
	line("Content-Type: text/rfc822-headers")
	if hasEightBit(r.header) {
		eightBit = true
		line("Content-Transfer-Encoding: 8bit")
	}
	line("")
	w.Write(r.header)
	if len(r.header) > 0 && !bytes.HasSuffix(r.header, []byte("\n")) {
		line("")
	}
	line("")
	line("--%s--", boundary)
	return eightBit
}

// clip cuts s to at most n bytes, on one line.
func clip(s string, n int) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// hasEightBit reports whether b holds a byte outside US-ASCII.
func hasEightBit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
