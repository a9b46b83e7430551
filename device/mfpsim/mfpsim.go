package mfpsim

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/gateway/device"
)

// Document is one scanned document the simulated machine holds.
type Document struct {
	Name string // its extension is kept in the names the machine sends
	Data []byte
}

//go:embed sample/pages.tif
var samplePages string

// SamplePages returns the embedded sample scan: a three-page CCITT Group 4
// TIFF at 204x196 dpi, 1728 dots wide (see sample/make-sample.sh). Each
// call returns a fresh copy of the bytes.
func SamplePages() Document {
	return Document{Name: "pages.tif", Data: []byte(samplePages)}
}

// pullWait is how long the simulated machine waits for a pull before it
// starts listening afresh; it is also the idle timeout of a transfer.
const pullWait = device.DefaultTimeout

// MFP is a simulated fax/MFP on a pseudo-terminal. Each pull from the
// gateway receives all its documents as one batch, named scan0001.tif,
// scan0002.tif and so on across pulls.
type MFP struct {
	pty    *PTY
	sender device.Sender
	docs   []Document
	cancel context.CancelFunc
	done   chan struct{}
	pulls  atomic.Int64
	once   sync.Once
	err    error
}

// Start opens a pseudo-terminal and serves docs on it with the named
// protocol until ctx is done or Close is called; Close releases the
// pseudo-terminal in either case.
func Start(ctx context.Context, docs []Document, protocol string) (*MFP, error) {
	if len(docs) == 0 {
		return nil, errors.New("mfpsim: no documents to serve")
	}
	sender, err := newSender(protocol)
	if err != nil {
		return nil, fmt.Errorf("mfpsim: %w", err)
	}
	p, err := OpenPTY()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &MFP{pty: p, sender: sender, docs: docs, cancel: cancel, done: make(chan struct{})}
	go m.serve(ctx)
	return m, nil
}

// newSender returns the machine's sender of the named protocol. A ZMODEM
// machine waits for the gateway's ZRINIT, the pull, without announcing
// itself, so that nothing piles up on the line while nobody pulls.
func newSender(protocol string) (device.Sender, error) {
	opts := device.Options{Timeout: pullWait}
	if strings.EqualFold(protocol, "zmodem") {
		return device.NewZmodem(opts, device.ZmodemOptions{WaitForPull: true}), nil
	}
	return device.NewSender(protocol, opts)
}

// PortPath returns the path of the pseudo-terminal slave, which the gateway
// opens with device.OpenSerial.
func (m *MFP) PortPath() string { return m.pty.Path() }

// Pulls returns how many pulls the machine has served completely.
func (m *MFP) Pulls() int { return int(m.pulls.Load()) }

// Close stops the machine and closes the pseudo-terminal.
func (m *MFP) Close() error {
	m.once.Do(func() {
		m.cancel()
		<-m.done
		m.err = m.pty.Close()
	})
	return m.err
}

func (m *MFP) serve(ctx context.Context) {
	defer close(m.done)
	port := m.pty.Port()
	next := 1 // number of the next document name
	for ctx.Err() == nil {
		files := make([]device.SendFile, len(m.docs))
		now := time.Now()
		for i, d := range m.docs {
			name := fmt.Sprintf("scan%04d%s", next+i, filepath.Ext(d.Name))
			files[i] = device.BytesFile(name, now, d.Data)
		}
		// On an error nobody pulled, or the pull failed: listen again. The
		// sender skips leftovers of a failed pull until the next request.
		if err := m.sender.Send(ctx, port, files); err == nil {
			next += len(files)
			m.pulls.Add(1)
		}
	}
}
