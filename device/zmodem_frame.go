package device

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// ZMODEM framing bytes.
const (
	zpad   = '*'  // starts every header
	zdle   = can  // escapes the byte after it
	zbin   = 'A'  // binary header with a CRC-16
	zhex   = 'B'  // header in hex digits with a CRC-16
	zbin32 = 'C'  // binary header with a CRC-32
	xon    = 0x11 // flow control bytes, never sent bare
	xoff   = 0x13
	bs     = 0x08 // backspace, which follows the CAN bytes of a cancel
)

// ZMODEM header types.
const (
	zrqinit    = 0  // sender asks the receiver to start
	zrinit     = 1  // receiver is ready, with its capabilities
	zsinit     = 2  // sender's options and attention string
	zack       = 3  // acknowledgement
	zfile      = 4  // file name and size follow
	zskip      = 5  // receiver skips the file
	znak       = 6  // last header was damaged
	zabort     = 7  // abort the batch
	zfin       = 8  // end of the batch
	zrpos      = 9  // receiver wants data from this offset
	zdata      = 10 // data subpackets from this offset follow
	zeof       = 11 // end of file at this offset
	zferr      = 12 // fatal file error
	zcrc       = 13 // CRC-32 of a file's first bytes, asked or given
	zchallenge = 14 // receiver's challenge, echoed in a ZACK
	zcompl     = 15 // command complete
	zcan       = 16 // cancelled (the CAN sequence as a header type)
	zfreecnt   = 17 // free space request
	zcommand   = 18 // command from the sender (never executed)
	zstderr    = 19 // message for the receiver's stderr
)

// What follows a ZDLE to end a data subpacket, and the escaped rubouts.
const (
	zcrce = 'h' // frame ends, a header follows, no reply
	zcrcg = 'i' // frame goes on, no reply
	zcrcq = 'j' // frame goes on, ZACK expected
	zcrcw = 'k' // frame ends, ZACK expected
	zrub0 = 'l' // 0x7f
	zrub1 = 'm' // 0xff
)

// Capability flags of ZRINIT (ZF0).
const (
	zCanFDX  = 0x01 // full duplex
	zCanOVIO = 0x02 // receives while writing to disk
	zCanFC32 = 0x20 // takes CRC-32 frames
	zEscCtl  = 0x40 // wants all control characters escaped
)

// zcbin is the conversion option (ZF0) of ZFILE for a binary file.
const zcbin = 1

// maxSubpacket is the longest data subpacket accepted or sent, as in
// ZMODEM-8K (sz -8).
const maxSubpacket = 8192

// maxZPos is the largest offset a header can carry.
const maxZPos = 1<<32 - 1

// cancelCAN and cancelBS make up the cancel sequence, as lrzsz sends it:
// five CAN bytes in a row stop a ZMODEM peer; the backspaces wipe them
// from a terminal.
const (
	cancelCAN = 10
	cancelBS  = 10
)

// zheader is a ZMODEM header: its type and four bytes, read either as a
// little-endian offset (ZP0..ZP3) or as flags (ZF3..ZF0, so ZF0 is the
// last byte).
type zheader struct {
	typ byte
	arg [4]byte
}

// posHeader returns a header carrying an offset or a count.
func posHeader(typ byte, pos int64) zheader {
	h := zheader{typ: typ}
	binary.LittleEndian.PutUint32(h.arg[:], uint32(pos))
	return h
}

func (h zheader) pos() int64 { return int64(binary.LittleEndian.Uint32(h.arg[:])) }

// zf0 returns the first flags byte.
func (h zheader) zf0() byte { return h.arg[3] }

func (h zheader) bytes() [5]byte {
	return [5]byte{h.typ, h.arg[0], h.arg[1], h.arg[2], h.arg[3]}
}

const hexDigits = "0123456789abcdef"

