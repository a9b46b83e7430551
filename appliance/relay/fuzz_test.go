package relay

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzSession feeds arbitrary bytes to the listener as a client's side of a session, then ends the
// connection: the relay must not panic (go-smtp would survive one and log it), must leave no goroutine behind,
// and must make no job of a session that did not complete a message (DATA's end line, or BDAT LAST).
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: s\r\n\r\nhalf a message",
		"EHLO x\r\nMAIL FROM:<a@b> SIZE=99999999999\r\nRCPT TO:<c@d>\r\nBDAT 5\r\nabcdeBDAT 0 LAST\r\n",
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 10\r\nabc",
		"EHLO x\r\nAUTH PLAIN AG1mcABzM2NyZXQgcGFzcw==\r\nAUTH LOGIN\r\nbWZw\r\n*\r\n",
		"EHLO x\r\nAUTH LOGIN bWZw\r\n=\r\nAUTH PLAIN\r\n!!!\r\n",
		"EHLO x\r\nSTARTTLS\r\n\x16\x03\x01\x00\x05hello",
		"HELO x\r\nRSET\r\nNOOP\r\nVRFY x\r\nMAIL FROM:<>\r\nRCPT TO:<postmaster>\r\nDATA\r\n.\r\n",
		strings.Repeat("A", 3000) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	r := startTest(f, true)
	f.Fuzz(func(t *testing.T, in []byte) {
		before := runtime.NumGoroutine()
		jobsBefore := len(r.core.Jobs())
		c, err := net.Dial("tcp", r.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		done := make(chan struct{})
		go func() { // read the replies, so that the server never blocks writing them
			io.Copy(io.Discard, c)
			close(done)
		}()
		c.Write(in)
		c.(*net.TCPConn).CloseWrite()
		<-done
		c.Close()
		// The session ends on the server's side too, and its goroutines with it.
		deadline := time.Now().Add(10 * time.Second)
		for {
			r.mu.Lock()
			open := len(r.conns)
			r.mu.Unlock()
			if open == 0 && runtime.NumGoroutine() <= before {
				break
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d connections open, %d goroutines (%d before)\n%s", open, runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(time.Millisecond)
		}
		// A message is complete at DATA's end line or at BDAT's LAST.
		complete := bytes.Count(in, []byte("\n.\r\n")) + bytes.Count(bytes.ToUpper(in), []byte("LAST"))
		if made := len(r.core.Jobs()) - jobsBefore; made > complete {
			t.Fatalf("%d jobs from a session with no complete message: %q", made, in)
		}
		if l := r.log.String(); strings.Contains(l, "panic") {
			t.Fatalf("panic: %s", l)
		}
	})
}
