package spool

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/scangate/gateway/internal/atomicfile"
)

// Entry is one line of the transmission journal, like a fax machine's COMM. JOURNAL.
type Entry struct {
	Time     time.Time `json:"time"`
	Job      int       `json:"job"`
	Part     string    `json:"part,omitempty"` // "2/3" for a split job
	DestName string    `json:"dest_name,omitempty"`
	To       []string  `json:"to"`
	Pages    int       `json:"pages"`
	Bytes    int64     `json:"bytes"`
	// Outcome is what became of the attempt: sent, deferred, held, failed, refused (some recipients).
	Outcome  string `json:"outcome"`
	Code     int    `json:"code,omitempty"`     // the server's reply code, 0 when there was none
	Enhanced string `json:"enhanced,omitempty"` // its enhanced status code, e.g. "5.7.8"
	Result   string `json:"result"`             // plain words, short
	Detail   string `json:"detail,omitempty"`   // plain words, a sentence
	// Source is the job's Source: "" for a scan, "relay" for a relayed mail, "bounce" for a failure report.
	Source string `json:"source,omitempty"`
}

// The journal's files: the current one, and the one before it, which the current one replaces when it grows
// past MaxJournalBytes. Two generations keep thousands of entries and bound the journal's room on the card.
const (
	journalFile    = "journal.log"
	oldJournalFile = "journal.log.1"
)

// MaxJournalBytes is the size past which the journal starts a new file (about 3000 entries); the file before
// it is kept, the one before that is dropped.
const MaxJournalBytes = 1 << 20

// Journal appends e to the journal and syncs it.
func (s *Spool) Journal(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("spool: journal: %w", err)
	}
	path := filepath.Join(s.dir, journalFile)
	st, err := os.Stat(path)
	fresh := err != nil // a new journal file: its name must survive a power cut too
	if err == nil && st.Size()+int64(len(b)) > MaxJournalBytes {
		// Concurrent writers (run and send in two processes) may both rotate; the second rename finds no file
		// or a fresh small one, and at worst a few entries move to the older generation early.
		if err := os.Rename(path, filepath.Join(s.dir, oldJournalFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("spool: journal: %w", err)
		}
		fresh = true
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("spool: journal: %w", err)
	}
	// A line cut short by a power cut would glue to the next one: start on a fresh line if needed.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			b = append([]byte{'\n'}, b...)
		}
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && fresh {
		err = atomicfile.SyncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("spool: journal: %w", err)
	}
	return nil
}

// ReadJournal returns the journal's entries, oldest first, and how many damaged lines it skipped.
func (s *Spool) ReadJournal() ([]Entry, int, error) {
	var entries []Entry
	damaged := 0
	for _, name := range []string{oldJournalFile, journalFile} {
		e, d, err := readJournal(filepath.Join(s.dir, name))
		entries, damaged = append(entries, e...), damaged+d
		if err != nil {
			return entries, damaged, err
		}
	}
	return entries, damaged, nil
}

// readJournal reads one journal file; a missing one holds nothing.
func readJournal(path string) ([]Entry, int, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("spool: journal: %w", err)
	}
	defer f.Close()
	var entries []Entry
	damaged := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			damaged++
			continue
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return entries, damaged, fmt.Errorf("spool: journal: %w", err)
	}
	return entries, damaged, nil
}
