// Package appliance is the job flow of the gateway: the one place that knows the order of the steps a scan
// takes, and that turns panel keys into jobs and job events into panel screens.
//
// A job starts when the panel asks to send to a destination. Scan pulls one batch of files from the machine
// into a staging directory of the spool and commits it as a queued job: from then on the scan survives a power
// cut. Deliver converts the job's pages into a PDF, composes the mail and submits it through the configured
// account. Both report progress as panel events, and every failure is put into plain words by Explain, short
// for the LCD and long for people who read logs.
//
// RunPanel drives the front panel: keys from the board (or a script), progress and results from the running job,
// and a clock tick. Demo wires the whole appliance on one machine: an embedded mail server, a simulated machine
// on a pseudo-terminal and the panel in the terminal.
package appliance
