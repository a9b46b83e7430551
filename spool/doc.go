// Package spool keeps scan jobs on disk so that an accepted scan survives a power cut, a dead mail server or a
// wrong password, and keeps the transmission journal.
//
// A spool is a directory:
//
//	staging/in-*/        files being received from the machine; not yet a job (Recover keeps what a pull finished)
//	staging/msg-*/       a mail being received on the relay port, or a failure report being written; not yet a
//	                     job (removed by Recover: the sender had no reply and sends again)
//	jobs/000042/job.json a job: what to send, to whom, its state and the last outcome
//	jobs/000042/...      the job's files: the scans as received, then the PDF and the composed mail; for a
//	                     relayed mail or a failure report (Job.Source), the mail as it is sent
//	seq                  the last job number given out
//	hold.json            present while the account is held (wrong password, TLS refused)
//	journal.log          the transmission journal, one JSON object per line, append-only
//	daemon.lock          held (flock) by the process that runs the delivery loop
//
// Every change is made durable the same way: write to a temporary name, fsync the file, rename it into place,
// fsync the directory. A job therefore exists whole or not at all, and job.json is always the old or the new
// version, never a mix. No database is needed: the file system's atomic rename is the only transaction the
// queue needs, and a plain directory survives the flash cards of small boards better than a database file that
// is rewritten in place. A journal line cut short by a power cut is skipped when the journal is read.
//
// A job moves through these states:
//
//	queued ──▶ sending ──▶ sent
//	   ▲          │
//	   │          ├──▶ deferred (until NextAttempt) ──▶ sending ...
//	   │          ├──▶ held (needs someone: a page too large; or the whole account is held)
//	   │          └──▶ failed (permanent refusal, or the retry lifetime ran out)
//	   └── Retry (operator) from held, failed or deferred
//
// A job found "sending" when the spool opens was interrupted (a crash or a power cut): Recover puts it back in
// the queue. Its Message-ID was chosen when it was queued, so a mail that the server had already accepted before
// the crash reaches the recipient a second time with the same Message-ID, recognisable as the same mail.
//
// Disk use is bounded: Stage refuses new work when the jobs use more than Limits.MaxBytes, or when the file
// system's free space would fall below Limits.MinFree, so that the card never fills.
package spool
