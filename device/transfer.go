package device

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout is the idle timeout of a transfer when Options.Timeout is
// zero: how long the peer may stay silent before the transfer fails. It
// also bounds how long a receiver waits for the machine to begin.
const DefaultTimeout = 10 * time.Second

// DefaultRetries is how many damaged blocks or refused replies in a row a
// transfer tolerates when Options.Retries is zero.
const DefaultRetries = 10

// DefaultBaud is the line rate a receiver bounds each file by when
// Options.Baud is zero: 115200 bits per second, the usual rate of a
// machine's serial port, which also suits a network serial server whose
// far side runs a serial line.
const DefaultBaud = 115200

// DefaultMinFileTime is the least total time a receiver allows each file
// when Options.MinFileTime is zero.
const DefaultMinFileTime = 10 * time.Minute

// AssumedSize is the size a receiver bounds a file by when the sender
// announced none (always with XMODEM): 16 MiB, more than a scan of many
// pages. A file that goes on beyond it at a good rate gets more time as
// it arrives.
const AssumedSize = 16 << 20

// bitsPerByte is what one byte costs on a serial line: a start bit, eight
// data bits and a stop bit (8N1).
const bitsPerByte = 10

// maxFileTime caps the total bound of a file, so that absurd announced
// sizes do not overflow the arithmetic of times.
const maxFileTime = 100 * 365 * 24 * time.Hour

// Options tune a Receiver or Sender.
type Options struct {
	// Timeout is the idle timeout: when the peer has sent nothing for this
	// long the transfer fails with an error wrapping ErrTimeout. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Retries bounds the damaged blocks or negative replies in a row before
	// the transfer fails with ErrDamaged. Zero means DefaultRetries.
	Retries int
	// Progress, if set, is called from the transfer's goroutine at the start
	// of each file and after each block. It must return quickly.
	Progress func(Progress)
	// Baud is the line rate to the machine in bits per second, which
	// bounds the total time of each file a receiver takes in (see
	// FileTime). Zero means DefaultBaud.
	Baud int
	// MinFileTime is the least total time a receiver allows each file,
	// however small. Zero means DefaultMinFileTime.
	MinFileTime time.Duration
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries <= 0 {
		o.Retries = DefaultRetries
	}
	if o.Baud <= 0 {
		o.Baud = DefaultBaud
	}
	if o.MinFileTime <= 0 {
		o.MinFileTime = DefaultMinFileTime
	}
	return o
}

// FileTime returns the total time a receiver allows a file of size bytes
// (-1 if the sender announced no size, which counts as AssumedSize), from
// when it asks for the file until the file is complete: MinFileTime plus
// twice the time size bytes take on the line at Baud (ten bits a byte).
// The idle timeout stops a silent peer; this bound stops one that keeps
// sending, but far too slowly (a byte every few seconds), or never gets
// to the end. When it runs out the receiver cancels the transfer and
// returns an error wrapping ErrTimeout.
func (o Options) FileTime(size int64) time.Duration {
	o = o.withDefaults()
	if size < 0 {
		size = AssumedSize
	}
	line := 2 * float64(size) * bitsPerByte / float64(o.Baud) * float64(time.Second)
	if line >= float64(maxFileTime) || o.MinFileTime >= maxFileTime-time.Duration(line) {
		return maxFileTime
	}
	return o.MinFileTime + time.Duration(line)
}

// baud is the line rate the receiver bounds files by.
func (o Options) baud() int { return o.withDefaults().Baud }

func (o Options) report(p Progress) {
	if o.Progress != nil {
		o.Progress(p)
	}
}

// Progress reports how far a transfer has come.
type Progress struct {
	File  string // cleaned name of the current file (see CleanName)
	Index int    // position of the file in the batch, from 0
	Bytes int64  // bytes of this file transferred so far
	Total int64  // announced size of this file, -1 if unknown
}

// Receiver takes in one batch of files from the peer, which it asks to
// start sending (the gateway pulls). Files are committed to sink one by
// one; on error, the files already committed are returned with the error
// and the file in progress is aborted, or suspended for a later resume
// when the transfer was cut off (see Resumer).
type Receiver interface {
	Receive(ctx context.Context, p Port, sink Sink) ([]File, error)
}

