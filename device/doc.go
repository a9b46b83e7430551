// Package device is how a scanned document comes off the fax/MFP machine.
//
// # The Port seam
//
// A Port is an open byte link to the machine: a serial port (OpenSerial,
// or OpenUSB by USB identity), a pseudo-terminal, or a TCP connection to a
// network serial server (DialTCP; DeadlinePort adapts any connection with
// read deadlines). Its one addition
// to io.ReadWriteCloser is SetReadTimeout; a Read that times out returns an
// error wrapping ErrTimeout, never (0, nil). Protocol code takes a Port that
// is already open and configured and never opens one itself, so the same
// protocol runs over a USB serial adapter on the board, a pseudo-terminal in
// the demo (package mfpsim) and an in-memory pipe in tests (package
// devicetest).
//
// OpenSerial is the only code that uses the serial library. It sets the
// line rate, data bits, parity and stop bits from a SerialConfig (check one
// early with SerialConfig.Validate), puts the line in raw mode and leaves the
// modem control lines alone. The library has no flow control settings and
// turns RTS/CTS off, so OpenSerial keeps a second, non-blocking descriptor
// of the same device: through it, it sets the flow control in the terminal
// settings (CRTSCTS for "rtscts", IXON and IXOFF for "xonxoff", checked by
// reading them back) and writes. A write that makes no progress for
// SerialConfig.WriteTimeout (a peer holding CTS low or sending XOFF, a line
// that is gone) fails with ErrTimeout instead of hanging. XON/XOFF takes the
// bytes 0x11 and 0x13 out of the data, so it suits ZMODEM, which escapes
// them, but not YMODEM or XMODEM, whose blocks carry them as they are (the
// config package refuses the combination).
//
// # Finding the machine: USB and TCP
//
// ListPorts lists the serial ports with the USB vendor and product id,
// serial number and product name that the kernel publishes in sysfs; it
// opens no port, since opening a legacy port resets its settings. FindUSB
// and OpenUSB find a port by USBID ("0403:6001", with ":SERIAL" when two
// adapters of one kind are plugged in), wherever the kernel put it. When
// the device is unplugged, a USBPort's reads and writes fail with
// ErrUnplugged, and Reopen waits, bounded, for it to come back, possibly
// under another name, and opens it again. The listing, the opening and the
// clock are fields of USBConfig, so that tests run on a fake system.
//
// DialTCP reaches a machine through a network serial server in raw TCP
// mode (no Telnet or RFC 2217 negotiation: the server holds the line
// settings), with a bounded connect and bounded writes.
//
// # Protocols
//
// NewReceiver and NewSender build a Receiver or Sender by protocol name;
// Protocols lists the names: "zmodem" (the main path), "ymodem", "xmodem"
// and "xmodem-1k". YMODEM batch ("ymodem") is
// interoperable with lrzsz's sb and rb: CRC-16 blocks of 128 and 1024
// bytes, a block 0 per file carrying name, size and modification time, the
// first EOT of each file refused as lrzsz's senders expect, and an empty
// block 0 to end the batch. Protocols of particular machine models join
// behind the same two interfaces.
//
// XMODEM ("xmodem") carries one file, without name or size, in 128-byte
// blocks; "xmodem-1k" sends 1024-byte blocks while at least 1024 bytes
// remain. The receiver asks for CRC-16 blocks ('C') three times, then falls
// back to the original arithmetic checksum (NAK) for senders that know only
// that; it takes 128- and 1024-byte blocks alike. It is interoperable with
// lrzsz's sx and rx. The file is named by XmodemReceiver.Name, by default
// "xmodem-" and the UTC time. Its last block is padded, usually with SUB
// (0x1A) bytes, and the receiver keeps the padding unless TrimPadding is
// set: a scan may end in 0x1A bytes of its own, and padding after a TIFF's
// last strip or directory is harmless, so keeping every byte is the safe
// default.
//
// ZMODEM ("zmodem"; NewZmodem for its own settings) is the main path,
// interoperable with lrzsz's sz and rz. The receiver announces full
// streaming in ZRINIT (CANFDX, CANOVIO, CANFC32, no buffer limit) and takes
// hex, CRC-16 and CRC-32 binary headers and data subpackets of up to 8 KB,
// with every ZDLE escape (control characters, XON and XOFF, CR after '@',
// ZRUB0 and ZRUB1). A damaged subpacket or header costs one ZRPOS with the
// last good offset: what is still in flight is thrown away until the
// sender comes back there, and the file is not started over. ZEOF lands a
// file only at the offset reached and the announced size. The sender
// streams ZCRCG subpackets of ZmodemOptions.Subpacket bytes (1 KB, or 8 KB
// as sz -8), honours the receiver's buffer size and CRC choice, looks for
// ZRPOS while it streams and goes back (seeking, or reading its contents
// again), and answers ZCRC. It opens each restart with a short subpacket
// that waits for ZACK, drops ZRPOS that repeat a restart still on its way,
// and halves its subpackets where the line keeps failing, so that data
// queued in deep buffers does not set off a ping-pong of restarts. An
// unanswered ZEOF is repeated at doubling intervals: a receiver that lost a
// ZRPOS on the way ignores a ZEOF at the wrong place and asks again only
// after its own timeout (10 s for rz), which a ZEOF every few seconds would
// keep restarting. Five
// CAN bytes in a row cancel; the cancel sent is lrzsz's (ten CAN, ten
// backspaces), and only to a peer that sent a good header.
//
// The gateway pulls: it is the receiver and starts the transfer by asking
// the machine to send ('C' for YMODEM, ZRINIT for ZMODEM, optionally after
// a ZmodemOptions.Trigger command line). The Sender serves the simulated
// machine and tests.
//
// Every wait is bounded. Options.Timeout is the idle timeout: a peer silent
// for that long ends the transfer with ErrTimeout, including a machine that
// never begins. Within it the receiver asks again after a few seconds of
// silence, and damaged blocks are asked for again up to Options.Retries
// times in a row before ErrDamaged. Two CAN bytes from the peer end the
// transfer with ErrCancelled; cancelling the context sends CAN to the peer
// and returns the context's error. The transports bound writes: a serial
// port by its write timeout, a TCP connection by a write deadline.
//
// The idle timeout does not stop a machine that keeps sending, but far too
// slowly (a byte every few seconds). So each file a receiver takes in also
// has a total bound, Options.FileTime: Options.MinFileTime (10 minutes by
// default) plus twice the time its announced size takes at Options.Baud
// (115200 by default; ten bits a byte), counted from when the receiver
// asks for the file. A file of unannounced size (always with XMODEM)
// counts as AssumedSize (16 MiB), or as what has arrived once that is
// more. When the bound runs out, the receiver cancels the transfer and
// returns an error wrapping ErrTimeout that says what happened: "the
// machine sent 1.2 MB of 20 MB in 1h7m52s: far slower than 115200 baud".
// The bound runs on the receiver's clock, like every other wait.
//
// A receiver whose context is cancelled returns within a second, whatever
// the machine does: silent, trickling or flooding the line, or holding the
// gateway's output with flow control. A write held up that way is left to
// the port's own write timeout (or its Close), and the cancel sequence
// gets half a second to go out.
//
// # Landing files
//
// A Receiver writes each file into a Sink and commits it only when it has
// arrived whole and matches its announced size; otherwise it aborts it.
// DirSink lands files atomically: the bytes go to a hidden temporary file;
// Commit fsyncs it, renames it to a cleaned, unused name (CleanName: base
// name only; control characters and line separators replaced; invisible
// format characters such as the bidirectional overrides removed, so that
// a name shows as it is; no leading dot or dash, so that a name is neither
// hidden nor taken for a command-line option; "scan.tif", "scan-1.tif",
// ...), fsyncs the directory and returns a File with its SHA-256; Abort
// removes it. A damaged, short or cancelled file never appears under a
// final name.
//
// The sink decides whether there is room. A caller's Sink may refuse a
// file in Create (or Resume) from its announced size, and fail a Write
// once its room runs out. Either way the receiver cancels the transfer
// (CAN), so that the machine keeps its document, aborts the file, and
// returns the files committed so far with an error that wraps the sink's:
// errors.Is finds the caller's own error through it. A refused file is
// refused before any of its data is asked for or acknowledged (an XMODEM
// file, which has no header, is created when its first block arrives).
//
// A Sink may also be a Resumer, for protocols that can start a file at an
// offset (ZMODEM; the others call Create only). Resume returns a
// Resumable, whose Suspend keeps what arrived of a file whose transfer was
// cut off; when the same file (name, size and modification time) is
// offered again, Resume continues it and the receiver asks for the rest
// only. DirSink keeps such a file fsynced under a hidden name,
// ".partial-<size>-<mtime>-<name>", never under a final one, and drops it
// when the machine's file has changed. A file left without Suspend (a
// crash) is not resumed: every kept byte was checked on the line. A file
// is suspended when its transfer was cut off (a timeout, a cable pulled,
// the machine cancelling, the context); a file whose data went wrong, or
// that the sink failed, is aborted: keeping a file the sink had no room
// for would only take the room again.
package device
