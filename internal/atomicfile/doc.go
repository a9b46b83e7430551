// Package atomicfile replaces files so that a power cut at any moment leaves either the old file or the whole new
// one under its name, never a part or a mix.
//
// Every replacement goes the same way: the new contents are written to a temporary file with a hidden name, the
// file is given its permission mode and fsynced, closed, renamed onto its final name, and the directory that now
// holds it is fsynced, which makes the rename itself durable. Until the rename, the old file is untouched; when
// anything fails before it, the temporary file is removed.
//
// There is one error policy: every step must succeed, the directory sync included. A directory that cannot be
// synced is reported as an error even though the new file is already in place, because a power cut may still
// bring the old one back; the caller must not report the new contents as safe.
//
// WriteFile does it all for contents written in one go. Create gives a Pending file for contents that arrive over
// time (a transfer, a long conversion) and whose final name may be chosen only at the end; Reopen takes up a file
// that an earlier Pending set aside under a name of its own. SyncDir makes other changes to a directory durable:
// a directory renamed into it, an entry removed.
package atomicfile
