package mfpsim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/internal/toolrun"
)

// testLimit stops a test that hangs; it is never reached when things work.
const testLimit = 30 * time.Second

// protocols are the protocols the machine serves in these tests.
var protocols = []string{"ymodem", "zmodem"}

// pull opens the simulated machine's port as the gateway does and receives
// one batch.
func pull(t *testing.T, ctx context.Context, m *mfpsim.MFP, protocol string, opts device.Options) ([]device.File, error) {
	t.Helper()
	port, err := device.OpenSerial(device.SerialConfig{Path: m.PortPath(), Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	recv, err := device.NewReceiver(protocol, opts)
	if err != nil {
		t.Fatal(err)
	}
	return recv.Receive(ctx, port, device.DirSink(t.TempDir()))
}

func TestPulls(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) { testPulls(t, protocol) })
	}
}

func testPulls(t *testing.T, protocol string) {
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	sample := mfpsim.SamplePages()
	note := mfpsim.Document{Name: "note.txt", Data: []byte("second document\n")}
	m, err := mfpsim.Start(ctx, []mfpsim.Document{sample, note}, protocol)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	for i, want := range [][]string{{"scan0001.tif", "scan0002.txt"}, {"scan0003.tif", "scan0004.txt"}} {
		files, err := pull(t, ctx, m, protocol, device.Options{})
		if err != nil {
			t.Fatalf("pull %d: %v", i+1, err)
		}
		if len(files) != 2 || files[0].Name != want[0] || files[1].Name != want[1] {
			t.Fatalf("pull %d: got %+v, want %v", i+1, files, want)
		}
		if files[0].SHA256 != sha256.Sum256(sample.Data) || files[1].SHA256 != sha256.Sum256(note.Data) {
			t.Fatalf("pull %d: contents differ", i+1)
		}
	}
	// The machine counts a pull once its last reply has been read.
	for m.Pulls() != 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("machine counted %d pulls, want 2", m.Pulls())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestPullAfterCancel cancels a pull halfway; the next pull gets the same
// documents under the same names.
func TestPullAfterCancel(t *testing.T) {
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) { testPullAfterCancel(t, protocol) })
	}
}

func testPullAfterCancel(t *testing.T, protocol string) {
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	m, err := mfpsim.Start(ctx, []mfpsim.Document{mfpsim.SamplePages()}, protocol)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	pullCtx, stop := context.WithCancel(ctx)
	_, err = pull(t, pullCtx, m, protocol, device.Options{Progress: func(p device.Progress) {
		if p.Bytes > 8000 {
			stop()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pull: %v", err)
	}
	files, err := pull(t, ctx, m, protocol, device.Options{})
	if err != nil {
		t.Fatalf("pull after cancel: %v", err)
	}
	if len(files) != 1 || files[0].Name != "scan0001.tif" {
		t.Fatalf("got %+v", files)
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := mfpsim.Start(context.Background(), nil, "ymodem"); err == nil {
		t.Error("Start without documents succeeded")
	}
	_, err := mfpsim.Start(context.Background(), []mfpsim.Document{mfpsim.SamplePages()}, "kermit")
	if !errors.Is(err, device.ErrUnknownProtocol) {
		t.Errorf("Start with an unknown protocol: %v", err)
	}
}

func TestCloseStopsTheMachine(t *testing.T) {
	m, err := mfpsim.Start(context.Background(), []mfpsim.Document{mfpsim.SamplePages()}, "ymodem")
	if err != nil {
		t.Fatal(err)
	}
	path := m.PortPath()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("%s still exists after Close", path)
	}
}

// TestSamplePages checks the embedded scan with libtiff's tiffinfo: three
// Group 4 pages, 1728 dots wide, at 204x196 dpi.
func TestSamplePages(t *testing.T) {
	toolrun.Need(t, "tiffinfo")
	doc := mfpsim.SamplePages()
	if len(doc.Data) > 100_000 {
		t.Errorf("sample is %d bytes; keep it small", len(doc.Data))
	}
	path := t.TempDir() + "/" + doc.Name
	if err := os.WriteFile(path, doc.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tiffinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tiffinfo: %v\n%s", err, out)
	}
	info := string(out)
	for want, n := range map[string]int{
		"Image Width: 1728":                        3,
		"Resolution: 204, 196 pixels/inch":         3,
		"Compression Scheme: CCITT Group 4":        3,
		"Photometric Interpretation: min-is-white": 3,
	} {
		if got := strings.Count(info, want); got != n {
			t.Errorf("%q appears %d times, want %d\n%s", want, got, n, info)
		}
	}
	for _, page := range []string{"Page Number: 0-3", "Page Number: 1-3", "Page Number: 2-3"} {
		if !strings.Contains(info, page) {
			t.Errorf("missing %q", page)
		}
	}
	if other := mfpsim.SamplePages(); &other.Data[0] == &doc.Data[0] || !bytes.Equal(other.Data, doc.Data) {
		t.Error("SamplePages must return a fresh copy of the same bytes")
	}
}
