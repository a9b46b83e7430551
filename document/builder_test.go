package document

import (
	"encoding/binary"
	"slices"
)

// tiffBuilder lays out small TIFF files byte by byte for tests, including
// broken ones: it checks nothing.
type tiffBuilder struct {
	bo  byteOrder
	big bool // BigTIFF: 8-byte counts and offsets, 20-byte entries
	buf []byte
}

type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// field is one IFD entry; a RATIONAL takes two vals (numerator, denominator)
// per value.
type field struct {
	tag, typ uint16
	vals     []uint32
}

func newTIFF(bo byteOrder) *tiffBuilder {
	b := &tiffBuilder{bo: bo}
	if bo == binary.LittleEndian {
		b.buf = append(b.buf, 'I', 'I')
	} else {
		b.buf = append(b.buf, 'M', 'M')
	}
	b.buf = bo.AppendUint16(b.buf, 42)
	b.buf = bo.AppendUint32(b.buf, 0)
	return b
}

// newBigTIFF starts a BigTIFF file.
func newBigTIFF(bo byteOrder) *tiffBuilder {
	b := newTIFF(bo)
	b.big = true
	b.bo.PutUint16(b.buf[2:], 43)
	b.buf = b.buf[:4]
	b.buf = bo.AppendUint16(b.buf, 8)
	b.buf = bo.AppendUint16(b.buf, 0)
	b.buf = bo.AppendUint64(b.buf, 0)
	return b
}

// sizes returns the sizes of an IFD's count, of one entry, and of an
// entry's value field.
func (b *tiffBuilder) sizes() (count, entry, value uint32) {
	if b.big {
		return 8, 20, 8
	}
	return 2, 12, 4
}

// firstIFD returns the header's offset of the first IFD.
func (b *tiffBuilder) firstIFD() uint64 {
	if b.big {
		return b.bo.Uint64(b.buf[8:])
	}
	return uint64(b.bo.Uint32(b.buf[4:]))
}

// putOffset writes an offset (4 bytes, or 8 in BigTIFF) at p.
func (b *tiffBuilder) putOffset(p []byte, v uint64) {
	if b.big {
		b.bo.PutUint64(p, v)
	} else {
		b.bo.PutUint32(p, uint32(v))
	}
}

// data appends p and returns its offset.
func (b *tiffBuilder) data(p []byte) uint32 {
	off := uint32(len(b.buf))
	b.buf = append(b.buf, p...)
	return off
}

// encode returns the bytes of one field's values.
func (b *tiffBuilder) encode(f field) []byte {
	var p []byte
	for _, v := range f.vals {
		switch {
		case f.typ == typeLong8:
			p = b.bo.AppendUint64(p, uint64(v))
		case typeSize(f.typ) == 1:
			p = append(p, byte(v))
		case typeSize(f.typ) == 2:
			p = b.bo.AppendUint16(p, uint16(v))
		default: // LONG, or half a RATIONAL
			p = b.bo.AppendUint32(p, v)
		}
	}
	return p
}

// ifd appends an IFD with the fields (sorted by tag) and a zero next
// pointer, and returns its offset. The first IFD becomes the header's.
func (b *tiffBuilder) ifd(fields ...field) uint32 {
	_, _, valueSize := b.sizes()
	fields = slices.Clone(fields)
	slices.SortFunc(fields, func(x, y field) int { return int(x.tag) - int(y.tag) })
	values := make([][8]byte, len(fields))
	for i, f := range fields {
		p := b.encode(f)
		if uint32(len(p)) > valueSize {
			b.putOffset(values[i][:], uint64(b.data(p)))
		} else {
			copy(values[i][:], p)
		}
	}
	if len(b.buf)%2 == 1 {
		b.buf = append(b.buf, 0)
	}
	off := uint32(len(b.buf))
	if b.big {
		b.buf = b.bo.AppendUint64(b.buf, uint64(len(fields)))
	} else {
		b.buf = b.bo.AppendUint16(b.buf, uint16(len(fields)))
	}
	for i, f := range fields {
		count := uint32(len(f.vals))
		if f.typ == typeRational {
			count /= 2
		}
		b.buf = b.bo.AppendUint16(b.buf, f.tag)
		b.buf = b.bo.AppendUint16(b.buf, f.typ)
		if b.big {
			b.buf = b.bo.AppendUint64(b.buf, uint64(count))
		} else {
			b.buf = b.bo.AppendUint32(b.buf, count)
		}
		b.buf = append(b.buf, values[i][:valueSize]...)
	}
	b.buf = append(b.buf, make([]byte, valueSize)...) // no next IFD
	if b.firstIFD() == 0 {
		b.putOffset(b.buf[valueSize:], uint64(off)) // the header's pointer follows 4 (classic) or 8 bytes
	}
	return off
}

// entries returns the number of entries of the IFD at ifd.
func (b *tiffBuilder) entries(ifd uint32) uint32 {
	if b.big {
		return uint32(b.bo.Uint64(b.buf[ifd:]))
	}
	return uint32(b.bo.Uint16(b.buf[ifd:]))
}

// link points the next-IFD field of the IFD at from to the IFD at to.
func (b *tiffBuilder) link(from, to uint32) {
	countSize, entrySize, _ := b.sizes()
	b.putOffset(b.buf[from+countSize+entrySize*b.entries(from):], uint64(to))
}

// setValue overwrites the value (or value offset) of tag in the IFD at ifd.
func (b *tiffBuilder) setValue(ifd uint32, tag uint16, v uint32) {
	countSize, entrySize, valueSize := b.sizes()
	for i := range b.entries(ifd) {
		e := b.buf[ifd+countSize+entrySize*i:]
		if b.bo.Uint16(e) == tag {
			b.putOffset(e[entrySize-valueSize:], uint64(v))
		}
	}
}

func short(tag uint16, v ...uint32) field { return field{tag, typeShort, v} }
func long(tag uint16, v ...uint32) field  { return field{tag, typeLong, v} }

// pageFields returns the fields of a bilevel page of w x h pixels whose
// strips (of rps rows) start at offs with lengths lens, at 204x196 dpi,
// followed by extra fields (which win over the defaults).
func pageFields(w, h, compression, rps uint32, offs, lens []uint32, extra ...field) []field {
	fs := []field{
		long(tagImageWidth, w), long(tagImageLength, h),
		short(tagBitsPerSample, 1), short(tagCompression, compression),
		short(tagPhotometric, 0), long(tagStripOffsets, offs...),
		short(tagSamplesPerPixel, 1), long(tagRowsPerStrip, rps),
		long(tagStripByteCounts, lens...),
		{tagXResolution, typeRational, []uint32{204, 1}},
		{tagYResolution, typeRational, []uint32{196, 1}},
		short(tagResolutionUnit, 2),
	}
	for _, e := range extra {
		fs = slices.DeleteFunc(fs, func(f field) bool { return f.tag == e.tag })
		if e.typ != 0 {
			fs = append(fs, e)
		}
	}
	return fs
}

// without removes a tag in pageFields' extra list.
func without(tag uint16) field { return field{tag: tag} }

// onePage builds a one-page file with a single strip holding data.
func onePage(bo byteOrder, w, h, compression uint32, data []byte, extra ...field) []byte {
	b := newTIFF(bo)
	off := b.data(data)
	b.ifd(pageFields(w, h, compression, h, []uint32{off}, []uint32{uint32(len(data))}, extra...)...)
	return b.buf
}