// Sender sends one batch of files once the peer asks for it. It serves the
// simulated machine and tests.
type Sender interface {
	Send(ctx context.Context, p Port, files []SendFile) error
}

// SendFile is one file to send.
type SendFile struct {
	Name    string                        // name announced to the receiver
	ModTime time.Time                     // zero if unknown
	Size    int64                         // exact size in bytes, -1 if unknown
	Open    func() (io.ReadCloser, error) // opens the contents
}

// BytesFile returns a SendFile whose contents are data.
func BytesFile(name string, mod time.Time, data []byte) SendFile {
	return SendFile{
		Name:    name,
		ModTime: mod,
		Size:    int64(len(data)),
		Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		},
	}
}

// protocols maps each protocol name to its constructors, and says whether the protocol escapes the XON and
// XOFF bytes in its data (only then can it run under XON/XOFF flow control, which takes those bytes out of the
// line).
var protocols = map[string]struct {
	receiver   func(Options) Receiver
	sender     func(Options) Sender
	escapesXON bool
}{
	"ymodem": {
		receiver: func(o Options) Receiver { return newYmodemReceiver(o) },
		sender:   func(o Options) Sender { return newYmodemSender(o) },
	},
	"xmodem":    {receiver: func(o Options) Receiver { return NewXmodemReceiver(o) }, sender: func(o Options) Sender { return newXmodemSender(o, false) }},
	"xmodem-1k": {receiver: func(o Options) Receiver { return NewXmodemReceiver(o) }, sender: func(o Options) Sender { return newXmodemSender(o, true) }},
	"zmodem": {receiver: func(o Options) Receiver { return NewZmodem(o, ZmodemOptions{}) }, sender: func(o Options) Sender { return NewZmodem(o, ZmodemOptions{}) },
		escapesXON: true},
}

// Flows lists the flow control settings SerialConfig.Flow takes, "none" first.
func Flows() []string { return []string{FlowNone, FlowRTSCTS, FlowXONXOFF} }

// ErrFlowProtocol is wrapped by CheckLink's error about a protocol that cannot run under the flow control.
var ErrFlowProtocol = errors.New("device: flow control and protocol do not go together")

// CheckLink checks a protocol name and a flow control setting, and that the two go together: XON/XOFF takes
// the bytes 0x11 and 0x13 out of the line, so it suits a protocol that escapes them in its data (ZMODEM), not
// one whose blocks carry them as they are. The error wraps ErrUnknownProtocol, ErrInvalidConfig (an unknown
// flow) or ErrFlowProtocol.
func CheckLink(protocol, flow string) error {
	p, ok := protocols[strings.ToLower(protocol)]
	if !ok {
		return unknownProtocol(protocol)
	}
	switch f := strings.ToLower(flow); f {
	case "", FlowNone, FlowRTSCTS:
	case FlowXONXOFF:
		if !p.escapesXON {
			return fmt.Errorf("%w: xonxoff would swallow the XON/XOFF bytes inside %s blocks; use rtscts or none", ErrFlowProtocol, protocol)
		}
	default:
		return invalidConfig("unknown flow control %q (want %s)", flow, strings.Join(Flows(), ", "))
	}
	return nil
}

// Protocols lists the protocol names NewReceiver and NewSender accept.
func Protocols() []string {
	names := make([]string, 0, len(protocols))
	for n := range protocols {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NewReceiver returns a Receiver for the named protocol ("ymodem").
func NewReceiver(protocol string, opts Options) (Receiver, error) {
	p, ok := protocols[strings.ToLower(protocol)]
	if !ok {
		return nil, unknownProtocol(protocol)
	}
	return p.receiver(opts.withDefaults()), nil
}

// NewSender returns a Sender for the named protocol ("ymodem").
func NewSender(protocol string, opts Options) (Sender, error) {
	p, ok := protocols[strings.ToLower(protocol)]
	if !ok {
		return nil, unknownProtocol(protocol)
	}
	return p.sender(opts.withDefaults()), nil
}

func unknownProtocol(name string) error {
	return fmt.Errorf("%w %q (known: %s)", ErrUnknownProtocol, name, strings.Join(Protocols(), ", "))
}
