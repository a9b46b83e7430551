// Package spool keeps scan jobs on disk so that an accepted scan survives a power cut.
//
// A spool is a directory:
//
//	staging/<random>/   files being received from the machine; not yet a job
//	jobs/<id>/job.json  a job: what to send, to whom, and how far it got
//	jobs/<id>/...       the job's files (the scans as received, then the PDF and the mail)
//
// Every change is made durable the same way: write to a temporary name, fsync the file, rename it into place,
// fsync the directory. A job therefore either exists whole or not at all, and job.json is always either the old
// or the new version. No database is needed: the file system's atomic rename is the only transaction required.
//
// This is the first, small version of the queue: it records jobs and their state. Retries with backoff, the
// transmission journal, bounded disk use and recovery of interrupted sends build on it.
package spool
