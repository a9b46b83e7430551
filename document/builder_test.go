package document

import (
	"encoding/binary"
	"slices"
)

// tiffBuilder lays out small TIFF files byte by byte for tests, including
// broken ones: it checks nothing.
type tiffBuilder struct {
	bo  byteOrder
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
		switch typeSize(f.typ) {
		case 1:
			p = append(p, byte(v))
		case 2:
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
	fields = slices.Clone(fields)
	slices.SortFunc(fields, func(x, y field) int { return int(x.tag) - int(y.tag) })
	values := make([][4]byte, len(fields))
	for i, f := range fields {
		p := b.encode(f)
		if len(p) > 4 {
			b.bo.PutUint32(values[i][:], b.data(p))
		} else {
			copy(values[i][:], p)
		}
	}
	if len(b.buf)%2 == 1 {
		b.buf = append(b.buf, 0)
	}
	off := uint32(len(b.buf))
	b.buf = b.bo.AppendUint16(b.buf, uint16(len(fields)))
	for i, f := range fields {
		count := uint32(len(f.vals))
		if f.typ == typeRational {
			count /= 2
		}
		b.buf = b.bo.AppendUint16(b.buf, f.tag)
		b.buf = b.bo.AppendUint16(b.buf, f.typ)
		b.buf = b.bo.AppendUint32(b.buf, count)
		b.buf = append(b.buf, values[i][:]...)
	}
	b.buf = b.bo.AppendUint32(b.buf, 0)
	if b.bo.Uint32(b.buf[4:]) == 0 {
		b.bo.PutUint32(b.buf[4:], off)
	}
	return off
}

// link points the next-IFD field of the IFD at from to the IFD at to.
func (b *tiffBuilder) link(from, to uint32) {
	n := uint32(b.bo.Uint16(b.buf[from:]))
	b.bo.PutUint32(b.buf[from+2+12*n:], to)
}

// setValue overwrites the value (or value offset) of tag in the IFD at ifd.
func (b *tiffBuilder) setValue(ifd uint32, tag uint16, v uint32) {
	n := uint32(b.bo.Uint16(b.buf[ifd:]))
	for i := range n {
		e := b.buf[ifd+2+12*i:]
		if b.bo.Uint16(e) == tag {
			b.bo.PutUint32(e[8:], v)
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
