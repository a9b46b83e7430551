package device

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Control bytes of the XMODEM family.
const (
	soh    = 0x01 // start of a 128-byte block
	stx    = 0x02 // start of a 1024-byte block
	eot    = 0x04 // end of file
	ack    = 0x06 // block accepted
	nak    = 0x15 // block refused, send again
	can    = 0x18 // cancel (two in a row)
	crcReq = 'C'  // receiver asks to start, with CRC-16 blocks
	cpmEOF = 0x1a // padding of the last data block
)

// Block sizes and the framing around the payload: start byte, block
// number, its complement, and a two-byte CRC.
const (
	shortBlock    = 128
	longBlock     = 1024
	blockOverhead = 5
)

// crc16 is the CRC-16/XMODEM checksum (polynomial 0x1021, initial value 0,
// most significant bit first) that YMODEM blocks carry.
func crc16(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^b]
	}
	return crc
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// encodeBlock frames payload as block number seq. The payload must be
// exactly 128 or 1024 bytes; callers pad it.
func encodeBlock(seq byte, payload []byte) []byte {
	start := byte(soh)
	if len(payload) > shortBlock {
		start = stx
	}
	frame := make([]byte, 0, len(payload)+blockOverhead)
	frame = append(frame, start, seq, ^seq)
	frame = append(frame, payload...)
	crc := crc16(payload)
	return append(frame, byte(crc>>8), byte(crc))
}

// Reasons a block is refused.
var (
	errBlockStart  = errors.New("no block start byte")
	errBlockLength = errors.New("block length does not match its start byte")
	errBlockNumber = errors.New("block number and its complement disagree")
	errBlockCRC    = errors.New("CRC mismatch")
)

// decodeBlock checks a whole frame (start byte to CRC, or to the checksum when crc is false, as XMODEM's
// oldest senders send it) and returns its block number and payload, which aliases frame.
func decodeBlock(frame []byte, crc bool) (seq byte, payload []byte, err error) {
	if len(frame) < 3 {
		return 0, nil, errBlockLength
	}
	var want int
	switch frame[0] {
	case soh:
		want = shortBlock
	case stx:
		want = longBlock
	default:
		return 0, nil, errBlockStart
	}
	if len(frame) != frameLen(want, crc) {
		return 0, nil, errBlockLength
	}
	if frame[1] != ^frame[2] {
		return 0, nil, errBlockNumber
	}
	payload = frame[3 : 3+want]
	if !crc {
		if checksum8(payload) != frame[3+want] {
			return 0, nil, errBlockSum
		}
		return frame[1], payload, nil
	}
	if crc16(payload) != uint16(frame[3+want])<<8|uint16(frame[4+want]) {
		return 0, nil, errBlockCRC
	}
	return frame[1], payload, nil
}

// readFrame reads what comes at a block boundary of YMODEM or XMODEM, waiting at most wait for its first
// byte and gap between the others; buf has room for the longest frame.
func readFrame(l *link, buf []byte, crc bool, wait, gap time.Duration) (frame, error) {
	b, err := l.readByte(wait)
	if errors.Is(err, errQuiet) {
		return frame{kind: frameQuiet}, nil
	}
	if err != nil {
		return frame{}, err
	}
	switch b {
	case soh, stx:
		n := shortBlock
		if b == stx {
			n = longBlock
		}
		buf = buf[:frameLen(n, crc)]
		buf[0] = b
		err := l.readFull(buf[1:], gap)
		if errors.Is(err, errQuiet) {
			return frame{kind: frameBad, err: errors.New("block cut short")}, nil
		}
		if err != nil {
			return frame{}, err
		}
		seq, payload, err := decodeBlock(buf, crc)
		if err != nil {
			return frame{kind: frameBad, err: err}, nil
		}
		return frame{kind: frameBlock, seq: seq, payload: payload}, nil
	case eot:
		return frame{kind: frameEOT}, nil
	case can:
		if cancelled, err := l.cancelled(gap); cancelled || err != nil {
			return frame{kind: frameCancel}, err
		}
	}
	return frame{kind: frameBad, err: fmt.Errorf("unexpected byte %#02x", b)}, nil
}

// header is the content of a YMODEM block 0: the file's name followed by a
// NUL and "size mtime mode ..." (size decimal, the others octal), all
// optional after the name. An empty name ends the batch.
type header struct {
	name string
	size int64     // -1 if not announced
	mod  time.Time // zero if not announced
	end  bool      // the null header that closes a batch
}

// headerMode is the file mode announced by the sender: a regular file,
// readable by all, writable by the owner.
const headerMode = 0o100644

// encodeHeader returns the padded payload of block 0 for a file, or of the
// end of a batch when name is empty.
func encodeHeader(name string, size int64, mod time.Time) ([]byte, error) {
	if strings.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("file name %q contains NUL", name)
	}
	var b []byte
	if name != "" {
		b = append([]byte(name), 0)
		if size >= 0 {
			var mtime int64
			if !mod.IsZero() && mod.Unix() > 0 {
				mtime = mod.Unix()
			}
			b = fmt.Appendf(b, "%d %o %o", size, mtime, headerMode)
		}
	}
	n := shortBlock
	if len(b) >= shortBlock {
		n = longBlock
	}
	if len(b) >= n {
		return nil, fmt.Errorf("file name %q too long for a YMODEM header", name)
	}
	payload := make([]byte, n)
	copy(payload, b)
	return payload, nil
}

// parseHeader reads the payload of block 0.
func parseHeader(payload []byte) (header, error) {
	h := header{size: -1}
	if len(payload) == 0 || payload[0] == 0 {
		h.end = true
		return h, nil
	}
	name, rest, ok := bytes.Cut(payload, []byte{0})
	if !ok {
		return h, fmt.Errorf("%w: file name not terminated", ErrProtocol)
	}
	h.name = string(name)
	if i := bytes.IndexByte(rest, 0); i >= 0 {
		rest = rest[:i]
	}
	fields := strings.Fields(string(rest))
	if len(fields) > 0 {
		size, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || size < 0 {
			return h, fmt.Errorf("%w: bad file size %q", ErrProtocol, fields[0])
		}
		h.size = size
	}
	if len(fields) > 1 {
		// A modification time that does not parse is only cosmetic: ignore it.
		if sec, err := strconv.ParseInt(fields[1], 8, 64); err == nil && sec > 0 && sec < maxModTime {
			h.mod = time.Unix(sec, 0)
		}
	}
	return h, nil
}

// maxModTime bounds an announced modification time (seconds since 1970) to
// dates that file systems accept (year 9999).
const maxModTime = 253402300799