// appendHexHeader appends h as a hex header: ZPAD ZPAD ZDLE 'B', type,
// flags and CRC-16 in lower-case hex, CR, LF with the high bit set, and
// XON except after ZACK and ZFIN, as lrzsz does.
func appendHexHeader(b []byte, h zheader) []byte {
	raw := h.bytes()
	crc := crc16(raw[:])
	b = append(b, zpad, zpad, zdle, zhex)
	for _, c := range append(raw[:], byte(crc>>8), byte(crc)) {
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	b = append(b, '\r', '\n'|0x80)
	if h.typ != zack && h.typ != zfin {
		b = append(b, xon)
	}
	return b
}

// Escape classes of a byte on the way out.
const (
	escNever = iota
	escAlways
	escAfterAt // CR, escaped after '@' so that "@<CR>" never reaches a network escape
)

// escapeTables hold the escape class of each byte: the minimal set (ZDLE,
// DLE, XON, XOFF, with and without the high bit, and CR after '@'), and
// the set that escapes every control character.
var escapeTables = func() (t [2][256]byte) {
	for i := range 256 {
		c := byte(i)
		switch {
		case c&0x60 != 0:
		case c == zdle, c&0x7f == 0x10, c&0x7f == xon, c&0x7f == xoff:
			t[0][i], t[1][i] = escAlways, escAlways
		case c&0x7f == '\r':
			t[0][i], t[1][i] = escAfterAt, escAlways
		default:
			t[1][i] = escAlways
		}
	}
	return t
}()

// zencoder writes binary headers and data subpackets with ZDLE escapes.
type zencoder struct {
	tab   *[256]byte
	crc32 bool
	last  byte // last byte put on the wire, for the CR-after-'@' rule
}

func newZencoder(escCtl, crc32 bool) *zencoder {
	e := &zencoder{tab: &escapeTables[0], crc32: crc32}
	if escCtl {
		e.tab = &escapeTables[1]
	}
	return e
}

// escape appends data with the escapes it needs.
func (e *zencoder) escape(b, data []byte) []byte {
	tab, last := e.tab, e.last
	for _, c := range data {
		switch tab[c] {
		case escAlways:
			b = append(b, zdle)
			c ^= 0x40
		case escAfterAt:
			if last&0x7f == '@' {
				b = append(b, zdle)
				c ^= 0x40
			}
		}
		b = append(b, c)
		last = c
	}
	e.last = last
	return b
}

// header appends h as a binary header: with a CRC-32 if the receiver
// takes them, else with a CRC-16.
func (e *zencoder) header(b []byte, h zheader) []byte {
	raw := h.bytes()
	if e.crc32 {
		b = append(b, zpad, zdle, zbin32)
		e.last = zbin32
		b = e.escape(b, raw[:])
		return e.escape(b, binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(raw[:])))
	}
	b = append(b, zpad, zdle, zbin)
	e.last = zbin
	b = e.escape(b, raw[:])
	crc := crc16(raw[:])
	return e.escape(b, []byte{byte(crc >> 8), byte(crc)})
}

// subpacket appends data as a data subpacket ending with end (zcrce,
// zcrcg, zcrcq or zcrcw). A ZCRCW subpacket is followed by XON, as lrzsz
// does.
func (e *zencoder) subpacket(b, data []byte, end byte) []byte {
	b = e.escape(b, data)
	b = append(b, zdle, end)
	e.last = end
	tail := [1]byte{end}
	if e.crc32 {
		crc := crc32.Update(crc32.ChecksumIEEE(data), crc32.IEEETable, tail[:])
		var c [4]byte
		binary.LittleEndian.PutUint32(c[:], crc)
		b = e.escape(b, c[:])
	} else {
		crc := crc16Update(crc16(data), tail[:])
		b = e.escape(b, []byte{byte(crc >> 8), byte(crc)})
	}
	if end == zcrcw {
		b = append(b, xon)
		e.last = xon
	}
	return b
}

// crc16Update continues a CRC-16/XMODEM over more data.
func crc16Update(crc uint16, data []byte) uint16 {
	for _, b := range data {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^b]
	}
	return crc
}

// errGarbled marks damage the protocol recovers from: a header or data
// subpacket with a bad CRC, a bad escape, cut short or too long, or a
// line that carries only garbage.
var errGarbled = errors.New("garbled")

func garbled(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errGarbled}, args...)...)
}

// zreader reads ZMODEM headers and data subpackets from a link.
type zreader struct {
	l *link
	// gap is the longest silence allowed inside a header or subpacket.
	gap time.Duration
	// heard reports that a good header has arrived: the peer speaks
	// ZMODEM.
	heard bool
}

// next returns the next byte, waiting at most wait for it.
func (z *zreader) next(wait time.Duration) (byte, error) {
	l := z.l
	if l.r < l.w {
		c := l.buf[l.r]
		l.r++
		return c, nil
	}
	return l.readByte(wait)
}

// next7 returns the next byte inside a header without its parity bit,
// skipping XON and XOFF.
func (z *zreader) next7() (byte, error) {
	for {
		c, err := z.inner()
		if err != nil {
			return 0, err
		}
		if c &= 0x7f; c != xon && c != xoff {
			return c, nil
		}
	}
}

