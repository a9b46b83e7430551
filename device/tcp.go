package device

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// DefaultDialTimeout bounds connecting to a network serial server when
// DialTCP is given no timeout.
const DefaultDialTimeout = 10 * time.Second

// tcpKeepAlive is the keep-alive period of a connection to a serial
// server, so that a server that vanished is noticed between pulls.
const tcpKeepAlive = 30 * time.Second

// DialTCP connects to a network serial server (a device that puts a serial
// port on a TCP port, in raw mode: no Telnet or RFC 2217 negotiation) and
// returns the connection as a Port. Connecting takes at most timeout
// (DefaultDialTimeout if zero or negative); running out of it returns an
// error wrapping ErrTimeout. Each Write is bounded by DefaultWriteTimeout.
// The line settings (rate, parity, flow control) are the server's.
func DialTCP(ctx context.Context, addr string, timeout time.Duration) (Port, error) {
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	d := net.Dialer{Timeout: timeout, KeepAlive: tcpKeepAlive}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
			return nil, fmt.Errorf("device: dial %s: %w after %v", addr, ErrTimeout, timeout)
		}
		return nil, fmt.Errorf("device: dial %s: %w", addr, err)
	}
	return DeadlinePort(&tcpConn{Conn: c, addr: addr}), nil
}

// tcpConn bounds the writes of a connection.
type tcpConn struct {
	net.Conn
	addr string
}

func (c *tcpConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(DefaultWriteTimeout)); err != nil {
		return 0, fmt.Errorf("device: %s: %w", c.addr, err)
	}
	n, err := c.Conn.Write(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, fmt.Errorf("device: %s: write: %w", c.addr, ErrTimeout)
	}
	return n, err
}
