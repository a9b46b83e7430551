package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/device/devicetest"
	"github.com/scangate/gateway/device/mfpsim"
	"github.com/scangate/gateway/internal/toolrun"
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// machineLine connects two pseudo-terminals through a relay: the machine's program runs on the first slave,
// the gateway opens the second by its path. line damages what the machine sends.
func machineLine(t *testing.T, line devicetest.Line) (machine, gateway *mfpsim.PTY) {
	t.Helper()
	for _, p := range []**mfpsim.PTY{&machine, &gateway} {
		var err error
		if *p, err = mfpsim.OpenPTY(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { (*p).Close() })
	}
	r := devicetest.Relay(machine.Port(), gateway.Port(), devicetest.RelayConfig{AtoB: line, Seed: 1})
	t.Cleanup(func() { r.Stop() })
	return machine, gateway
}

// pullLine is one line of the output of pull.
type pullLine struct {
	name string
	data []byte
}

func checkPulled(t *testing.T, r result, out string, want []pullLine, nameRE string) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("pull exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("pull printed %q, want %d lines", r.stdout, len(want))
	}
	for i, w := range want {
		f := strings.Split(lines[i], "\t")
		if len(f) != 3 || f[1] != fmt.Sprint(len(w.data)) || f[2] != fmt.Sprintf("%x", sha256.Sum256(w.data)) {
			t.Errorf("line %q, want %s, %d bytes, SHA-256 %x", lines[i], w.name, len(w.data), sha256.Sum256(w.data))
			continue
		}
		if (w.name != "" && f[0] != w.name) || (w.name == "" && !regexp.MustCompile(nameRE).MatchString(f[0])) {
			t.Errorf("file name %q, want %q%s", f[0], w.name, nameRE)
		}
		if got, err := os.ReadFile(filepath.Join(out, f[0])); err != nil || !bytes.Equal(got, w.data) {
			t.Errorf("%s on disk: %d bytes, %v", f[0], len(got), err)
		}
	}
}

func TestPullFromLrzsz(t *testing.T) {
	scan, notes := randomBytes(100*1024+17, 1), randomBytes(3000, 2)
	page := randomBytes(8*1024, 3) // a whole number of blocks: XMODEM adds no padding
	tests := []struct {
		protocol, sender string
		files            []pullLine
		nameRE           string // for files whose name the gateway chooses
	}{
		{"ymodem", "sb -k -q scan0001.tif notes.txt", []pullLine{{"scan0001.tif", scan}, {"notes.txt", notes}}, ""},
		{"zmodem", "sz -q scan0001.tif notes.txt", []pullLine{{"scan0001.tif", scan}, {"notes.txt", notes}}, ""},
		{"xmodem", "sx -k -q page.bin", []pullLine{{"", page}}, `^xmodem-\d{8}-\d{6}\.bin$`},
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			src := t.TempDir()
			for name, data := range map[string][]byte{"scan0001.tif": scan, "notes.txt": notes, "page.bin": page} {
				if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			machine, gw := machineLine(t, devicetest.Line{})
			wait := toolrun.StartLrzsz(t, machine.Path(), src, tt.sender)
			out := filepath.Join(t.TempDir(), "in")
			r := gateway(t, "pull", "--port", gw.Path(), "--protocol", tt.protocol, "--out", out, "--timeout", "10s")
			checkPulled(t, r, out, tt.files, tt.nameRE)
			if err := wait(); err != nil {
				t.Errorf("%s: %v", tt.sender, err)
			}
		})
	}
}

func TestPullFailures(t *testing.T) {
	t.Run("silent port", func(t *testing.T) {
		p, err := mfpsim.OpenPTY()
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		out := t.TempDir()
		r := gateway(t, "pull", "--port", p.Path(), "--out", out, "--timeout", "300ms")
		if r.code != exitTemp || r.stdout != "" {
			t.Errorf("exit %d, stdout %q; want %d and nothing", r.code, r.stdout, exitTemp)
		}
		oneLine(t, r, "The machine did not answer")
		checkEmpty(t, out)
	})
	t.Run("damaged line", func(t *testing.T) {
		addr := damagedServer(t)
		out := t.TempDir()
		r := gateway(t, "pull", "--tcp", addr, "--protocol", "ymodem", "--out", out, "--timeout", "1s")
		if r.code != exitFail {
			t.Errorf("exit %d, want %d", r.code, exitFail)
		}
		oneLine(t, r, "The transfer from the machine failed")
		checkEmpty(t, out)
	})
}

