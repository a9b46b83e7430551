package devicetest_test

import (
	"bytes"
	"math/bits"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/device/devicetest"
)

// jumpClock is a virtual clock: Sleep moves it on at once.
type jumpClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *jumpClock) Sleep(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// relayOnce sends data from one side of a relay, and returns what came out
// on the other side once the relay has passed or dropped every byte, and
// the relay's statistics.
func relayOnce(t *testing.T, cfg devicetest.RelayConfig, data []byte) ([]byte, devicetest.RelayStats) {
	t.Helper()
	x, a := devicetest.Pipe()
	b, y := devicetest.Pipe()
	defer x.Close()
	defer y.Close()
	r := devicetest.Relay(a, b, cfg)
	defer r.Stop()
	if _, err := x.Write(data); err != nil {
		t.Fatal(err)
	}
	y.SetReadTimeout(10 * time.Millisecond)
	var got []byte
	buf := make([]byte, 4096)
	deadline := time.Now().Add(testLimit)
	for {
		st := r.Stats().AtoB
		n, _ := y.Read(buf)
		got = append(got, buf[:n]...)
		if st.Bytes == int64(len(data)) && int64(len(got)) == st.Bytes-st.Dropped {
			return got, r.Stop()
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay stuck after %d bytes: %+v", len(got), st)
		}
	}
}

// testLimit stops a test that hangs; it is never reached when things work.
const testLimit = 30 * time.Second

func TestRelayPacing(t *testing.T) {
	clock := &jumpClock{t: time.Unix(0, 0)}
	data := bytes.Repeat([]byte("0123456789"), 1152) // 11520 bytes
	got, st := relayOnce(t, devicetest.RelayConfig{AtoB: devicetest.Line{ByteRate: 11520}, Clock: clock}, data)
	if !bytes.Equal(got, data) {
		t.Fatalf("paced bytes changed: %d bytes", len(got))
	}
	// One second on the line, delivered 16 bytes at a time.
	if took := st.AtoB.Last.Sub(time.Unix(0, 0)); took < time.Second-time.Millisecond || took > time.Second {
		t.Errorf("11520 bytes at 11520 bytes/s took %v of virtual time", took)
	}
	if st.AtoB.Bytes != int64(len(data)) || st.BtoA.Bytes != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRelayFaults(t *testing.T) {
	data := bytes.Repeat([]byte{0x55}, 20000)
	t.Run("every byte flipped once", func(t *testing.T) {
		got, st := relayOnce(t, devicetest.RelayConfig{AtoB: devicetest.Line{FlipRate: 1}}, data)
		for i := range got {
			if bits.OnesCount8(got[i]^data[i]) != 1 {
				t.Fatalf("byte %d: %#02x, want one bit away from %#02x", i, got[i], data[i])
			}
		}
		if st.AtoB.Flipped != int64(len(data)) {
			t.Errorf("stats %+v", st.AtoB)
		}
	})
	t.Run("repeatable", func(t *testing.T) {
		cfg := devicetest.RelayConfig{AtoB: devicetest.Line{FlipRate: 1e-3, DropRate: 1e-3}, Seed: 7}
		got1, st1 := relayOnce(t, cfg, data)
		got2, st2 := relayOnce(t, cfg, data)
		if !bytes.Equal(got1, got2) || st1.AtoB.Flipped != st2.AtoB.Flipped || st1.AtoB.Flipped == 0 || st1.AtoB.Dropped == 0 {
			t.Errorf("same seed, different faults: %+v, %+v", st1.AtoB, st2.AtoB)
		}
		if len(got1) != len(data)-int(st1.AtoB.Dropped) {
			t.Errorf("%d bytes arrived, %d dropped of %d", len(got1), st1.AtoB.Dropped, len(data))
		}
	})
	t.Run("stalls", func(t *testing.T) {
		clock := &jumpClock{t: time.Unix(0, 0)}
		cfg := devicetest.RelayConfig{AtoB: devicetest.Line{StallRate: 1e-3, Stall: time.Second}, Clock: clock}
		got, st := relayOnce(t, cfg, data)
		if !bytes.Equal(got, data) || st.AtoB.Stalls == 0 {
			t.Fatalf("stats %+v", st.AtoB)
		}
		if waited := clock.Now().Sub(time.Unix(0, 0)); waited != time.Duration(st.AtoB.Stalls)*time.Second {
			t.Errorf("%d stalls of 1s took %v", st.AtoB.Stalls, waited)
		}
	})
}
