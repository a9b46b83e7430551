package panel

import (
	"fmt"
	"strconv"
	"time"
)

// Destination is one entry of the address book.
type Destination struct {
	// Name is what staff see on the panel, e.g. "Accounts".
	Name string
	// Address is where the scan goes, e.g. "accounts@example.com".
	Address string
}

// RequestKind says what the appliance must do after a key press.
type RequestKind int

// The kinds of Request. Send and Stop drive the job in progress; the others
// are slow work for the appliance to run in the background, each answered by
// exactly one Event carrying an Answer with the same kind in Answer.To, but
// for the sign-in: RequestSignIn is answered twice once the code is there
// (the code, then the end), and RequestCancelSignIn, like Stop, is not
// answered.
const (
	// RequestNone asks for nothing.
	RequestNone RequestKind = iota
	// RequestSend asks to pull a scan from the machine and send it to
	// Request.Dest.
	RequestSend
	// RequestStop asks to stop the job in progress: while the scan comes off
	// the machine, at once; once it is queued, only after staff confirmed
	// ("Stop? OK=yes"), and then the scan must not be sent.
	RequestStop
	// RequestSaveSettings asks to save Request.Settings and apply them
	// without a restart. The panel has validated them and waits ("Saving...")
	// for the Answer.
	RequestSaveSettings
	// RequestTestAccount asks for the self-test of the saved mail account;
	// the Answer gives the verdict.
	RequestTestAccount
	// RequestRetryJob asks to send the queued job Request.Job again now.
	RequestRetryJob
	// RequestDeleteJob asks to remove the queued job Request.Job (staff
	// confirmed it).
	RequestDeleteJob
	// RequestJournal asks for the last entries of the transmission journal,
	// answered in Answer.Journal.
	RequestJournal
	// RequestNetwork asks for the network addresses of the gateway,
	// answered in Answer.Lines.
	RequestNetwork
	// RequestSignIn asks to sign the mail account in with OAuth (the device
	// authorization grant, RFC 8628), replacing a sign-in under way, about
	// which the appliance then sends nothing more. The first Answer carries
	// the code in Answer.SignIn; the appliance then waits for the person to
	// approve it and sends a second Answer, without SignIn, with the end: OK
	// (signed in), Expired, or a failure in Short and Detail. When no code
	// can be had the first Answer is the end.
	RequestSignIn
	// RequestCancelSignIn asks to stop the sign-in under way: the appliance
	// stops waiting for it and sends no more answers about it.
	RequestCancelSignIn
	numRequestKinds
)

var requestNames = [numRequestKinds]string{"none", "send", "stop", "save-settings", "test-account",
	"retry-job", "delete-job", "journal", "network", "sign-in", "cancel-sign-in"}

// String returns "none", "send", "stop", "save-settings", "test-account",
// "retry-job", "delete-job", "journal", "network", "sign-in" or
// "cancel-sign-in".
func (k RequestKind) String() string {
	if k < 0 || k >= numRequestKinds {
		return fmt.Sprintf("request(%d)", int(k))
	}
	return requestNames[k]
}

