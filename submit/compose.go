package submit

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"time"

	"github.com/emersion/go-message/mail"
)

// Mail is one message as the gateway writes it.
type Mail struct {
	From    *netmail.Address
	To      []*netmail.Address
	Subject string
	Date    time.Time
	// MessageID is the Message-ID without angle brackets. It is chosen once, when the job is queued, so that
	// a retry after an uncertain end of DATA sends the same message.
	MessageID   string
	Text        string
	Attachments []Attachment
}

// Attachment is one file attached to a Mail.
type Attachment struct {
	Name        string // file name shown to the recipient
	ContentType string // e.g. "application/pdf"
	Body        io.Reader
}

// Compose writes m as a MIME message with CRLF line ends: a text part, then each attachment in base64.
// File names are written with RFC 2231 parameters, which strict receivers read correctly even when the name
// is not ASCII.
func Compose(w io.Writer, m Mail) error {
	if m.From == nil || len(m.To) == 0 {
		return fmt.Errorf("submit: compose: a mail needs a sender and at least one recipient")
	}
	var h mail.Header
	h.SetAddressList("From", []*mail.Address{(*mail.Address)(m.From)})
	to := make([]*mail.Address, len(m.To))
	for i, a := range m.To {
		to[i] = (*mail.Address)(a)
	}
	h.SetAddressList("To", to)
	h.SetSubject(m.Subject)
	h.SetDate(m.Date)
	h.SetMessageID(m.MessageID)
	mw, err := mail.CreateWriter(w, h)
	if err != nil {
		return fmt.Errorf("submit: compose: %w", err)
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return fmt.Errorf("submit: compose: %w", err)
	}
	if _, err := io.WriteString(tw, m.Text); err != nil {
		return fmt.Errorf("submit: compose: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("submit: compose: %w", err)
	}
	for _, a := range m.Attachments {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", mime.FormatMediaType(a.ContentType, map[string]string{"name": a.Name}))
		ah.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
		ah.Set("Content-Transfer-Encoding", "base64")
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return fmt.Errorf("submit: compose: %w", err)
		}
		if _, err := io.Copy(aw, a.Body); err != nil {
			return fmt.Errorf("submit: compose: attachment %s: %w", a.Name, err)
		}
		if err := aw.Close(); err != nil {
			return fmt.Errorf("submit: compose: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("submit: compose: %w", err)
	}
	return nil
}

// NewMessageID returns a fresh, globally unique Message-ID (without angle brackets) in domain.
func NewMessageID(now time.Time, domain string) string {
	var b [12]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s.%s@%s", now.UTC().Format("20060102T150405"), hex.EncodeToString(b[:]), domain)
}
