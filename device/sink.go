package device

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scangate/gateway/internal/atomicfile"
)

// File is a received file that has been committed to its final name.
type File struct {
	Name   string   // final base name in the sink's directory
	Size   int64    // bytes
	Path   string   // full path
	SHA256 [32]byte // digest of the contents, computed while writing
}

// Sink is where a receiver puts the files it takes in.
//
// A Sink decides whether a file has room. When Create (or Resume) returns
// an error, the receiver takes none of the file's data; when a Write
// fails, it aborts the file. Either way it cancels the transfer, so that
// the machine keeps its document, and Receive returns an error wrapping
// the sink's, which callers find with errors.Is.
type Sink interface {
	// Create starts a file as announced by the sender: its name (as sent,
	// not yet cleaned), its size (-1 if unknown) and its modification time
	// (zero if unknown).
	Create(name string, size int64, mod time.Time) (Incoming, error)
}

// Incoming is a file being received. Exactly one of Commit and Abort (or
// Suspend, see Resumable) takes effect; Abort after a successful Commit
// does nothing, so callers may defer Abort.
type Incoming interface {
	io.Writer
	// Commit makes the file durable and visible under its final name.
	Commit() (File, error)
	// Abort throws the partial file away.
	Abort() error
}

// Resumer is implemented by a Sink that can keep the beginning of a file
// whose transfer was cut off and continue it when the same file is offered
// again. A receiver whose protocol can start a file at an offset (ZMODEM)
// calls Resume in place of Create; the other protocols never do.
type Resumer interface {
	// Resume starts a file like Create. When the sink kept the beginning of
	// the same file (same name, size and modification time) from an earlier
	// transfer, the file already holds those bytes, offset says how many (at
	// most size), and the receiver writes only the rest. Otherwise offset
	// is 0.
	Resume(name string, size int64, mod time.Time) (in Resumable, offset int64, err error)
}

// Resumable is a file being received that can also be put aside
// unfinished.
type Resumable interface {
	Incoming
	// Suspend ends the file like Abort but keeps the bytes written so far,
	// durably and out of sight, for a later Resume of the same file. A file
	// that cannot be recognised again (unknown size or modification time)
	// or holds nothing is thrown away instead.
	Suspend() error
}

// sinkError marks an error of the sink, such as a write that found no
// more room: the receiver cancels the transfer and throws the partial
// file away rather than keep it for resuming.
type sinkError struct{ error }

func (e sinkError) Unwrap() error { return e.error }

// DirSink returns a Sink that lands files in dir atomically: bytes go to a
// hidden temporary file, and Commit fsyncs it, renames it to a cleaned,
// unused name (see CleanName; "scan.tif", "scan-1.tif", ...) and fsyncs the
// directory. A partial or damaged file never appears under a final name.
// Files have mode 0600. The sink assumes it is the only writer choosing
// names in dir. A directory that cannot be synced fails Commit (and
// Suspend), though the file is already under its name: a power cut could
// still take it away.
//
// The sink is also a Resumer: Suspend fsyncs a file cut off mid-transfer
// and renames it to a hidden name made of its size, modification time and
// cleaned name (".partial-<size>-<mtime>-<name>"); Resume of the same file
// continues it, and removes kept files of the same name that no longer
// match. A file whose transfer stops without Suspend (a crash) is never
// resumed, so every kept byte is one the protocol checked and the disk
// holds.
func DirSink(dir string) Sink {
	return &dirSink{dir: dir}
}

// tempPrefix starts the names of files still being received, and
// partialPrefix those of files kept for Resume; the leading dot hides them
// and CleanName never produces such a name.
const (
	tempPrefix    = ".incoming-"
	partialPrefix = ".partial-"
)

// maxNameBytes bounds a cleaned name, leaving room for a collision suffix
// within the usual 255-byte file name limit.
const maxNameBytes = 200

// maxCollisions bounds the search for an unused final name.
const maxCollisions = 10000

// fileMode is the permission of received files, final or kept.
const fileMode = 0o600

type dirSink struct {
	dir string
	mu  sync.Mutex // serialises the choice and taking of final names
}

func (s *dirSink) Create(name string, size int64, mod time.Time) (Incoming, error) {
	return s.create(name, mod)
}

func (s *dirSink) create(name string, mod time.Time) (*dirIncoming, error) {
	p, err := atomicfile.Create(s.dir, tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("device: sink: %w", err)
	}
	return &dirIncoming{sink: s, p: p, f: p.File(), name: CleanName(name), mod: mod, h: sha256.New()}, nil
}

// Resume implements Resumer.
func (s *dirSink) Resume(name string, size int64, mod time.Time) (Resumable, int64, error) {
	clean := CleanName(name)
	if size < 0 || mod.Unix() <= 0 {
		return s.fresh(name, mod, "")
	}
	kept := fmt.Sprintf("%s%d-%d-%s", partialPrefix, size, mod.Unix(), clean)
	if err := s.dropPartials(clean, kept); err != nil {
		return nil, 0, fmt.Errorf("device: sink: %s: %w", clean, err)
	}
	p, err := atomicfile.Reopen(filepath.Join(s.dir, kept))
	if errors.Is(err, fs.ErrNotExist) {
		return s.fresh(name, mod, kept)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("device: sink: %w", err)
	}
	// The digest of the whole file starts with the bytes already there;
	// reading them leaves the file positioned at its end.
	in := &dirIncoming{sink: s, p: p, f: p.File(), name: clean, mod: mod, h: sha256.New(), partial: kept}
	if in.n, err = io.Copy(in.h, in.f); err != nil {
		in.Abort()
		return nil, 0, fmt.Errorf("device: sink: %s: %w", kept, err)
	}
	if in.n > size {
		in.Abort() // longer than the file: start again
		return s.fresh(name, mod, kept)
	}
	return in, in.n, nil
}

