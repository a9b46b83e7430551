package appliance

import (
	"fmt"
	"time"

	"github.com/scangate/gateway/spool"
)

// Stage is the step a job is in.
type Stage int

// The stages of a job, in the order a job passes them.
const (
	// StageReceiving: the scan is coming off the machine.
	StageReceiving Stage = iota
	// StageConverting: the scan is safe in the spool, and its pages are being turned into the PDF and the mail.
	StageConverting
	// StageQueued: the mail is ready and waits its turn.
	StageQueued
	// StageSending: the mail is being submitted.
	StageSending
)

// String returns "receiving", "converting", "queued" or "sending".
func (s Stage) String() string {
	switch s {
	case StageReceiving:
		return "receiving"
	case StageQueued:
		return "queued"
	case StageConverting:
		return "converting"
	case StageSending:
		return "sending"
	}
	return fmt.Sprintf("stage(%d)", int(s))
}

// Progress is how far a job has come in its stage.
type Progress struct {
	Stage Stage
	// Page is the page (or file) being worked on, counted from 1; 0 when unknown.
	Page int
	// Done and Total count bytes of the current stage; a Total of 0 or less means unknown.
	Done, Total int64
}

// Outcome is what became of one attempt at a job.
type Outcome struct {
	Job *spool.Job
	// Err is the attempt's error, nil when the mail was accepted.
	Err error
}

// RetryTime is when a deferred job is tried again, as people read it: "14:05", local time.
func RetryTime(at time.Time) string { return at.In(time.Local).Format("15:04") }

// Update is news of a watched job: progress, or, last of all, its outcome. Exactly one field is set.
type Update struct {
	Progress *Progress
	Outcome  *Outcome
}
