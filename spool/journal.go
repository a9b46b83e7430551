package spool

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
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
}

const journalFile = "journal.log"

// Journal appends e to the journal and syncs it.
func (s *Spool) Journal(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("spool: journal: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.dir, journalFile), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
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
	if err != nil {
		return fmt.Errorf("spool: journal: %w", err)
	}
	return nil
}

// ReadJournal returns the journal's entries, oldest first, and how many damaged lines it skipped.
func (s *Spool) ReadJournal() ([]Entry, int, error) {
	f, err := os.Open(filepath.Join(s.dir, journalFile))
	if os.IsNotExist(err) {
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