// fresh starts a file to resume that the sink has nothing of; it is kept
// under the name kept when suspended, or thrown away if kept is "".
func (s *dirSink) fresh(name string, mod time.Time, kept string) (Resumable, int64, error) {
	in, err := s.create(name, mod)
	if err != nil {
		return nil, 0, err
	}
	in.partial = kept
	return in, 0, nil
}

// dropPartials removes the kept files of the cleaned name clean other than
// keep: the machine's file has changed since.
func (s *dirSink) dropPartials(clean, keep string) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if n == keep || !strings.HasPrefix(n, partialPrefix) {
			continue
		}
		_, rest, _ := strings.Cut(n[len(partialPrefix):], "-") // size
		_, rest, _ = strings.Cut(rest, "-")                    // mtime
		if rest == clean {
			if err := os.Remove(filepath.Join(s.dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

type dirIncoming struct {
	sink    *dirSink
	p       *atomicfile.Pending
	f       *os.File // p's file
	name    string
	mod     time.Time
	h       hash.Hash
	n       int64
	partial string // name to keep the file under when suspended; "" if it cannot be resumed
	done    bool
}

func (in *dirIncoming) Write(p []byte) (int, error) {
	if in.done {
		return 0, fmt.Errorf("device: sink: %s: write after commit or abort: %w", in.name, os.ErrClosed)
	}
	n, err := in.f.Write(p)
	in.h.Write(p[:n])
	in.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("device: sink: %s: %w", in.name, err)
	}
	return n, nil
}

func (in *dirIncoming) Commit() (File, error) {
	if in.done {
		return File{}, fmt.Errorf("device: sink: %s: commit after commit or abort: %w", in.name, os.ErrClosed)
	}
	in.done = true
	if !in.mod.IsZero() {
		// Before the commit's fsync, which then makes the time durable too.
		if err := os.Chtimes(in.f.Name(), in.mod, in.mod); err != nil {
			in.p.Abort()
			return File{}, fmt.Errorf("device: sink: %s: %w", in.name, err)
		}
	}
	final, err := in.sink.land(in.p, in.name)
	if err != nil {
		return File{}, fmt.Errorf("device: sink: %s: %w", final, err)
	}
	f := File{Name: final, Size: in.n, Path: filepath.Join(in.sink.dir, final)}
	in.h.Sum(f.SHA256[:0])
	return f, nil
}

// Suspend implements Resumable.
func (in *dirIncoming) Suspend() error {
	if in.done {
		return nil
	}
	if in.partial == "" || in.n == 0 {
		return in.Abort()
	}
	in.done = true
	if err := in.p.Commit(filepath.Join(in.sink.dir, in.partial), fileMode); err != nil {
		return fmt.Errorf("device: sink: %s: %w", in.name, err)
	}
	return nil
}

func (in *dirIncoming) Abort() error {
	if in.done {
		return nil
	}
	in.done = true
	if err := in.p.Abort(); err != nil {
		return fmt.Errorf("device: sink: %s: %w", in.name, err)
	}
	return nil
}

// land commits p under the first unused variant of name and returns that
// name; on an error, the name it tried, or name. The name is chosen and
// taken under the sink's mutex, so commits to one sink are made one at a
// time; a transfer lands its files one after the other anyway.
func (s *dirSink) land(p *atomicfile.Pending, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < maxCollisions; i++ {
		cand := name
		if i > 0 {
			cand = stem + "-" + strconv.Itoa(i) + ext
		}
		_, err := os.Lstat(filepath.Join(s.dir, cand))
		if err == nil {
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			p.Abort()
			return name, err
		}
		return cand, p.Commit(filepath.Join(s.dir, cand), fileMode)
	}
	p.Abort()
	return name, fmt.Errorf("no free name after %d tries: %w", maxCollisions, fs.ErrExist)
}

// CleanName turns a file name announced by a sender into a safe base name:
// only the part after the last slash or backslash; invalid UTF-8, control
// characters and the line and paragraph separators (U+2028, U+2029) each
// replaced by "_"; invisible format characters (Unicode category Cf) removed:
// the bidirectional marks, embeddings, overrides and isolates, which can make
// "invoice\u202Efdp.exe" show as "invoiceexe.pdf", the zero-width
// characters and the byte order mark; surrounding spaces and leading dots and
// dashes removed, so that a name is neither hidden nor read as a
// command-line option ("-rf"); at most 200 bytes (keeping the extension);
// and "file" if nothing is left. Letters of any script, spaces inside the
// name and the extension stay.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1, unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp):
			b.WriteByte('_')
		case unicode.Is(unicode.Cf, r):
			// Invisible, or nearly: without it the name reads as it is,
			// in the order it is stored.
		default:
			b.WriteRune(r)
		}
	}
	name = strings.TrimLeftFunc(b.String(), func(r rune) bool {
		return r == '.' || r == '-' || unicode.IsSpace(r)
	})
	name = strings.TrimRightFunc(name, unicode.IsSpace)
	if len(name) > maxNameBytes {
		ext := filepath.Ext(name)
		if len(ext) > maxNameBytes/2 {
			ext = ""
		}
		stem := name[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = strings.TrimRightFunc(stem, unicode.IsSpace) + ext
	}
	if name == "" {
		return "file"
	}
	return name
}
