package appliance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// RelayEnvelope is what the listener accepted: the sender and recipients of the SMTP transaction and who sent it.
type RelayEnvelope struct {
	// From is the envelope sender (MAIL FROM) as an addr-spec; "" (or "<>") is the null sender.
	From string
	// To are the envelope recipients (RCPT TO), addr-specs.
	To []string
	// Peer is the client's address ("192.168.1.20:51234"), User the login it used ("" without AUTH).
	Peer string
	User string
}

// Errors of EnqueueMessage besides spool.ErrFull.
var (
	// ErrTooLarge means the message is larger than RelayMaxBytes (552 for the listener). It wraps
	// submit.ErrTooLarge.
	ErrTooLarge = fmt.Errorf("appliance: %w", submit.ErrTooLarge)
	// ErrBadMessage means the transaction cannot become a job: no recipient, or a header beyond reason (554).
	ErrBadMessage = errors.New("appliance: not a message the relay can take")
)

const (
	// defaultRelayMax is the largest relayed message while neither relay.max_mb nor the server's SIZE says.
	defaultRelayMax = 25 << 20
	// relayHeadroom is what the gateway may add to a relayed message (Received:, From: and Reply-To:), kept
	// free under the server's SIZE and in the spool's room.
	relayHeadroom = 4 << 10
	// maxHeaderBytes bounds the header of a relayed message, which is read into memory.
	maxHeaderBytes = 256 << 10
)

// RelayMaxBytes is the largest message the relay accepts: relay.max_mb, or else the upstream server's SIZE as
// the delivery loop last saw it, less the room for what the gateway adds (25 MiB while neither is known).
// When both are known the smaller wins: a message the server will refuse is better refused with 552 at once
// than held in the queue.
func (g *Gateway) RelayMaxBytes() int64 {
	var up int64
	if n := g.upstreamSize.Load(); n > 0 {
		up = max(n-relayHeadroom, 1)
	}
	var set int64
	if r := g.s().cfg.Relay; r != nil {
		set = r.MaxBytes()
	}
	switch {
	case set > 0 && up > 0:
		return min(set, up)
	case set > 0:
		return set
	case up > 0:
		return up
	}
	return defaultRelayMax
}

// RelayRoom reports whether the spool can take a message of n bytes now (0: size unknown), for a 452 before
// DATA; the error wraps spool.ErrFull.
func (g *Gateway) RelayRoom(n int64) error {
	sp, err := g.queue()
	if err != nil {
		return err
	}
	room, err := sp.Room()
	if err != nil {
		return err
	}
	if n+relayHeadroom > room {
		return fmt.Errorf("%w: a mail of %d KB does not fit, there is room for %d KB; send or delete jobs",
			spool.ErrFull, (n+1023)>>10, room>>10)
	}
	return nil
}

// EnqueueMessage spools msg (the DATA as received, CRLF lines, dot-unstuffed) as a job and returns only once it
// is durable (fsync'd file and directory): the listener answers 250 after it. It refuses with an error wrapping
// spool.ErrFull when the spool has no room, with one wrapping ErrTooLarge when msg exceeds RelayMaxBytes (it
// reads at most one byte more), and with ErrBadMessage for no recipient or a header beyond reason.
//
// With relay.rewrite_from (the default) the header's From: becomes the account's and the machine's From: moves
// to Reply-To: unless the mail has one (a Sender: field goes: it would claim the account sends on the machine's
// behalf), and the envelope sender is the account's; a Received: trace field is added on top. Every other byte
// is stored as received. Nothing half-written survives a failure or a crash: the message is written under a
// temporary name in a staging directory of its own, which Recover removes, and the job appears at once whole.
func (g *Gateway) EnqueueMessage(env RelayEnvelope, msg io.Reader) (*spool.Job, error) {
	s := g.s()
	if s.setup {
		return nil, ErrNotSetUp
	}
	if len(env.To) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrBadMessage)
	}
	for _, to := range env.To {
		if strings.TrimSpace(to) == "" || strings.ContainsAny(to, "<>\r\n") {
			return nil, fmt.Errorf("%w: recipient %q", ErrBadMessage, to)
		}
	}
	if env.From == "<>" {
		env.From = ""
	}
	sp, err := g.queue()
	if err != nil {
		return nil, err
	}
	room, err := sp.Room()
	if err != nil {
		return nil, err
	}
	limit := g.RelayMaxBytes()
	st, err := sp.StageMessage()
	if err != nil {
		return nil, err
	}
	rewrite := s.cfg.Relay == nil || s.cfg.Relay.RewritesFrom()
	in := &relayReader{r: msg, limit: limit, room: room - relayHeadroom}
	now := g.opts.Now()
	hdr, err := g.writeRelayed(filepath.Join(st.Dir, messageFile), env, in, rewrite, now)
	if err != nil {
		st.Discard()
		return nil, err
	}
	job := spool.Job{
		Files:     []string{messageFile},
		DestName:  env.To[0],
		From:      env.From,
		To:        env.To,
		Subject:   hdr.subject,
		MessageID: hdr.messageID,
		Source:    spool.SourceRelay,
		Peer:      env.Peer,
		RelayUser: env.User,
		Sender:    env.From,
		EightBit:  in.eightBit,
	}
	if rewrite {
		job.From = s.from.String()
	}
	j, err := st.Commit(job, now)
	if err != nil {
		st.Discard()
		return nil, err
	}
	// The listener logs the one INFO line of an accepted message, with what only it knows (the TLS version).
	return j, nil
}

