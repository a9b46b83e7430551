package device

import (
	"errors"
	"fmt"
	"time"
)

// maxAttn bounds the attention string a sender may set with ZSINIT.
const maxAttn = 32

// finishTries bounds how often the receiver sends ZFIN while it waits for
// the sender's closing "OO", which is optional: the files are already
// committed.
const finishTries = 3

// zmodemRx is one run of the receiver.
type zmodemRx struct {
	m    *Zmodem
	l    *link
	r    *zreader
	w    waits
	attn []byte // sent before each ZRPOS after an error (from ZSINIT)
	// alive is when the sender last showed it is on its way: our ZRPOS
	// went out, or a good data frame or subpacket came in.
	alive time.Time
	buf   [maxSubpacket]byte
}

func (rx *zmodemRx) send(h zheader) error {
	return rx.l.write(appendHexHeader(nil, h)...)
}

func (rx *zmodemRx) batch(sink Sink) ([]File, error) {
	if len(rx.m.z.Trigger) > 0 {
		if err := rx.l.write(rx.m.z.Trigger...); err != nil {
			return nil, err
		}
	}
	var files []File
	for index := 0; ; index++ {
		h, end, err := rx.awaitFile()
		if err != nil {
			return files, err
		}
		if end {
			rx.finish()
			return files, nil
		}
		f, err := rx.file(index, h, sink)
		if err != nil {
			return files, fmt.Errorf("%s: %w", CleanName(h.name), err)
		}
		files = append(files, f)
	}
}

// awaitFile sends ZRINIT and waits for the next file's ZFILE, or for ZFIN
// at the end of the batch (end). It answers ZRQINIT and ZSINIT on the
// way.
func (rx *zmodemRx) awaitFile() (h header, end bool, err error) {
	rx.l.startFile()
	if err := rx.send(rx.m.rinit); err != nil {
		return h, false, err
	}
	errs := 0
	// retry counts what got us nowhere and answers it with reply: ZRINIT
	// again, or ZNAK for a damaged subpacket.
	retry := func(why error, reply zheader) error {
		if errs++; errs > rx.m.opts.Retries {
			return fmt.Errorf("waiting for a file: %d errors in a row, last: %v: %w", errs, why, ErrDamaged)
		}
		return rx.send(reply)
	}
	for {
		zh, framing, err := rx.r.header(rx.w.ask)
		switch {
		case errors.Is(err, errQuiet):
			err = rx.send(rx.m.rinit)
		case errors.Is(err, errGarbled):
			err = retry(err, rx.m.rinit)
		case err != nil:
		case zh.typ == zfile || zh.typ == zsinit:
			data, _, serr := rx.r.subpacket(rx.buf[:], framing == zbin32)
			switch {
			case errors.Is(serr, errGarbled):
				err = retry(serr, zheader{typ: znak})
			case serr != nil:
				err = serr
			case zh.typ == zfile:
				h, err := parseHeader(data)
				rx.l.fileSize(h.size)
				return h, false, err
			default:
				rx.setAttn(data)
				err = rx.send(posHeader(zack, 1))
			}
		case zh.typ == zfin:
			rx.l.endFile()
			return h, true, nil
		case zh.typ == zabort || zh.typ == zferr || zh.typ == zcan:
			err = cancelledError{fmt.Errorf("sender sent %s: %w", zname(zh.typ), ErrCancelled)}
		default:
			// ZRQINIT, or leftovers of an earlier file.
			err = retry(fmt.Errorf("unexpected %s", zname(zh.typ)), rx.m.rinit)
		}
		if err != nil {
			return h, false, err
		}
	}
}

// setAttn keeps the attention string of a ZSINIT, up to its NUL and
// without the pause and break commands (0xde, 0xdd) that a serial port
// here cannot give.
func (rx *zmodemRx) setAttn(data []byte) {
	rx.attn = rx.attn[:0]
	for _, c := range data {
		if c == 0 || len(rx.attn) == maxAttn {
			break
		}
		if c != 0xdd && c != 0xde {
			rx.attn = append(rx.attn, c)
		}
	}
}

