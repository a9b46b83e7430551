// Package device is how a scanned document comes off the fax/MFP machine.
//
// # The Port seam
//
// A Port is an open byte link to the machine: a serial port (OpenSerial),
// a pseudo-terminal, or a TCP connection (DeadlinePort). Its one addition
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
// modem control lines alone. Flow control is not yet configurable: RTS/CTS
// and XON/XOFF are off.
//
// # Protocols
//
// NewReceiver and NewSender build a Receiver or Sender by protocol name;
// Protocols lists the names. YMODEM batch is the first protocol ("ymodem"),
// interoperable with lrzsz's sb and rb: CRC-16 blocks of 128 and 1024
// bytes, a block 0 per file carrying name, size and modification time, the
// first EOT of each file refused as lrzsz's senders expect, and an empty
// block 0 to end the batch. ZMODEM and XMODEM, and protocols of particular
// machine models, join behind the same two interfaces.
//
// The gateway pulls: it is the receiver and starts the transfer by asking
// the machine to send ('C' for YMODEM). The Sender serves the simulated
// machine and tests.
//
// Every wait is bounded. Options.Timeout is the idle timeout: a peer silent
// for that long ends the transfer with ErrTimeout, including a machine that
// never begins. Within it the receiver asks again after a few seconds of
// silence, and damaged blocks are asked for again up to Options.Retries
// times in a row before ErrDamaged. Two CAN bytes from the peer end the
// transfer with ErrCancelled; cancelling the context sends CAN to the peer
// and returns the context's error. Writes are not bounded: without flow
// control a write only waits for room in the port's buffer.
//
// # Landing files
//
// A Receiver writes each file into a Sink and commits it only when it has
// arrived whole and matches its announced size; otherwise it aborts it.
// DirSink lands files atomically: the bytes go to a hidden temporary file;
// Commit fsyncs it, renames it to a cleaned, unused name (CleanName: base
// name only, no control characters, no leading dot; "scan.tif",
// "scan-1.tif", ...), fsyncs the directory and returns a File with its
// SHA-256; Abort removes it. A damaged, short or cancelled file never
// appears under a final name.
package device
