package device_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
)

// hangGuard is how long a test waits for a cancelled pull to return before
// it calls it hung. It guards against a hang only; it is no speed check.
const hangGuard = 5 * time.Second

// floodPort is a machine that floods the line with garbage: every Read
// returns a full buffer at once, and what the receiver writes is dropped.
type floodPort struct{}

func (floodPort) SetReadTimeout(time.Duration) error { return nil }
func (floodPort) Write(b []byte) (int, error)        { return len(b), nil }
func (floodPort) Close() error                       { return nil }
func (floodPort) Read(b []byte) (int, error) {
	const garbage = "garbage\x15\x04\x01\x02\xfd\r\n"
	for i := range b {
		b[i] = garbage[i%len(garbage)]
	}
	return len(b), nil
}

// heldPort is an end of a pipe whose writes a machine can hold up, as it
// does with flow control (CTS low, or XOFF): once held, Write blocks until
// the port is closed.
type heldPort struct {
	*devicetest.End
	mu     sync.Mutex
	held   bool
	closed chan struct{}
	once   sync.Once
}

func newHeldPort(e *devicetest.End) *heldPort {
	return &heldPort{End: e, closed: make(chan struct{})}
}

func (p *heldPort) hold() {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
}

func (p *heldPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	held := p.held
	p.mu.Unlock()
	if held {
		<-p.closed
		return 0, io.ErrClosedPipe
	}
	return p.End.Write(b)
}

func (p *heldPort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return p.End.Close()
}

// receiveCancelled runs recv on port, cancels its context once cancelAt
// is closed, and checks that Receive returns within hangGuard of that with
// the context's error.
func receiveCancelled(t *testing.T, recv device.Receiver, port device.Port, cancelAt <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := recv.Receive(ctx, port, device.DirSink(t.TempDir()))
		done <- err
	}()
	select {
	case <-cancelAt:
	case err := <-done:
		t.Fatalf("receive ended before it was cancelled: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("receive error %v, want context.Canceled", err)
		}
	case <-time.After(hangGuard):
		port.Close() // lets the receiver go, so that the test can end
		<-done
		t.Fatalf("receive still running %v after its context was cancelled", hangGuard)
	}
}

// after returns a channel closed d from now.
func after(d time.Duration) <-chan struct{} {
	c := make(chan struct{})
	time.AfterFunc(d, func() { close(c) })
	return c
}

// idleReceiver returns a receiver of proto whose idle timeout is far
// longer than the tests, so that only the cancel ends them.
func idleReceiver(t *testing.T, proto string) device.Receiver {
	t.Helper()
	r, err := device.NewReceiver(proto, device.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReceiveCancelPromptly cancels pulls whatever the machine does
// (silent, trickling, flooding, sending slowly, holding the gateway's
// output): each returns soon after its context is cancelled.
func TestReceiveCancelPromptly(t *testing.T) {
	for _, proto := range []string{"zmodem", "ymodem", "xmodem"} {
		t.Run(proto+"/silent", func(t *testing.T) {
			t.Parallel()
			rx, machine := devicetest.Pipe()
			defer machine.Close()
			defer rx.Close()
			receiveCancelled(t, idleReceiver(t, proto), rx, after(300*time.Millisecond))
		})
		t.Run(proto+"/trickling garbage", func(t *testing.T) {
			t.Parallel()
			rx, machine := devicetest.Pipe()
			defer machine.Close()
			defer rx.Close()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						machine.Write([]byte{'*'})
					}
				}
			}()
			receiveCancelled(t, idleReceiver(t, proto), rx, after(300*time.Millisecond))
		})
		t.Run(proto+"/flooding garbage", func(t *testing.T) {
			t.Parallel()
			receiveCancelled(t, idleReceiver(t, proto), floodPort{}, after(300*time.Millisecond))
		})
		t.Run(proto+"/slow sender", func(t *testing.T) {
			t.Parallel()
			// A real sender behind a line of 100 bytes/s.
			tx, a := devicetest.Pipe()
			b, rx := devicetest.Pipe()
			relay := devicetest.Relay(a, b, devicetest.RelayConfig{AtoB: devicetest.Line{ByteRate: 100}})
			defer relay.Stop()
			defer tx.Close()
			defer rx.Close()
			send, _ := device.NewSender(proto, device.Options{Timeout: time.Minute})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go send.Send(ctx, tx, []device.SendFile{device.BytesFile("scan.tif", time.Time{}, pattern(50000, 3))})
			receiveCancelled(t, idleReceiver(t, proto), rx, after(time.Second))
		})
		t.Run(proto+"/output held", func(t *testing.T) {
			t.Parallel()
			// The machine sends, then holds the receiver's output with flow
			// control: the pull must not wait for the line to free up.
			tx, e := devicetest.Pipe()
			rx := newHeldPort(e)
			defer tx.Close()
			defer rx.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			send, _ := device.NewSender(proto, device.Options{Timeout: time.Minute})
			go send.Send(ctx, tx, []device.SendFile{device.BytesFile("scan.tif", time.Time{}, pattern(200000, 4))})
			cancelAt := make(chan struct{})
			var once sync.Once
			recv, _ := device.NewReceiver(proto, device.Options{Timeout: time.Minute, Progress: func(p device.Progress) {
				if p.Bytes > 10000 {
					rx.hold()
					once.Do(func() { time.AfterFunc(100*time.Millisecond, func() { close(cancelAt) }) })
				}
			}})
			receiveCancelled(t, recv, rx, cancelAt)
		})
	}
}
