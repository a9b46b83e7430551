// Package devicetest provides an in-memory device.Port pair for fast,
// deterministic tests of the transfer protocols without a serial line or a
// pseudo-terminal.
//
// Pipe returns two connected ends. Each honours SetReadTimeout, so idle
// timeouts can be tested in milliseconds. A Fault on an end rewrites the
// bytes it writes on their way to the other end: FlipAt damages bytes at
// chosen offsets of the stream, DropAt loses them, and Record keeps a copy
// for golden transcripts.
//
//	a, b := devicetest.Pipe()
//	b.SetFault(devicetest.FlipAt(200)) // damage the first data block
//	go sender.Send(ctx, b, files)
//	got, err := receiver.Receive(ctx, a, sink)
package devicetest