// Request is what a key press asks of the appliance.
type Request struct {
	Kind RequestKind
	// Dest is the chosen destination of a RequestSend.
	Dest Destination
	// Settings are the whole settings to save with a RequestSaveSettings:
	// the appliance's own copy, which the panel does not touch again.
	Settings *Settings
	// Job is the QueueJob.ID of a RequestRetryJob or RequestDeleteJob.
	Job string
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

// Event is news from the appliance. An event with a Result ends the job; an
// event with a Queue, a Notice or an Answer carries that news; any other
// event reports the progress of the job in progress.
type Event struct {
	Stage Stage
	// Page is the page being worked on, counted from 1; 0 when unknown.
	Page int
	// Done and Total count bytes (or any unit) of the current stage. A Total
	// of 0 or less means unknown: the panel then shows Done as a size.
	Done, Total int64
	// Result, when not nil, ends the job.
	Result *Result
	// Queue, when not nil, replaces the panel's view of the queue.
	Queue *Queue
	// Notice, when not nil, replaces the status line of the ready screen.
	Notice *Notice
	// Answer, when not nil, answers a request other than Send and Stop.
	Answer *Answer
	// Relay, when not nil, replaces the panel's view of the relay listener
	// (About; the ready screen of a 20x4).
	Relay *Relay
}

// Relay is the relay listener as the panel shows it.
type Relay struct {
	// Addrs are the addresses it listens on ("0.0.0.0:587").
	Addrs []string
	// Fingerprint is its certificate's SHA-256 fingerprint ("AB:CD:...").
	Fingerprint string
	// Today is how many messages it accepted today.
	Today int
}

// todayText is the relay's count of the day: "Relay: 3 today".
func (r *Relay) todayText() string { return "Relay: " + strconv.Itoa(r.Today) + " today" }

// progress reports whether e is news of the job in progress and nothing else.
func (e Event) progress() bool {
	return e.Result == nil && e.Queue == nil && e.Notice == nil && e.Answer == nil && e.Relay == nil
}

// Queue is the spool as the panel shows it: the jobs not sent yet.
type Queue struct {
	// Jobs are the queued, deferred, held and failed jobs, oldest first.
	// The ready screen counts them ("Q:2") and shows the Status of the
	// first one with Problem set.
	Jobs []QueueJob
}

// QueueJob is one job of the queue.
type QueueJob struct {
	// ID names the job in RequestRetryJob and RequestDeleteJob.
	ID string
	// Dest is the destination's name.
	Dest string
	// Pages is the number of pages; 0 when unknown.
	Pages int
	// Status is a few plain words, e.g. "Waiting", "Retry at 14:05" or
	// "Wrong password" (at most 16 characters are sure to fit).
	Status string
	// Detail is the full story, shown on request.
	Detail string
	// Problem marks a held or failed job: someone must act. The ready
	// screen shows a marker and Status, and the Error LED is lit.
	Problem bool
}

// Notice is a status the appliance wants on the ready screen in place of
// the device name, e.g. "Waiting for clock" or "No machine".
type Notice struct {
	// Text is the status; empty clears the notice.
	Text string
	// Problem marks a notice that needs someone to act: it gets the
	// marker and lights the Error LED.
	Problem bool
}

// Answer is the appliance's reply to a request other than Send, Stop and
// CancelSignIn.
type Answer struct {
	// To is the kind of request answered.
	To RequestKind
	// OK reports success: settings saved, account works, job retried or
	// deleted, journal or addresses read, code given or signed in.
	OK bool
	// Short is a few plain words for the panel, e.g. "Saved", "Account OK",
	// "Wrong password", "Disk full"; when empty the panel picks its own.
	Short string
	// Detail is a sentence with the full story; the panel wraps and
	// scrolls it.
	Detail string
	// Lines are the network addresses for RequestNetwork, one per line,
	// e.g. "eth0 192.168.1.20".
	Lines []string
	// Journal are the last journal entries for RequestJournal, newest
	// first.
	Journal []JournalEntry
	// SignIn, when not nil, is the code of a RequestSignIn, which the
	// person approves on another device; the end of the sign-in follows in
	// another Answer. An Answer to RequestSignIn without SignIn is the end:
	// OK when signed in (Detail may name the account).
	SignIn *SignInCode
	// Expired, in the end of a RequestSignIn, says that the code expired
	// before it was approved: the panel offers a new one.
	Expired bool
}

// SignInCode is what the person at the panel needs to approve a sign-in on
// a phone or a PC: the page to open and the code to type there. It holds no
// secret: the tokens stay with the appliance.
type SignInCode struct {
	// URI is the verification page, e.g.
	// "https://microsoft.com/devicelogin"; the panel leaves out "https://".
	URI string
	// UserCode is the code to type on that page, e.g. "ABCD-EFGH".
	UserCode string
	// Expires is when the code stops working; the panel counts down to it
	// on its clock.
	Expires time.Time
}

// JournalEntry is one entry of the transmission journal.
type JournalEntry struct {
	// Time is when the attempt ended.
	Time time.Time
	// Dest is the destination's name.
	Dest string
	// Result is a few plain words, e.g. "Sent 3 pages" or "Wrong password".
	Result string
	// Detail is the full story, shown on request.
	Detail string
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
