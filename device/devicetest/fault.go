package devicetest

import "slices"

// FlipAt returns a Fault that inverts the bits of the bytes at the given
// offsets of the written stream, each once.
func FlipAt(offsets ...int64) Fault {
	return func(off int64, p []byte) []byte {
		for _, o := range offsets {
			if o >= off && o < off+int64(len(p)) {
				p[o-off] ^= 0xff
			}
		}
		return p
	}
}

// DropAt returns a Fault that loses the bytes at the given offsets of the
// written stream.
func DropAt(offsets ...int64) Fault {
	return func(off int64, p []byte) []byte {
		out := p[:0:0]
		for i, b := range p {
			if !slices.Contains(offsets, off+int64(i)) {
				out = append(out, b)
			}
		}
		return out
	}
}

// Record returns a Fault that leaves the bytes alone and appends a copy of
// them to *log. Read *log only once the writer is done.
func Record(log *[]byte) Fault {
	return func(_ int64, p []byte) []byte {
		*log = append(*log, p...)
		return p
	}
}
