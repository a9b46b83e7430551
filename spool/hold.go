package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Hold is set when the account itself is refused (rejected credentials, encryption required, a certificate
// that does not verify): no job of the account is tried again until the settings change or an operator says
// retry, so that a wrong password does not lock the mailbox with a storm of attempts.
type Hold struct {
	Since  time.Time `json:"since"`
	Result string    `json:"result"` // a few words, for the panel
	Detail string    `json:"detail"` // a sentence, for people
	// Account fingerprints the account settings in force when the hold was set; other settings lift it.
	Account string `json:"account"`
}

const holdFile = "hold.json"

// SetHold holds the account.
func (s *Spool) SetHold(h Hold) error { return writeJSON(filepath.Join(s.dir, holdFile), &h) }

// GetHold returns the account hold, or nil when there is none.
func (s *Spool) GetHold() (*Hold, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, holdFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	var h Hold
	if err := json.Unmarshal(b, &h); err != nil {
		// A damaged hold file still holds: better a visible hold than a retry storm.
		return &Hold{Result: "Account held", Detail: "The account is held (its hold record is damaged); retry from the queue."}, nil
	}
	return &h, nil
}

// ClearHold lifts the account hold.
func (s *Spool) ClearHold() error {
	err := os.Remove(filepath.Join(s.dir, holdFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}