// relayedHeader is what the job keeps of a relayed message's header.
type relayedHeader struct {
	subject, messageID string
}

// writeRelayed stores the message read from in at path, through a pending file: nothing is at path unless the
// whole message is, synced.
func (g *Gateway) writeRelayed(path string, env RelayEnvelope, in *relayReader, rewrite bool, now time.Time) (relayedHeader, error) {
	var out relayedHeader
	p, err := atomicfile.Create(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return out, fmt.Errorf("appliance: %w", err)
	}
	defer p.Abort()
	br := bufio.NewReaderSize(in, 32<<10)
	header, blank, err := readHeader(br)
	if err != nil {
		return out, err
	}
	fields := splitFields(header)
	out.subject = decodeHeader(fieldValue(fields, "Subject"))
	out.messageID = strings.TrimSpace(unfold(fieldValue(fields, "Message-ID")))
	w := bufio.NewWriterSize(p.File(), 64<<10)
	w.WriteString(g.received(env, now))
	if rewrite {
		fields = g.rewriteFrom(fields)
	}
	for _, f := range fields {
		w.Write(f.raw)
	}
	w.Write(blank)
	if _, err := io.Copy(w, br); err != nil {
		return out, err
	}
	if err := w.Flush(); err != nil {
		return out, fmt.Errorf("appliance: %s: %w", messageFile, err)
	}
	if err := p.Commit(path, 0o600); err != nil {
		return out, fmt.Errorf("appliance: %s: %w", messageFile, err)
	}
	return out, nil
}