// inner returns the next byte inside a header or subpacket, where
// silence means the frame was cut short.
func (z *zreader) inner() (byte, error) {
	c, err := z.next(z.gap)
	if errors.Is(err, errQuiet) {
		return 0, garbled("cut short")
	}
	return c, err
}

// unescape returns the next byte of a binary header or data subpacket,
// undoing ZDLE escapes and dropping XON and XOFF. end reports a ZDLE
// sequence that ends a subpacket; c is then its end byte. Five CAN bytes
// in a row cancel.
func (z *zreader) unescape() (c byte, end bool, err error) {
	for {
		if c, err = z.inner(); err != nil {
			return 0, false, err
		}
		if c&0x60 != 0 {
			return c, false, nil
		}
		switch c {
		case zdle:
		case xon, xon | 0x80, xoff, xoff | 0x80:
			continue
		default:
			return c, false, nil
		}
		for {
			if c, err = z.inner(); err != nil {
				return 0, false, err
			}
			switch {
			case c == can:
				for range 3 {
					if c, err = z.inner(); err != nil {
						return 0, false, err
					}
					if c != can {
						return 0, false, garbled("bad escape sequence")
					}
				}
				return 0, false, cancelledError{ErrCancelled}
			case c >= zcrce && c <= zcrcw:
				return c, true, nil
			case c == zrub0:
				return 0x7f, false, nil
			case c == zrub1:
				return 0xff, false, nil
			case c&0x7f == xon || c&0x7f == xoff:
				continue
			case c&0x60 == 0x40:
				return c ^ 0x40, false, nil
			}
			return 0, false, garbled("bad escape sequence %#02x", c)
		}
	}
}

// subpacket reads a data subpacket into buf and returns its data, which
// aliases buf, and the byte that ended it.
func (z *zreader) subpacket(buf []byte, crc32ed bool) ([]byte, byte, error) {
	l := z.l
	n := 0
	var end byte
	for {
		// Bytes other than ZDLE, XON and XOFF go straight from the link's
		// buffer.
		for l.r < l.w && n < len(buf) {
			c := l.buf[l.r]
			if c == zdle || c&0x7f == xon || c&0x7f == xoff {
				break
			}
			buf[n] = c
			n++
			l.r++
		}
		c, isEnd, err := z.unescape()
		if err != nil {
			return nil, 0, err
		}
		if isEnd {
			end = c
			break
		}
		if n == len(buf) {
			return nil, 0, garbled("subpacket longer than %d bytes", len(buf))
		}
		buf[n] = c
		n++
	}
	data := buf[:n]
	tail := [1]byte{end}
	var sum [4]byte
	size := 2
	if crc32ed {
		size = 4
	}
	for i := range size {
		c, isEnd, err := z.unescape()
		if err != nil {
			return nil, 0, err
		}
		if isEnd {
			return nil, 0, garbled("subpacket end inside its CRC")
		}
		sum[i] = c
	}
	if crc32ed {
		if crc32.Update(crc32.ChecksumIEEE(data), crc32.IEEETable, tail[:]) != binary.LittleEndian.Uint32(sum[:]) {
			return nil, 0, garbled("subpacket CRC mismatch")
		}
	} else if crc16Update(crc16(data), tail[:]) != binary.BigEndian.Uint16(sum[:]) {
		return nil, 0, garbled("subpacket CRC mismatch")
	}
	return data, end, nil
}

// header hunts for the next header, skipping anything else, for at most
// wait, and returns it with the byte that says how it was framed (zhex,
// zbin or zbin32). When wait runs out it returns errQuiet if the line
// fell silent, or an error wrapping errGarbled if bytes were still coming;
// it also returns errGarbled for a damaged header, and a cancelledError
// for five CAN bytes in a row.
func (z *zreader) header(wait time.Duration) (zheader, byte, error) {
	l := z.l
	until := l.now().Add(wait)
	cans, skipped := 0, 0
	for {
		var c byte
		if l.r < l.w {
			c = l.buf[l.r]
			l.r++
		} else {
			var err error
			if c, err = l.readByte(until.Sub(l.now())); err != nil {
				return zheader{}, 0, err
			}
		}
		if skipped++; skipped%64 == 0 && !l.now().Before(until) {
			return zheader{}, 0, garbled("no header in %d bytes", skipped)
		}
		if c == can {
			if cans++; cans >= 5 {
				return zheader{}, 0, cancelledError{ErrCancelled}
			}
			continue
		}
		cans = 0
		if c&0x7f != zpad {
			continue
		}
		// After ZPAD: more ZPADs, then ZDLE and the framing byte.
		var err error
		for c = zpad; c == zpad; {
			if c, err = z.next7(); err != nil {
				return zheader{}, 0, err
			}
		}
		if c != zdle {
			continue
		}
		if c, err = z.next7(); err != nil {
			return zheader{}, 0, err
		}
		switch c {
		case zhex:
			h, err := z.hexHeader()
			z.heard = z.heard || err == nil
			return h, zhex, err
		case zbin, zbin32:
			h, err := z.binHeader(c == zbin32)
			z.heard = z.heard || err == nil
			return h, c, err
		case can:
			cans = 2 // the ZDLE was a CAN too
		}
	}
}

