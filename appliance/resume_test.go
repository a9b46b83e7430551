package appliance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/mfpsim"
)

// cutConn is the machine's end of a network serial link that is unplugged after limit bytes (never, if
// limit is 0). It counts what the machine wrote.
type cutConn struct {
	net.Conn
	limit, written int
}

func (c *cutConn) Write(p []byte) (int, error) {
	if c.limit > 0 && c.written+len(p) > c.limit {
		n, _ := c.Conn.Write(p[:c.limit-c.written])
		c.written += n
		c.Conn.Close()
		return n, errors.New("unplugged")
	}
	n, err := c.Conn.Write(p)
	c.written += n
	return n, err
}

// A pull cut short mid-file (the cable pulled) is kept; pressing Send again resumes the file where it
// stopped rather than from its first byte, and the job holds the scan whole, once.
func TestCutPullResumes(t *testing.T) {
	data := mfpsim.SamplePages().Data // 3 fax pages, 37 KB
	mod := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The machine sends the same file on each connection, as one that keeps a scan until it is taken.
	written := make(chan int, 2)
	machineSends := func(limit int) {
		c, err := ln.Accept()
		if err != nil {
			written <- -1
			return
		}
		cc := &cutConn{Conn: c, limit: limit}
		port := device.DeadlinePort(cc)
		device.NewZmodem(device.Options{Timeout: 5 * time.Second}, device.ZmodemOptions{}).
			Send(context.Background(), port, []device.SendFile{device.BytesFile("scan0001.tif", mod, data)})
		port.Close()
		written <- cc.written
	}
	r := newRig(t, "", "right")
	r.Cfg.Device.Port, r.Cfg.Device.TCP = "", ln.Addr().String()
	g := r.gateway(t)
	dest := config.Destination{Name: "Sales", Address: "sales@example.com"}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()

	go machineSends(len(data) / 2)
	job, err := g.Scan(ctx, dest, func(Progress) {})
	if err == nil {
		t.Fatalf("a pull cut in the middle queued job %+v", job)
	}
	if _, long := Explain(err); !strings.Contains(long, "press Send again") {
		t.Errorf("the panel's words for the cut: %q", long)
	}
	first := <-written
	kept, _ := filepath.Glob(filepath.Join(r.Cfg.Spool.Dir, "kept", ".partial-*"))
	if len(kept) != 1 {
		t.Fatalf("kept %v after the cut, want one partial file", kept)
	}
	partial, _ := os.Stat(kept[0])

	go machineSends(0)
	job, err = g.Scan(ctx, dest, func(Progress) {})
	if err != nil {
		t.Fatalf("the second pull: %v", err)
	}
	second := <-written
	t.Logf("the cut pull carried %d bytes and kept %d; the resumed one carried %d (the file is %d)",
		first, partial.Size(), second, len(data))
	if len(job.Files) != 1 || job.Pages != 3 {
		t.Fatalf("job files %v, want the one scan", job.Files)
	}
	got, err := os.ReadFile(filepath.Join(g.spool.JobDir(job.ID), job.Files[0]))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the job's scan: %d bytes (%v), want the %d sent", len(got), err, len(data))
	}
	if partial.Size() == 0 || second >= len(data) {
		t.Errorf("not resumed: kept %d bytes, then %d bytes went over the line for a %d-byte file", partial.Size(), second, len(data))
	}
	if _, err := os.Stat(filepath.Join(r.Cfg.Spool.Dir, "kept")); !os.IsNotExist(err) {
		t.Errorf("the kept pull is still set aside: %v", err)
	}
}

// A machine that sends its whole batch again after a cut: the files finished before the cut are not taken
// twice, new ones are added after them.
func TestWithoutRepeats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) device.File {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return device.File{Name: name, Path: p, Size: int64(len(body)), SHA256: sha256.Sum256([]byte(body))}
	}
	write("scan0001.tif", "page one")
	again := write("scan0001-1.tif", "page one")
	other := write("scan0002.tif", "page two")
	names, err := withoutRepeats(dir, []string{"scan0001.tif"}, []device.File{again, other})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"scan0001.tif", "scan0002.tif"}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	if _, err := os.Stat(again.Path); !os.IsNotExist(err) {
		t.Errorf("the repeat is still there: %v", err)
	}
}
