package appliance

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/internal/atomicfile"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// Files of a job directory besides the scans themselves.
const (
	pdfFile     = "scan.pdf"
	messageFile = "message.eml"
)

// Scan pulls one batch of documents from the machine and queues it as a job for dest. When Scan returns a
// job, the scan is safe on disk; the machine may forget it.
//
// A pull cut short (unplugged cable, machine switched off) is kept: the files it finished, which a machine
// may already have forgotten, and the beginning of the one in progress. The next Scan starts from there:
// ZMODEM resumes the file where it stopped, and a finished file that the machine sends again, byte for
// byte, is not taken twice.
func (g *Gateway) Scan(ctx context.Context, dest config.Destination, report func(Progress)) (*spool.Job, error) {
	sp, err := g.queue()
	if err != nil {
		return nil, err
	}
	st, kept, err := sp.StageKept()
	if err != nil {
		return nil, err
	}
	if len(kept) > 0 {
		g.opts.Log.Info("resuming a pull cut short", "files", len(kept))
	}
	files, err := g.pull(ctx, newRoomSink(st.Dir, sp), report)
	if errors.Is(err, ErrNothingScanned) && len(kept) > 0 {
		err = nil // the machine had sent everything before the cut
	}
	if err != nil {
		if ents, _ := os.ReadDir(st.Dir); len(ents) > 1 { // more than the staging lock: something to keep
			if kerr := st.Keep(); kerr != nil {
				g.opts.Log.Error("keeping the pull cut short", "err", kerr)
				return nil, err
			}
			return nil, &keptError{err}
		}
		st.Discard()
		return nil, err
	}
	names, err := withoutRepeats(st.Dir, kept, files)
	if err != nil {
		st.Keep()
		return nil, err
	}
	job, err := g.commit(sp, st, names, dest.Name, []string{dest.Address}, "", report)
	if err != nil {
		return job, err
	}
	report(Progress{Stage: StageQueued})
	return job, nil
}

// withoutRepeats lists a job's files: those kept from a pull cut short, then those of this pull, less any
// this pull received again with the same contents as a kept one (a machine that sends its whole batch
// again), which it removes.
func withoutRepeats(dir string, kept []string, files []device.File) ([]string, error) {
	sums := map[[32]byte]bool{}
	for _, name := range kept {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		sums[[32]byte(h.Sum(nil))] = true
	}
	names := slices.Clone(kept)
	for _, f := range files {
		if sums[f.SHA256] {
			if err := os.Remove(f.Path); err != nil {
				return nil, err
			}
			continue
		}
		names = append(names, filepath.Base(f.Path))
	}
	return names, nil
}

// Enqueue copies files into the spool as one job for the recipients (the send command): addresses as
// net/mail reads them, "bob@example.com" or "Bob Smith <bob@example.com>". subject, when not empty, replaces
// the configured subject template.
func (g *Gateway) Enqueue(files []string, to []string, subject string) (*spool.Job, error) {
	addrs := make([]string, len(to))
	destName := ""
	for i, a := range to {
		p, err := mail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("appliance: recipient %q: %w", a, err)
		}
		addrs[i] = p.Address
		if len(to) == 1 {
			destName = p.Name // the To: header names the one recipient as given
		}
	}
	sp, err := g.queue()
	if err != nil {
		return nil, err
	}
	st, err := sp.Stage()
	if err != nil {
		return nil, err
	}
	var names []string
	for i, f := range files {
		name := fmt.Sprintf("%03d-%s", i+1, device.CleanName(filepath.Base(f)))
		if err := copyFile(filepath.Join(st.Dir, name), f); err != nil {
			st.Discard()
			return nil, err
		}
		names = append(names, name)
	}
	return g.commit(sp, st, names, destName, addrs, subject, func(Progress) {})
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return spoolFile(dst, func(f *os.File) error {
		_, err := io.Copy(f, in)
		return err
	})
}

// spoolFile writes a file of a job durably and privately (see atomicfile.WriteFile).
func spoolFile(path string, write func(f *os.File) error) error {
	if err := atomicfile.WriteFile(path, 0o600, write); err != nil {
		return fmt.Errorf("appliance: %s: %w", filepath.Base(path), err)
	}
	return nil
}

// commit makes the staged files a job, then prepares its mail. A job whose pages cannot be converted stays in
// the spool, failed with the reason, so that the scan is not lost.
func (g *Gateway) commit(sp *spool.Spool, st *spool.Staging, names []string, destName string, to []string, subject string,
	report func(Progress)) (*spool.Job, error) {
	now := g.opts.Now()
	job, err := st.Commit(spool.Job{
		Files:     names,
		DestName:  destName,
		From:      g.s().from.String(),
		To:        to,
		Subject:   subject,
		MessageID: submit.NewMessageID(now, g.domain()),
	}, now)
	if err != nil {
		st.Discard()
		return nil, err
	}
	g.opts.Log.Info("scan queued", "job", job.Number, "files", len(names), "to", strings.Join(to, ","))
	report(Progress{Stage: StageConverting})
	// The job's lock keeps the delivery loop from preparing it at the same time; it tries at its next pass.
	if unlock, err := sp.Lock(job.ID); err == nil {
		defer unlock()
	}
	if err := g.prepare(sp, job); err != nil {
		job.LastResult, job.LastDetail = Explain(err)
		if decide(err) != actFail {
			// A trouble that may pass (a full card): the job stays queued, and the delivery loop prepares it
			// again with its retries.
			if uerr := sp.Update(job); uerr != nil {
				g.opts.Log.Error("updating job", "job", job.Number, "err", uerr)
			}
			return job, nil
		}
		job.State = spool.Failed
		if uerr := sp.Update(job); uerr != nil {
			g.opts.Log.Error("updating job", "job", job.Number, "err", uerr)
		}
		return job, err
	}
	return job, nil
}

