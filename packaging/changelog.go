package packaging

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"time"
)

// changelog writes the one entry of the package's Debian changelog (/usr/share/doc/scangate/changelog.gz, the
// name for a native package): the version and what it was built from. The project's history is its git log.
func changelog(version, describe string, date time.Time) string {
	return fmt.Sprintf(`%s (%s) unstable; urgency=medium

  * Package of %s, built by packaging/mkdeb. The changes are in the
    project's git history.

 -- %s  %s
`, Name, version, describe, Maintainer, date.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
}

// gzipped compresses b the way Debian wants files under /usr/share/doc and /usr/share/man: the best
// compression, and no file name or time in the header, so that the same input gives the same bytes.
func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