// maxSkip bounds the data the receiver takes in again and throws away
// when the sender restarts behind the receiver's offset (an answer to an
// earlier ZRPOS); beyond it the receiver asks for its offset instead.
const maxSkip = 256 << 10

// file receives the data of one file into sink and commits it.
func (rx *zmodemRx) file(index int, h header, sink Sink) (File, error) {
	if h.size > maxZPos {
		return File{}, fmt.Errorf("announced size %d is beyond ZMODEM offsets: %w", h.size, ErrProtocol)
	}
	in, pos, err := startFile(sink, h)
	if err != nil {
		// Refused before any of its data was asked for: the transfer is
		// cancelled and the machine keeps the file.
		return File{}, err
	}
	// keep is cleared when the data itself is wrong, and when the sink
	// failed: a file that is suspended may be resumed later, so only good
	// data is kept, and keeping what the sink had no room for would only
	// take the room again.
	keep, done := true, false
	defer func() {
		if done {
			return
		}
		if r, ok := in.(Resumable); ok && keep {
			r.Suspend()
			return
		}
		in.Abort()
	}()
	if h.size >= 0 && pos > h.size {
		return File{}, fmt.Errorf("sink resumes at %d of %d bytes: %w", pos, h.size, ErrProtocol)
	}
	name := CleanName(h.name)
	progress := func() {
		rx.l.progress(Progress{File: name, Index: index, Bytes: pos, Total: h.size})
	}
	progress()

	var (
		errs    int
		syncing bool // a ZRPOS for pos is out; the data before it is stale
	)
	ask := func() error {
		syncing, rx.alive = true, rx.l.now()
		return rx.send(posHeader(zrpos, pos))
	}
	// reposition counts an error and asks for the data from pos again.
	reposition := func(why error) error {
		if errs++; errs > rx.m.opts.Retries {
			return fmt.Errorf("at byte %d: %d errors in a row, last: %v: %w", pos, errs, why, ErrDamaged)
		}
		if len(rx.attn) > 0 {
			if err := rx.l.write(rx.attn...); err != nil {
				return err
			}
		}
		return ask()
	}
	if err := ask(); err != nil {
		return File{}, err
	}
	for {
		// After a ZRPOS, data that was on its way before the sender saw it
		// drains first: the sender has until ask after its last sign of
		// life to come back to pos.
		wait := rx.w.ask
		if syncing {
			wait = rx.alive.Add(rx.w.ask).Sub(rx.l.now())
		}
		zh, framing, err := rx.r.header(wait)
		switch {
		case errors.Is(err, errQuiet):
			err = reposition(errors.New("no answer"))
		case errors.Is(err, errGarbled):
			// What looks like a damaged header in draining data is stale.
			if !syncing || !rx.l.now().Before(rx.alive.Add(rx.w.ask)) {
				err = reposition(err)
			} else {
				err = nil
			}
		case err != nil:
		case zh.typ == zdata:
			skip := pos - zh.pos()
			if skip < 0 || skip > maxSkip {
				err = reposition(fmt.Errorf("data from byte %d", zh.pos()))
				break
			}
			rx.alive = rx.l.now()
			from := pos
			err = rx.data(in, framing == zbin32, &pos, skip, h.size, progress)
			switch {
			case errors.Is(err, errGarbled) && syncing && skip > 0 && pos == from:
				// Damage in a frame sent for an earlier ZRPOS, before it
				// reached pos: the answer to ours is still to come.
				err = nil
			case errors.Is(err, errGarbled):
				err = reposition(err)
			case errors.Is(err, ErrDamaged), errors.As(err, new(sinkError)):
				keep = false
			case err == nil:
				syncing = false
			}
			if pos > from {
				errs = 0
			}
		case zh.typ == zeof:
			if zh.pos() != pos {
				// An end sent before the sender saw our ZRPOS is stale.
				if !syncing {
					err = reposition(fmt.Errorf("end of file at byte %d", zh.pos()))
				}
				break
			}
			if h.size >= 0 && pos != h.size {
				keep = false
				return File{}, fmt.Errorf("ended after %d of %d bytes: %w", pos, h.size, ErrDamaged)
			}
			f, err := in.Commit()
			if err != nil {
				keep = false
				return File{}, err
			}
			done = true
			return f, nil
		case zh.typ == zfile:
			// The sender did not hear our ZRPOS.
			if _, _, serr := rx.r.subpacket(rx.buf[:], framing == zbin32); serr != nil && !errors.Is(serr, errGarbled) {
				return File{}, serr
			}
			err = reposition(errors.New("file header again"))
		case zh.typ == zabort || zh.typ == zferr || zh.typ == zcan:
			err = cancelledError{fmt.Errorf("sender sent %s: %w", zname(zh.typ), ErrCancelled)}
		case zh.typ == zfin:
			err = fmt.Errorf("sender ended the batch at byte %d: %w", pos, ErrProtocol)
		default:
			err = reposition(fmt.Errorf("unexpected %s", zname(zh.typ)))
		}
		if err != nil {
			return File{}, err
		}
	}
}

