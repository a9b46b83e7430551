// Package appliance is the job flow of the gateway: the one place that knows the order of the steps a scan
// takes, and that turns panel keys into jobs and job events into panel screens.
//
// A job starts when the panel asks to send to a destination. Scan pulls one batch of files from the machine
// into a staging directory of the spool and commits it as a queued job: from then on the scan survives a power
// cut. Deliver converts the job's pages into a PDF, composes the mail and submits it through the configured
// account. Both report progress as panel events, and every failure is put into plain words by Explain, short
// for the LCD and long for people who read logs.
//
// A mail that one of the office's machines submits on the relay port (the edge appliance/relay) becomes a job
// through EnqueueMessage: stored durably as received (with relay.rewrite_from, under the account's From:), it
// takes the same delivery loop, retries, holds and journal as a scan, and is sent as stored, never split. With
// relay.bounce, a relayed mail that fails for good is reported to its sender (bounce.go).
//
// RunPanel drives the front panel: keys from the board (or a script), progress and results from the running job,
// and a clock tick. Demo wires the whole appliance on one machine: an embedded mail server, a simulated machine
// on a pseudo-terminal and the panel in the terminal.
package appliance