// convertPages makes a job's PDF; tests replace it to fail the way a full card does.
var convertPages = document.ConvertPages

// prepare converts the job's pages into one PDF and composes its mail, once: every attempt then sends the same
// bytes under the same Message-ID.
func (g *Gateway) prepare(sp *spool.Spool, job *spool.Job) error {
	dir := sp.JobDir(job.ID)
	if _, err := os.Stat(filepath.Join(dir, messageFile)); err == nil || asStored(job) {
		return err // a relayed mail or a report is its message file: nothing to convert, and nothing to make again
	}
	pages, err := convertPages(context.Background(), filepath.Join(dir, pdfFile), g.inputs(sp, job), 1, math.MaxInt, g.pdfInfo(job))
	if err != nil {
		return err
	}
	job.Pages = pages
	if job.Subject == "" {
		if job.Subject, err = config.Expand(g.s().cfg.Mail.Subject, g.values(job)); err != nil {
			return fmt.Errorf("config: mail.subject: %w", err)
		}
	}
	if err := g.compose(filepath.Join(dir, messageFile), job, job.Subject, job.MessageID, filepath.Join(dir, pdfFile), ""); err != nil {
		return err
	}
	return sp.Update(job)
}

func (g *Gateway) inputs(sp *spool.Spool, job *spool.Job) []string {
	in := make([]string, len(job.Files))
	for i, f := range job.Files {
		in[i] = filepath.Join(sp.JobDir(job.ID), f)
	}
	return in
}

func (g *Gateway) pdfInfo(job *spool.Job) document.Info {
	title, _ := config.Expand("Scan from {device} {date} {time}", g.values(job))
	return document.Info{Title: title, Producer: "Scangate " + g.opts.Version, Created: job.Created.In(time.Local), Mode: 0o600}
}

// values are the template placeholders of a job.
func (g *Gateway) values(job *spool.Job) map[string]string {
	created := job.Created.In(time.Local)
	dest := job.DestName
	if dest == "" && len(job.To) > 0 {
		dest = job.To[0]
	}
	return map[string]string{
		"device": g.s().cfg.Device.Name,
		"date":   created.Format("2006-01-02"),
		"time":   created.Format("15:04"),
		"dest":   dest,
		"pages":  strconv.Itoa(job.Pages),
	}
}

// compose writes the mail of a job (or of one part of it, note says which) to path, atomically.
func (g *Gateway) compose(path string, job *spool.Job, subject, messageID, pdfPath, note string) error {
	body, err := config.Expand(g.s().cfg.Mail.Body, g.values(job))
	if err != nil {
		return fmt.Errorf("config: mail.body: %w", err)
	}
	if note != "" {
		body = note + "\n\n" + body
	}
	from, err := mail.ParseAddress(job.From)
	if err != nil {
		from = g.s().from
	}
	to := make([]*mail.Address, len(job.To))
	for i, a := range job.To {
		to[i] = &mail.Address{Address: a}
		if len(job.To) == 1 {
			to[i].Name = job.DestName
		}
	}
	pdf, err := os.Open(pdfPath)
	if err != nil {
		return err
	}
	defer pdf.Close()
	created := job.Created.In(time.Local)
	name := "scan-" + created.Format("20060102-1504") + ".pdf"
	if base := filepath.Base(pdfPath); base != pdfFile {
		name = "scan-" + created.Format("20060102-1504") + "-" + base
	}
	m := submit.Mail{
		From:      from,
		To:        to,
		Subject:   subject,
		Date:      created,
		MessageID: messageID,
		Text:      body,
		Attachments: []submit.Attachment{{
			Name:        name,
			ContentType: "application/pdf",
			Body:        pdf,
		}},
	}
	return spoolFile(path, func(f *os.File) error { return submit.Compose(f, m) })
}

// KeptID names the kept pull in the queue (panel and command line), beside the jobs' numbers.
const KeptID = "kept"

// KeptDetail describes a kept pull in a sentence.
func KeptDetail(k *spool.KeptPull) string {
	what := "1 file"
	if n := len(k.Files); n != 1 {
		what = strconv.Itoa(n) + " files"
	}
	if k.Partial {
		what += " and the beginning of another"
	}
	return fmt.Sprintf("A pull from the machine was cut short at %s; %s (%d KB) are kept. Press Send to go on from there, or delete them.",
		k.Since.In(time.Local).Format("15:04"), what, (k.Bytes+1023)>>10)
}