// received is the trace field the gateway adds on top of a relayed message (RFC 5321 §4.4).
func (g *Gateway) received(env RelayEnvelope, now time.Time) string {
	from := env.Peer
	if host, _, err := net.SplitHostPort(env.Peer); err == nil {
		from = host
	}
	if ip := net.ParseIP(from); ip != nil && ip.To4() == nil {
		from = "IPv6:" + from // the address literal of RFC 5321 §4.1.3
	}
	if from == "" {
		from = "unknown"
	}
	by := g.s().cfg.Account.HelloName
	if by == "" {
		by, _ = os.Hostname()
	}
	if by == "" {
		by = "localhost"
	}
	with := "ESMTP"
	if env.User != "" {
		with = "ESMTPA"
	}
	return fmt.Sprintf("Received: from [%s] by %s (Scangate) with %s;\r\n\t%s\r\n", from, by, with,
		now.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
}

// rewriteFrom gives the header the account's From:, moves the machine's to Reply-To: unless there is one, and
// drops Sender:.
func (g *Gateway) rewriteFrom(fields []field) []field {
	acct := field{name: "From", colon: 4, raw: []byte("From: " + g.s().from.String() + "\r\n")}
	hasReplyTo := false
	for _, f := range fields {
		if strings.EqualFold(f.name, "Reply-To") {
			hasReplyTo = true
		}
	}
	out := make([]field, 0, len(fields)+2)
	done := false
	for _, f := range fields {
		switch {
		case strings.EqualFold(f.name, "Sender"):
			continue
		case strings.EqualFold(f.name, "From") && !done:
			done = true
			out = append(out, acct)
			value := f.value()
			if _, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(unfold(string(value))); err == nil && !hasReplyTo {
				out = append(out, field{name: "Reply-To", colon: 8, raw: append([]byte("Reply-To:"), value...)})
			}
		case strings.EqualFold(f.name, "From"):
			continue // a second From: would name the machine again
		default:
			out = append(out, f)
		}
	}
	if !done {
		out = append(out, acct)
	}
	return out
}

// field is one header field as received: its name and its raw bytes, the continuation lines and the line
// ends included.
type field struct {
	name  string
	colon int // where the colon is in raw
	raw   []byte
}

// value is the field's raw value: what follows the colon, the line ends included.
func (f field) value() []byte { return f.raw[f.colon+1:] }

// readHeader reads the header: the lines up to the empty line that ends it, which it returns apart (nil when the
// message ends without one).
func readHeader(br *bufio.Reader) (header, blank []byte, err error) {
	for {
		start := len(header)
		for {
			line, err := br.ReadSlice('\n')
			header = append(header, line...)
			if len(header) > maxHeaderBytes {
				return nil, nil, fmt.Errorf("%w: its header is larger than %d KB", ErrBadMessage, maxHeaderBytes>>10)
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) {
				return header, nil, nil
			}
			if err != nil {
				return nil, nil, err
			}
			break
		}
		if l := header[start:]; string(l) == "\r\n" || string(l) == "\n" {
			return header[:start], l, nil
		}
	}
}

// splitFields cuts a header into its fields. A line that is no field's start nor a continuation (damaged
// header) stays with the field before it, so that every byte is kept.
func splitFields(h []byte) []field {
	var fields []field
	for len(h) > 0 {
		end := bytes.IndexByte(h, '\n') + 1
		if end == 0 {
			end = len(h)
		}
		line := h[:end]
		h = h[end:]
		name, c := "", bytes.IndexByte(line, ':')
		if c > 0 && line[0] != ' ' && line[0] != '\t' {
			// The obsolete syntax allows blanks before the colon (RFC 5322 §4.5).
			if n := bytes.TrimRight(line[:c], " \t"); len(n) > 0 && !bytes.ContainsAny(n, " \t") {
				name = string(n)
			}
		}
		if name == "" && len(fields) > 0 {
			fields[len(fields)-1].raw = append(fields[len(fields)-1].raw, line...)
			continue
		}
		fields = append(fields, field{name: name, colon: c, raw: append([]byte(nil), line...)})
	}
	return fields
}

// fieldValue is the raw value of the first field named name, or "".
func fieldValue(fields []field, name string) string {
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return string(f.value())
		}
	}
	return ""
}

func unfold(s string) string { return strings.NewReplacer("\r\n", "", "\n", "").Replace(s) }

var wordDecoder = new(mime.WordDecoder)

// decodeHeader unfolds a field's value and decodes its encoded words where it can, for the panel and the journal.
func decodeHeader(v string) string {
	v = strings.TrimSpace(unfold(v))
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// relayReader reads a relayed message within the size limit and the spool's room, and notes 8-bit bytes.
type relayReader struct {
	r        io.Reader
	limit    int64 // RelayMaxBytes
	room     int64 // the spool's room
	n        int64
	eightBit bool
}

func (r *relayReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.n > r.limit {
		return 0, fmt.Errorf("%w: the mail is larger than %d KB", ErrTooLarge, r.limit>>10)
	}
	if r.n > r.room {
		return 0, fmt.Errorf("%w: the mail does not fit in the queue, there is room for %d KB; send or delete jobs",
			spool.ErrFull, max(r.room, 0)>>10)
	}
	if !r.eightBit {
		for _, c := range p[:n] {
			if c >= 0x80 {
				r.eightBit = true
				break
			}
		}
	}
	return n, err
}

// noun names what a job carries, for the words of its outcome.
func noun(j *spool.Job) string {
	if asStored(j) {
		return "mail"
	}
	return "scan"
}

// asStored reports whether the job is sent as its message file is (a relayed mail, a failure report): never
// converted nor split.
func asStored(j *spool.Job) bool {
	return j.Source == spool.SourceRelay || j.Source == spool.SourceBounce
}
