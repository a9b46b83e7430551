package submit

import (
	"bufio"
	"bytes"
	"io"
)

// dotWriter writes a message body for DATA (RFC 5321 §4.5.2): a "." at the start of a line is doubled, every
// line ends in CRLF (a bare LF becomes CRLF), and Close adds the final ".". It does the work a line at a time
// with bytes.IndexByte; textproto's DotWriter goes byte by byte, which showed as most of the client's CPU
// when submitting scans, and the board's CPU is small.
type dotWriter struct {
	w   *bufio.Writer
	bol bool // at the beginning of a line
	cr  bool // the last byte written was a CR
}

func newDotWriter(w io.Writer) *dotWriter {
	return &dotWriter{w: bufio.NewWriterSize(w, 32<<10), bol: true}
}

func (d *dotWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if d.bol && p[0] == '.' {
			d.w.WriteByte('.')
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			d.w.Write(p)
			d.bol, d.cr = false, p[len(p)-1] == '\r'
			break
		}
		cr := d.cr
		if i > 0 {
			d.w.Write(p[:i])
			cr = p[i-1] == '\r'
		}
		if !cr {
			d.w.WriteByte('\r')
		}
		if err := d.w.WriteByte('\n'); err != nil {
			return 0, err
		}
		d.bol, d.cr = true, false
		p = p[i+1:]
	}
	return n, nil
}

// Close ends the last line if needed, writes the terminating ".", and flushes.
func (d *dotWriter) Close() error {
	if !d.bol {
		if !d.cr {
			d.w.WriteByte('\r')
		}
		d.w.WriteByte('\n')
	}
	d.w.WriteString(".\r\n")
	return d.w.Flush()
}