// damagedServer plays a machine behind a noisy line on the loopback interface: it announces a YMODEM file,
// then answers every request for data with a block whose CRC is wrong.
func damagedServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	block := func(seq byte, payload []byte, damage bool) []byte {
		var crc uint16
		for _, b := range payload {
			crc ^= uint16(b) << 8
			for range 8 {
				if crc&0x8000 != 0 {
					crc = crc<<1 ^ 0x1021
				} else {
					crc <<= 1
				}
			}
		}
		if damage {
			crc ^= 1
		}
		frame := append([]byte{0x01, seq, ^seq}, payload...)
		return append(frame, byte(crc>>8), byte(crc))
	}
	header := make([]byte, 128)
	copy(header, "scan.tif\x005000")
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(hangGuard))
		announced := false
		buf := make([]byte, 1)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			switch {
			case buf[0] == 'C' && !announced:
				c.Write(block(0, header, false))
				announced = true
			case buf[0] == 'C' || buf[0] == 0x15: // a request for data, or NAK
				c.Write(block(1, make([]byte, 128), true))
			}
		}
	}()
	return ln.Addr().String()
}

// checkEmpty verifies that a failed pull left nothing, not even a hidden partial file.
func checkEmpty(t *testing.T, dir string) {
	t.Helper()
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("%s holds %s after a failed pull", dir, entries[0].Name())
	}
}

// TestPullTCP pulls from a network serial server on the loopback interface that starts sending once it has
// read the trigger.
func TestPullTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := randomBytes(20000, 5)
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(hangGuard))
		got := make([]byte, len("SEND\r"))
		if _, err := c.Read(got); err != nil || string(got) != "SEND\r" {
			served <- fmt.Errorf("trigger %q, %v", got, err)
			return
		}
		send, _ := device.NewSender("ymodem", device.Options{})
		served <- send.Send(context.Background(), device.DeadlinePort(c), []device.SendFile{device.BytesFile("fax.tif", time.Time{}, data)})
	}()
	out := t.TempDir()
	r := gateway(t, "pull", "--tcp", ln.Addr().String(), "--protocol", "ymodem", "--trigger", `SEND\r`, "--out", out)
	checkPulled(t, r, out, []pullLine{{"fax.tif", data}}, "")
	if err := <-served; err != nil {
		t.Errorf("server: %v", err)
	}
}

func TestPullUsage(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "gateway.toml")
	os.WriteFile(conf, []byte("[device]\nprotocol = \"ymodem\"\nflow = \"xonxoff\"\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"--port", "/dev/null"}, "--out is required"},
		{"no link", []string{"--out", dir}, "give --port, --usb or --tcp"},
		{"two links", []string{"--port", "/dev/null", "--usb", "0403:6001", "--out", dir}, "one of --port, --usb and --tcp"},
		{"bad USB id", []string{"--usb", "FTDI", "--out", dir}, "device.usb"},
		{"bad TCP address", []string{"--tcp", "ser2net", "--out", dir}, "device.tcp"},
		{"baud with TCP", []string{"--tcp", "127.0.0.1:4001", "--baud", "9600", "--out", dir}, "with --tcp the server sets them"},
		{"XON/XOFF with YMODEM", []string{"--port", "/dev/null", "--protocol", "ymodem", "--flow", "xonxoff", "--out", dir}, "xonxoff would swallow"},
		{"XON/XOFF from the settings", []string{"-config", conf, "--out", dir}, "xonxoff would swallow"},
		{"unknown protocol", []string{"--port", "/dev/null", "--protocol", "kermit", "--out", dir}, "unknown protocol \"kermit\""},
		{"bad trigger", []string{"--port", "/dev/null", "--trigger", `\q`, "--out", dir}, "bad escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gateway(t, append([]string{"pull"}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}
	if r := gateway(t, "help", "pull"); !strings.Contains(r.stdout, "status 75") || !strings.Contains(r.stdout, "xmodem") {
		t.Errorf("help pull:\n%s", r.stdout)
	}
}

func TestDevices(t *testing.T) {
	r := gateway(t, "devices")
	if r.code != 0 || !(r.stdout == "no serial ports found\n" || strings.HasPrefix(r.stdout, "PORT\tVID:PID\tSERIAL\tPRODUCT\n")) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var b strings.Builder
	printPorts(&b, []device.PortInfo{
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyUSB0", USB: true, VID: "0403", PID: "6001", Serial: "A10KZP4Q", Product: "FT232R USB UART"},
		{Path: "/dev/ttyACM0", USB: true, VID: "2341", PID: "0043"},
	})
	want := "PORT\tVID:PID\tSERIAL\tPRODUCT\n" +
		"/dev/ttyS0\t-\t-\t-\n" +
		"/dev/ttyUSB0\t0403:6001\tA10KZP4Q\tFT232R USB UART\n" +
		"/dev/ttyACM0\t2341:0043\t-\t-\n"
	if b.String() != want {
		t.Errorf("printPorts:\n%s\nwant:\n%s", b.String(), want)
	}
}
