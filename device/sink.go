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
)

// File is a received file that has been committed to its final name.
type File struct {
	Name   string   // final base name in the sink's directory
	Size   int64    // bytes
	Path   string   // full path
	SHA256 [32]byte // digest of the contents, computed while writing
}

// Sink is where a receiver puts the files it takes in.
type Sink interface {
	// Create starts a file as announced by the sender: its name (as sent,
	// not yet cleaned), its size (-1 if unknown) and its modification time
	// (zero if unknown).
	Create(name string, size int64, mod time.Time) (Incoming, error)
}

// Incoming is a file being received. Exactly one of Commit and Abort takes
// effect; Abort after a successful Commit does nothing, so callers may
// defer Abort.
type Incoming interface {
	io.Writer
	// Commit makes the file durable and visible under its final name.
	Commit() (File, error)
	// Abort throws the partial file away.
	Abort() error
}

// DirSink returns a Sink that lands files in dir atomically: bytes go to a
// hidden temporary file, and Commit fsyncs it, renames it to a cleaned,
// unused name (see CleanName; "scan.tif", "scan-1.tif", ...) and fsyncs the
// directory. A partial or damaged file never appears under a final name.
// Files are created with mode 0600. The sink assumes it is the only writer
// choosing names in dir.
func DirSink(dir string) Sink {
	return &dirSink{dir: dir}
}

// tempPrefix starts the names of files still being received; the leading
// dot hides them and CleanName never produces such a name.
const tempPrefix = ".incoming-"

// maxNameBytes bounds a cleaned name, leaving room for a collision suffix
// within the usual 255-byte file name limit.
const maxNameBytes = 200

// maxCollisions bounds the search for an unused final name.
const maxCollisions = 10000

type dirSink struct {
	dir string
	mu  sync.Mutex // serialises the choice of final names
}

func (s *dirSink) Create(name string, size int64, mod time.Time) (Incoming, error) {
	f, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("device: sink: %w", err)
	}
	return &dirIncoming{sink: s, f: f, name: CleanName(name), mod: mod, h: sha256.New()}, nil
}

type dirIncoming struct {
	sink *dirSink
	f    *os.File
	name string
	mod  time.Time
	h    hash.Hash
	n    int64
	done bool
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
	fail := func(err error) (File, error) {
		in.Abort()
		return File{}, fmt.Errorf("device: sink: %s: %w", in.name, err)
	}
	if err := in.f.Sync(); err != nil {
		return fail(err)
	}
	if err := in.f.Close(); err != nil {
		return fail(err)
	}
	tmp := in.f.Name()
	if !in.mod.IsZero() {
		if err := os.Chtimes(tmp, in.mod, in.mod); err != nil {
			return fail(err)
		}
	}
	final, err := in.sink.land(tmp, in.name)
	if err != nil {
		return fail(err)
	}
	in.done = true
	if err := syncDir(in.sink.dir); err != nil {
		return File{}, fmt.Errorf("device: sink: %s: %w", final, err)
	}
	f := File{Name: final, Size: in.n, Path: filepath.Join(in.sink.dir, final)}
	in.h.Sum(f.SHA256[:0])
	return f, nil
}

func (in *dirIncoming) Abort() error {
	if in.done {
		return nil
	}
	in.done = true
	in.f.Close()
	if err := os.Remove(in.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("device: sink: %s: %w", in.name, err)
	}
	return nil
}

// land renames tmp to the first unused variant of name and returns it.
func (s *dirSink) land(tmp, name string) (string, error) {
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
			return "", err
		}
		if err := os.Rename(tmp, filepath.Join(s.dir, cand)); err != nil {
			return "", err
		}
		return cand, nil
	}
	return "", fmt.Errorf("no free name after %d tries: %w", maxCollisions, fs.ErrExist)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// CleanName turns a file name announced by a sender into a safe base name:
// only the part after the last slash or backslash, invalid UTF-8 and control
// characters replaced by "_", surrounding spaces and leading dots removed,
// at most 200 bytes (keeping the extension), and "file" if nothing is left.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) {
			r = '_'
		}
		b.WriteRune(r)
		i += size
	}
	name = strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	name = strings.TrimSpace(name)
	if len(name) > maxNameBytes {
		ext := filepath.Ext(name)
		if len(ext) > maxNameBytes/2 {
			ext = ""
		}
		stem := name[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = stem + ext
	}
	if name == "" {
		return "file"
	}
	return name
}
