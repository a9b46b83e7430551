package ccitt

import (
	"errors"
	"io"
	"math/bits"
)

// ioBufSize is the size of the decoder's input and the encoder's output
// buffer.
const ioBufSize = 8 << 10

// maxEmptyReads is how many times in a row a reader may return no bytes and
// no error before the decoder gives up, like bufio does.
const maxEmptyReads = 100

// bitReader reads bits most significant first, through a buffer.
type bitReader struct {
	r    io.Reader
	rev  bool // reverse the bits of each byte (FillOrder 2)
	buf  []byte
	pos  int
	end  int
	acc  uint64 // the next n bits, left-aligned; the bits after them are 0
	n    uint
	done bool  // r has no more data
	err  error // r's error, other than io.EOF
}

// fill tops acc up to at least 57 bits, or as many as remain.
func (b *bitReader) fill() {
	for b.n <= 56 {
		if b.pos == b.end {
			if b.done {
				return
			}
			b.read()
			continue
		}
		c := b.buf[b.pos]
		b.pos++
		if b.rev {
			c = bits.Reverse8(c)
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// read refills buf from r.
func (b *bitReader) read() {
	if b.buf == nil {
		b.buf = make([]byte, ioBufSize)
	}
	for range maxEmptyReads {
		n, err := b.r.Read(b.buf)
		b.pos, b.end = 0, n
		if err != nil {
			b.done = true
			if !errors.Is(err, io.EOF) {
				b.err = err
			}
		}
		if n > 0 || b.done {
			return
		}
	}
	b.done, b.err = true, io.ErrNoProgress
}

// peek returns the next k bits (k <= 32), 0 bits past the end of the data.
// The caller has called fill when fewer than k bits may be buffered.
func (b *bitReader) peek(k uint) uint32 { return uint32(b.acc >> (64 - k)) }

// skip drops k <= n bits.
func (b *bitReader) skip(k uint) {
	b.acc <<= k
	b.n -= k
}

// align drops the bits up to the next byte boundary.
func (b *bitReader) align() { b.skip(b.n % 8) }

// exhausted reports whether no bits remain.
func (b *bitReader) exhausted() bool {
	if b.n == 0 {
		b.fill()
	}
	return b.n == 0
}

// bitWriter writes bits most significant first, through a buffer.
type bitWriter struct {
	w   io.Writer
	rev bool
	buf []byte
	acc uint64 // n pending bits, left-aligned
	n   uint   // always < 32 between calls
	err error  // first write error
}

// put appends the low k bits of v, k <= 32.
func (b *bitWriter) put(v uint32, k uint) {
	b.acc |= uint64(v) << (64 - b.n - k)
	b.n += k
	if b.n >= 32 {
		b.buf = append(b.buf, byte(b.acc>>56), byte(b.acc>>48), byte(b.acc>>40), byte(b.acc>>32))
		b.acc <<= 32
		b.n -= 32
		if len(b.buf) >= ioBufSize {
			b.flush()
		}
	}
}

// putCode appends a code word.
func (b *bitWriter) putCode(c code) { b.put(c.bits, uint(c.len)) }

// zeros appends k 0 bits, k < 8.
func (b *bitWriter) zeros(k uint) { b.put(0, k) }

// pad returns how many 0 bits make the next k bits end on a byte boundary.
func (b *bitWriter) pad(k uint) uint { return (16 - (b.n+k)%8) % 8 }

// flush writes the whole bytes buffered so far.
func (b *bitWriter) flush() {
	if b.err == nil && len(b.buf) > 0 {
		if b.rev {
			for i, c := range b.buf {
				b.buf[i] = bits.Reverse8(c)
			}
		}
		_, b.err = b.w.Write(b.buf)
	}
	b.buf = b.buf[:0]
}

// finish pads the last byte with 0 bits and flushes everything.
func (b *bitWriter) finish() {
	for b.n > 0 {
		b.buf = append(b.buf, byte(b.acc>>56))
		b.acc <<= 8
		b.n -= min(b.n, 8)
	}
	b.flush()
}
