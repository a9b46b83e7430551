package smtptest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Delivered returns the paths of the messages delivered so far, sorted by file name. Maildir names begin with
// the delivery time in seconds, so the order within one second is not the order of delivery.
func (p *Postfix) Delivered(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(p.Maildir, "new"))
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	paths := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			paths = append(paths, filepath.Join(p.Maildir, "new", e.Name()))
		}
	}
	return paths
}

// WaitDelivered waits until at least n messages have been delivered and returns their paths (as Delivered).
// Delivery runs after the server has accepted a message; guard bounds the wait, after which the test fails
// with the queue's story from the mail log.
func (p *Postfix) WaitDelivered(t testing.TB, n int, guard time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(guard)
	for {
		paths := p.Delivered(t)
		if len(paths) >= n {
			return paths
		}
		if time.Now().After(deadline) {
			t.Fatalf("smtptest: %d of %d messages delivered after %v\nmail log:\n%s", len(paths), n, guard, p.Log())
		}
		time.Sleep(postfixPollInterval)
	}
}

// postfixAddedFields are the header fields Postfix puts above a message when it accepts and delivers it.
var postfixAddedFields = map[string]bool{
	"return-path": true, "x-original-to": true, "delivered-to": true, "received": true,
}

// ReadDelivered reads a delivered message and splits it into the header fields Postfix added in front of it
// (Return-Path, X-Original-To, Delivered-To, Received; each field as written, continuation lines included) and
// the message as it was submitted. Postfix stores messages with LF line ends; ReadDelivered restores CRLF, so msg
// compares byte for byte with what the client sent.
func ReadDelivered(t testing.TB, path string) (added []string, msg []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	for len(b) > 0 {
		name, _, ok := bytes.Cut(b, []byte(":"))
		if !ok || !postfixAddedFields[strings.ToLower(string(name))] {
			break
		}
		end := deliveredFieldEnd(b)
		added = append(added, string(b[:end]))
		b = b[end:]
	}
	return added, b
}

// deliveredFieldEnd returns the length of the header field at the start of b, continuation lines and CRLF included.
func deliveredFieldEnd(b []byte) int {
	n := 0
	for {
		i := bytes.Index(b[n:], []byte("\r\n"))
		if i < 0 {
			return len(b)
		}
		n += i + 2
		if n == len(b) || (b[n] != ' ' && b[n] != '\t') {
			return n
		}
	}
}
