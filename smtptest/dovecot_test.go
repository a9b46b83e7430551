package smtptest

import (
	"net"
	"strings"
	"testing"
)

func TestDovecotStopsWithTheTest(t *testing.T) {
	t.Parallel()
	var d *Dovecot
	var pid int
	t.Run("running", func(t *testing.T) {
		d = StartDovecot(t, DovecotConfig{Users: map[string]string{"a@example.com": "pw"}, Relay: "127.0.0.1:9"})
		pid = d.cmd.Process.Pid
		_, msg, err := dialPostfixText(t, d.StartTLSAddr).ReadResponse(220)
		if err != nil || !strings.Contains(msg, "Dovecot") {
			t.Errorf("greeting %q, %v", msg, err)
		}
	})
	if d == nil { // a failed subtest has failed this test too
		t.Skip("the instance did not start")
	}
	if pid == 0 || postfixGroupAlive(pid) {
		t.Errorf("master %d or its children still running after the test ended", pid)
	}
	for _, addr := range []string{d.StartTLSAddr, d.TLSAddr} {
		if c, err := net.DialTimeout("tcp", addr, postfixTestTimeout); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", addr)
		}
	}
}