// hexHeader reads the rest of a hex header and the CR and LF after it
// that have already arrived.
func (z *zreader) hexHeader() (zheader, error) {
	var raw [7]byte
	for i := range raw {
		var v byte
		for range 2 {
			c, err := z.next7()
			if err != nil {
				return zheader{}, err
			}
			switch {
			case c >= '0' && c <= '9':
				c -= '0'
			case c >= 'a' && c <= 'f':
				c -= 'a' - 10
			case c >= 'A' && c <= 'F':
				c -= 'A' - 10
			default:
				return zheader{}, garbled("bad hex digit %#02x in header", c)
			}
			v = v<<4 | c
		}
		raw[i] = v
	}
	if crc16(raw[:5]) != binary.BigEndian.Uint16(raw[5:]) {
		return zheader{}, garbled("hex header CRC mismatch")
	}
	l := z.l
	if l.r < l.w && l.buf[l.r]&0x7f == '\r' {
		l.r++
		if l.r < l.w && l.buf[l.r]&0x7f == '\n' {
			l.r++
		}
	}
	return zheader{typ: raw[0], arg: [4]byte(raw[1:5])}, nil
}

// binHeader reads the rest of a binary header.
func (z *zreader) binHeader(crc32ed bool) (zheader, error) {
	var raw [9]byte
	n := 7
	if crc32ed {
		n = 9
	}
	for i := range n {
		c, isEnd, err := z.unescape()
		if err != nil {
			return zheader{}, err
		}
		if isEnd {
			return zheader{}, garbled("subpacket end inside a header")
		}
		raw[i] = c
	}
	h := zheader{typ: raw[0], arg: [4]byte(raw[1:5])}
	if crc32ed {
		if crc32.ChecksumIEEE(raw[:5]) != binary.LittleEndian.Uint32(raw[5:9]) {
			return zheader{}, garbled("binary header CRC mismatch")
		}
	} else if crc16(raw[:5]) != binary.BigEndian.Uint16(raw[5:7]) {
		return zheader{}, garbled("binary header CRC mismatch")
	}
	return h, nil
}

// abort asks the peer to stop after a transfer failed with err, with the
// cancel sequence lrzsz sends. It stays silent when the peer cancelled, or
// never sent a good header: a line with only noise on it must not find
// stray cancel bytes later.
func (z *zreader) abort(err error) {
	var ce cancelledError
	if !z.heard || errors.As(err, &ce) {
		return
	}
	var b [cancelCAN + cancelBS]byte
	for i := range b {
		b[i] = can
		if i >= cancelCAN {
			b[i] = bs
		}
	}
	z.l.sendCancel(b[:])
}

// zfileInfo is the data subpacket of ZFILE: the name, a NUL, then size in
// decimal, modification time and mode in octal, serial number, files and
// bytes left in the batch, and a closing NUL.
func zfileInfo(f SendFile, filesLeft int, bytesLeft int64) ([]byte, error) {
	for _, c := range []byte(f.Name) {
		if c == 0 {
			return nil, fmt.Errorf("file name %q contains NUL", f.Name)
		}
	}
	if len(f.Name) > maxSubpacket/2 {
		return nil, fmt.Errorf("file name of %d bytes is too long", len(f.Name))
	}
	b := append([]byte(f.Name), 0)
	if f.Size >= 0 {
		var mtime int64
		if !f.ModTime.IsZero() && f.ModTime.Unix() > 0 {
			mtime = f.ModTime.Unix()
		}
		b = fmt.Appendf(b, "%d %o %o 0 %d %d", f.Size, mtime, headerMode, filesLeft, bytesLeft)
	}
	return append(b, 0), nil
}
