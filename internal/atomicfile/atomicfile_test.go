package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func writeString(s string) func(*os.File) error {
	return func(f *os.File) error {
		_, err := io.WriteString(f, s)
		return err
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings")
	for _, tt := range []struct {
		data string
		mode fs.FileMode
	}{
		{"first\n", 0o600},
		{"second, longer\n", 0o644},
		{"", 0o640},
	} {
		if err := WriteFile(path, tt.mode, writeString(tt.data)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != tt.data {
			t.Errorf("read %q, %v; want %q", b, err, tt.data)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != tt.mode {
			t.Errorf("mode %v, %v; want %v", st.Mode().Perm(), err, tt.mode)
		}
		if got := names(t, dir); !slices.Equal(got, []string{"settings"}) {
			t.Errorf("directory holds %q", got)
		}
	}
}

// A write that fails half-way leaves the old file as it was and nothing else, and its error comes back as it is.
func TestWriteFileFailingWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	cut := errors.New("cut short")
	err := WriteFile(path, 0o600, func(f *os.File) error {
		f.WriteString("half of the new")
		return cut
	})
	if err != cut {
		t.Fatalf("error %v, want the write's own", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("old file now holds %q", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"job.json"}) {
		t.Errorf("left behind: %q", got)
	}
}

// A write that panics leaves no temporary file either.
func TestWriteFilePanic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seq")
	func() {
		defer func() { recover() }()
		WriteFile(path, 0o600, func(f *os.File) error { panic("boom") })
	}()
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
}

// A rename that fails (here onto a directory that is not empty) removes the temporary file and leaves what was
// at the path.
func TestWriteFileFailingRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, 0o644, writeString("new")); err == nil {
		t.Fatal("replaced a directory")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out"}) {
		t.Errorf("left behind: %q", got)
	}
	if _, err := os.Stat(filepath.Join(path, "inside")); err != nil {
		t.Errorf("the directory was damaged: %v", err)
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "missing", "f"), 0o600, writeString("x"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want one wrapping fs.ErrNotExist", err)
	}
}

// failDirSync makes every directory sync fail with the error it returns, until the test ends.
func failDirSync(t *testing.T) error {
	injected := errors.New("injected directory sync failure")
	syncDirFile = func(*os.File) error { return injected }
	t.Cleanup(func() { syncDirFile = (*os.File).Sync })
	return injected
}

// A directory that cannot be synced is an error, though the new file is in place.
func TestDirSyncFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hold.json")
	injected := failDirSync(t)

	err := WriteFile(path, 0o600, writeString("new"))
	if !errors.Is(err, injected) {
		t.Fatalf("WriteFile: error %v, want the directory sync's", err)
	}
	if !strings.Contains(err.Error(), "power cut") {
		t.Errorf("WriteFile: %q does not say the file may not survive a power cut", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("file holds %q, want the new contents in place", b)
	}

	p, err := Create(dir, ".incoming-*")
	if err != nil {
		t.Fatal(err)
	}
	p.File().WriteString("scan")
	if err := p.Commit(filepath.Join(dir, "scan.tif"), 0o600); !errors.Is(err, injected) {
		t.Errorf("Commit: error %v, want the directory sync's", err)
	}

	if err := SyncDir(dir); !errors.Is(err, injected) {
		t.Errorf("SyncDir: error %v, want the injected one", err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"hold.json", "scan.tif"}) {
		t.Errorf("directory holds %q", got)
	}
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want one wrapping fs.ErrNotExist", err)
	}
}

// Writers racing on one path: a reader sees the whole of one version or another, never a part, and no
// temporary file stays.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "seq")
	const writers, rounds, size = 8, 20, 64 << 10
	version := func(w int) []byte { return bytes.Repeat([]byte{byte('a' + w)}, size) }

	stop := make(chan struct{})
	bad := make(chan string, 1)
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil || len(b) != size || !bytes.Equal(b, bytes.Repeat(b[:1], size)) {
				select {
				case bad <- fmt.Sprintf("read %d bytes, %v", len(b), err):
				default:
				}
				return
			}
		}
	})

	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Go(func() {
			data := version(w)
			for range rounds {
				errs <- WriteFile(path, 0o600, func(f *os.File) error {
					// In pieces, so that a reader of a file in the making would see a part.
					for i := 0; i < size; i += 4096 {
						if _, err := f.Write(data[i : i+4096]); err != nil {
							return err
						}
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case msg := <-bad:
		t.Fatal("a reader saw a partial file: " + msg)
	default:
	}
	if got := names(t, dir); !slices.Equal(got, []string{"seq"}) {
		t.Errorf("directory holds %q", got)
	}
}

func TestPending(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(dir, ".incoming-*")
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Base(p.File().Name())
	if !strings.HasPrefix(tmp, ".incoming-") {
		t.Errorf("temporary name %q", tmp)
	}
	p.File().WriteString("abc")
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(filepath.Join(dir, "a"), 0o600); !errors.Is(err, os.ErrClosed) {
		t.Errorf("commit after abort: %v", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Fatalf("abort left %q", got)
	}

	// Set a part aside under a name of its own, take it up again, finish and commit it.
	p, _ = Create(dir, ".incoming-*")
	p.File().WriteString("abc")
	kept := filepath.Join(dir, ".partial-a")
	if err := p.Commit(kept, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err = Reopen(kept)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(p.File()); err != nil || string(b) != "abc" {
		t.Fatalf("reopened: %q, %v", b, err)
	}
	p.File().WriteString("def")
	final := filepath.Join(dir, "a")
	if err := p.Commit(final, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(); err != nil {
		t.Errorf("abort after commit: %v", err)
	}
	if err := p.Commit(final, 0o600); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second commit: %v", err)
	}
	if b, _ := os.ReadFile(final); string(b) != "abcdef" {
		t.Errorf("final file holds %q", b)
	}
	if got := names(t, dir); !slices.Equal(got, []string{"a"}) {
		t.Errorf("directory holds %q", got)
	}

	// Committed into another directory, as a Maildir moves a message from tmp to new.
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "new"), 0o700); err != nil {
		t.Fatal(err)
	}
	p, _ = Create(filepath.Join(dir, "tmp"), "msg")
	p.File().WriteString("mail")
	if err := p.Commit(filepath.Join(dir, "new", "msg"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := names(t, filepath.Join(dir, "tmp")); len(got) != 0 {
		t.Errorf("tmp holds %q", got)
	}

	if _, err := Reopen(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reopen of a missing file: %v", err)
	}
}

// A Commit whose rename fails removes the file and leaves what was at the path.
func TestPendingFailingCommit(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(dir, ".incoming-*")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(filepath.Join(dir, "missing", "a"), 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want one wrapping fs.ErrNotExist", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("left behind: %q", got)
	}
	if err := p.Abort(); err != nil {
		t.Errorf("abort after a failed commit: %v", err)
	}
}
