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
//
// Relay joins two ports, in-memory ends or pseudo-terminals, through a Line
// each way that damages bytes at random (FlipRate, DropRate, StallRate,
// repeatable through a seed) and paces them like a serial line (ByteRate:
// 11520 bytes/s is 115200 baud 8N1), for error-recovery tests and for
// throughput benchmarks against lrzsz on the same paced line. It paces by
// an injected Clock, or by real time with sleeps precise to about 0.1 ms.
package devicetest