// data reads the subpackets of a ZDATA frame, dropping the first skip
// bytes, which the file already has, and writes the rest at *pos. It
// returns when the frame ends (ZCRCE, ZCRCW). A damaged subpacket returns
// an error wrapping errGarbled.
func (rx *zmodemRx) data(in Incoming, crc32ed bool, pos *int64, skip, size int64, progress func()) error {
	for {
		data, end, err := rx.r.subpacket(rx.buf[:], crc32ed)
		if err != nil {
			return err
		}
		rx.alive = rx.l.now()
		drop := min(skip, int64(len(data)))
		data, skip = data[drop:], skip-drop
		if len(data) > 0 {
			if size >= 0 && *pos+int64(len(data)) > size {
				return fmt.Errorf("more than the announced %d bytes: %w", size, ErrDamaged)
			}
			if *pos+int64(len(data)) > maxZPos {
				return fmt.Errorf("data beyond ZMODEM offsets: %w", ErrProtocol)
			}
			if _, err := in.Write(data); err != nil {
				return sinkError{fmt.Errorf("writing at byte %d: %w", *pos, err)}
			}
			*pos += int64(len(data))
			progress()
		}
		switch end {
		case zcrcq, zcrcw:
			if err := rx.send(posHeader(zack, *pos)); err != nil {
				return err
			}
		}
		if end == zcrce || end == zcrcw {
			return nil
		}
	}
}

// startFile starts a file in sink, resuming it where the sink can.
func startFile(sink Sink, h header) (Incoming, int64, error) {
	if r, ok := sink.(Resumer); ok {
		return r.Resume(h.name, h.size, h.mod)
	}
	in, err := sink.Create(h.name, h.size, h.mod)
	return in, 0, err
}

// finish answers the sender's ZFIN and waits briefly for its "OO".
func (rx *zmodemRx) finish() {
	l := rx.l
	for range finishTries {
		if rx.send(zheader{typ: zfin}) != nil {
			return
		}
		for seen := 0; seen < linkBufSize; seen++ {
			c, err := l.readByte(rx.w.gap)
			if errors.Is(err, errQuiet) {
				break
			}
			if err != nil {
				return
			}
			if c == 'O' {
				if l.r < l.w && l.buf[l.r] == 'O' {
					l.r++
				}
				return
			}
		}
	}
}

var znames = [...]string{"ZRQINIT", "ZRINIT", "ZSINIT", "ZACK", "ZFILE", "ZSKIP", "ZNAK", "ZABORT", "ZFIN", "ZRPOS",
	"ZDATA", "ZEOF", "ZFERR", "ZCRC", "ZCHALLENGE", "ZCOMPL", "ZCAN", "ZFREECNT", "ZCOMMAND", "ZSTDERR"}

// zname names a header type for error messages.
func zname(typ byte) string {
	if int(typ) < len(znames) {
		return znames[typ]
	}
	return fmt.Sprintf("header type %d", typ)
}
