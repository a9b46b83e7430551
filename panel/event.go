package panel

import "fmt"

// Destination is one entry of the address book.
type Destination struct {
	// Name is what staff see on the panel, e.g. "Accounts".
	Name string
	// Address is where the scan goes, e.g. "accounts@example.com".
	Address string
}

// RequestKind says what the appliance must do after a key press.
type RequestKind int

// The kinds of Request.
const (
	// RequestNone asks for nothing.
	RequestNone RequestKind = iota
	// RequestSend asks to pull a scan from the machine and send it to
	// Request.Dest.
	RequestSend
	// RequestStop asks to stop the job in progress.
	RequestStop
)

// String returns "none", "send" or "stop".
func (k RequestKind) String() string {
	switch k {
	case RequestNone:
		return "none"
	case RequestSend:
		return "send"
	case RequestStop:
		return "stop"
	}
	return fmt.Sprintf("request(%d)", int(k))
}

// Request is what a key press asks of the appliance.
type Request struct {
	Kind RequestKind
	// Dest is the chosen destination of a RequestSend.
	Dest Destination
}

// Stage is the step a job is in.
type Stage int

// The stages of a job, in the order a job passes them.
const (
	// StageReceiving: the scan is coming off the machine.
	StageReceiving Stage = iota
	// StageQueued: the scan is safely spooled and waits its turn.
	StageQueued
	// StageConverting: the pages are being turned into the mail attachment.
	StageConverting
	// StageSending: the mail is being submitted.
	StageSending
)

// String returns "receiving", "queued", "converting" or "sending".
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

// Event is news from the job flow. An event with a Result ends the job; any
// other event reports progress.
type Event struct {
	Stage Stage
	// Page is the page being worked on, counted from 1; 0 when unknown.
	Page int
	// Done and Total count bytes (or any unit) of the current stage. A Total
	// of 0 or less means unknown: the panel then shows Done as a size.
	Done, Total int64
	// Result, when not nil, ends the job.
	Result *Result
}

// Result is the outcome of a job.
type Result struct {
	// OK reports that the mail was accepted by the server.
	OK bool
	// Stopped reports that the job ended because staff pressed Stop; the
	// panel shows it without lighting the Error LED.
	Stopped bool
	// Dest is where the job went; when empty the panel uses the destination
	// of the job it started.
	Dest Destination
	// Short is a few plain words for the panel (at most 16 characters are
	// sure to fit), e.g. "Wrong password" or "3 pages".
	Short string
	// Detail is the full story for support staff, e.g. the server's reply;
	// the panel scrolls it on request.
	Detail string
}

func (r Result) failed() bool { return !r.OK && !r.Stopped }

// LEDs is the state of the three front-panel lights.
type LEDs struct {
	// Ready: idle and able to take a job.
	Ready bool
	// Sending: a job is in progress.
	Sending bool
	// Error: a job failed and nobody has acknowledged it yet.
	Error bool
}
