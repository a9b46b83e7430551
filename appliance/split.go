package appliance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// Estimates of what a mail adds around its pages; the plan is checked against the real files.
const (
	base64Growth = 4.0 / 3 * 78 / 76 // base64, in lines of 76 characters and CRLF
	mailOverhead = 8 << 10           // headers, the text part, MIME boundaries, the PDF's own structure
	// planMargin keeps each planned part this much under the limit, for the estimates' error.
	planMargin = 0.95
)

func partFile(i int, ext string) string { return fmt.Sprintf("part-%d%s", i+1, ext) }

// split plans the job's pages into parts whose mails fit under limit, and makes each part's PDF and mail in the
// job's directory. Each part is an independent mail ("part n of m" in its subject, never message/partial), with
// a Message-ID of its own derived from the job's. A page that alone is too large holds the job.
func (g *Gateway) split(sp *spool.Spool, j *spool.Job, limit int64) ([]spool.Part, error) {
	sizes, err := g.pageSizes(sp, j)
	if err != nil {
		return nil, err
	}
	estimate := func(first, last int) int64 {
		var data int64
		for p := first; p <= last; p++ {
			data += sizes[p-1]
		}
		return int64(float64(data)*base64Growth) + mailOverhead
	}
	budget := int64(float64(limit) * planMargin)
	var plan []spool.Part
	first := 1
	for p := 1; p <= len(sizes); p++ {
		if estimate(p, p) > budget {
			return nil, fmt.Errorf("%w: page %d alone makes a mail of about %d KB; the server accepts %d KB",
				submit.ErrTooLarge, p, estimate(p, p)>>10, limit>>10)
		}
		if estimate(first, p) > budget {
			plan = append(plan, spool.Part{First: first, Last: p - 1})
			first = p
		}
	}
	plan = append(plan, spool.Part{First: first, Last: len(sizes)})
	// Make the parts; one that still comes out too large is halved.
	for i := 0; i < len(plan); i++ {
		size, err := g.makePart(sp, j, plan, i)
		if err != nil {
			return nil, err
		}
		if size <= limit {
			continue
		}
		p := plan[i]
		if p.First == p.Last {
			return nil, fmt.Errorf("%w: page %d alone makes a mail of %d KB; the server accepts %d KB",
				submit.ErrTooLarge, p.First, size>>10, limit>>10)
		}
		mid := (p.First + p.Last) / 2
		plan = append(plan[:i], append([]spool.Part{{First: p.First, Last: mid}, {First: mid + 1, Last: p.Last}}, plan[i+1:]...)...)
		i = -1 // the parts' numbers changed: make them all again
	}
	return plan, nil
}

// pageSizes measures what each page weighs in a PDF, by making a one-page PDF of it: the pages' sizes in the
// input say little (a raw page is recoded to G4, a G3 page may be compacted).
func (g *Gateway) pageSizes(sp *spool.Spool, j *spool.Job) ([]int64, error) {
	tmp := filepath.Join(sp.JobDir(j.ID), "measure.pdf")
	defer os.Remove(tmp)
	sizes := make([]int64, j.Pages)
	for p := 1; p <= j.Pages; p++ {
		if _, err := convertPages(context.Background(), tmp, g.inputs(sp, j), p, p, g.pdfInfo(j)); err != nil {
			return nil, err
		}
		st, err := os.Stat(tmp)
		if err != nil {
			return nil, err
		}
		sizes[p-1] = st.Size()
	}
	return sizes, nil
}

// makePart writes the PDF and the mail of part i of plan, and returns the mail's size.
func (g *Gateway) makePart(sp *spool.Spool, j *spool.Job, plan []spool.Part, i int) (int64, error) {
	dir := sp.JobDir(j.ID)
	p, n := plan[i], len(plan)
	pdf := filepath.Join(dir, partFile(i, ".pdf"))
	if _, err := convertPages(context.Background(), pdf, g.inputs(sp, j), p.First, p.Last, g.pdfInfo(j)); err != nil {
		return 0, err
	}
	id := j.MessageID
	if at := strings.LastIndexByte(id, '@'); at > 0 {
		id = fmt.Sprintf("%s.part%dof%d%s", id[:at], i+1, n, id[at:])
	}
	subject := fmt.Sprintf("%s (part %d of %d)", j.Subject, i+1, n)
	note := fmt.Sprintf("Part %d of %d: pages %d to %d of %d. The scan was too large for one mail.", i+1, n, p.First, p.Last, j.Pages)
	eml := filepath.Join(dir, partFile(i, ".eml"))
	if err := g.compose(eml, j, subject, id, pdf, note); err != nil {
		return 0, err
	}
	st, err := os.Stat(eml)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
