package relay

// The relay against real SMTP clients: swaks, curl and msmtp (toolrun decides what a missing one means).

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scangate/gateway/internal/toolrun"
)

// tool runs an outside client, bounded, and returns its output and exit code (a client refused by the relay
// exits non-zero, which the test expects).
func tool(t testing.TB, stdin []byte, name string, args ...string) (out string, code int) {
	t.Helper()
	path := toolrun.Path(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), toolrun.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return b.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v\n%s", name, err, b.String())
	}
	return b.String(), 0
}

func hostPort(t testing.TB, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// mailWithDate is message with a Date: field, so that no client adds one.
func mailWithDate(subject string, lines int) []byte {
	return append([]byte("Date: Sun, 06 Dec 2026 00:30:00 +0000\r\n"), message(subject, lines)...)
}

func TestRelaySwaksStartTLSAuthLogin(t *testing.T) {
	r := startTest(t, false)
	msg := mailWithDate("swaks login", 5)
	out, code := tool(t, nil, "swaks", "--server", r.addr, "--tls", "--auth", "LOGIN", "--auth-user", testUser,
		"--auth-password", testPassword, "--from", "mfp@office.example", "--to", "sales@example.com", "--data", "@"+writeFile(t, msg))
	if code != 0 {
		t.Fatalf("swaks: exit %d\n%s", code, out)
	}
	for _, want := range []string{"<-  220 2.0.0 Ready to start TLS", "<~  334 VXNlcm5hbWU6", "<~  334 UGFzc3dvcmQ6", "<~  235 2.0.0", "<~  250 2.0.0 OK: queued"} {
		if !strings.Contains(out, want) {
			t.Errorf("swaks transcript lacks %q:\n%s", want, out)
		}
	}
	jobs := r.core.Jobs()
	if len(jobs) != 1 || jobs[0].env.User != testUser || !bytes.Contains(jobs[0].data, []byte("Subject: swaks login")) {
		t.Fatalf("jobs %+v", jobs)
	}
}

func TestRelaySwaksRefusals(t *testing.T) {
	r := startWith(t, &fakeCore{max: 1 << 20}, false)
	base := []string{"--server", r.addr, "--from", "mfp@office.example", "--to", "sales@example.com"}
	// AUTH in cleartext from an address outside allow: not offered, refused if tried.
	out, code := tool(t, nil, "swaks", append(base, "--auth", "PLAIN", "--auth-user", testUser, "--auth-password", testPassword)...)
	if code == 0 || !strings.Contains(out, "Host did not advertise authentication") {
		t.Errorf("cleartext AUTH: exit %d\n%s", code, out)
	}
	// A wrong password.
	out, code = tool(t, nil, "swaks", append(base, "--tls", "--auth", "PLAIN", "--auth-user", testUser, "--auth-password", "wrong")...)
	if code == 0 || !strings.Contains(out, "535 5.7.8") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
	// 3 MB with a limit of 1 MB.
	big := mailWithDate("big", 3<<20/40)
	out, code = tool(t, nil, "swaks", append(base, "--tls", "--auth", "LOGIN", "--auth-user", testUser, "--auth-password", testPassword,
		"--data", "@"+writeFile(t, big))...)
	if code == 0 || !strings.Contains(out, "552 5.3.4") {
		t.Errorf("3 MB: exit %d\n%.3000s", code, out)
	}
	if n := len(r.core.Jobs()); n != 0 {
		t.Errorf("%d jobs", n)
	}
}

func TestRelayCurlAuthPlain(t *testing.T) {
	r := startTest(t, false)
	msg := mailWithDate("curl plain", 20)
	file := writeFile(t, msg)
	args := []string{"-sS", "--url", "smtp://" + r.addr, "--ssl-reqd", "--insecure", "--login-options", "AUTH=PLAIN",
		"--mail-from", "mfp@office.example", "--mail-rcpt", "a@example.com", "--mail-rcpt", "b@example.com", "--upload-file", file}
	if out, code := tool(t, nil, "curl", append(args, "--user", testUser+":"+testPassword)...); code != 0 {
		t.Fatalf("curl: exit %d\n%s", code, out)
	}
	jobs := r.core.Jobs()
	if len(jobs) != 1 || !bytes.Equal(jobs[0].data, msg) || len(jobs[0].env.To) != 2 {
		t.Fatalf("jobs %+v", jobs)
	}
	// A wrong password: curl's "login denied" (67).
	if out, code := tool(t, nil, "curl", append(args, "--user", testUser+":nope")...); code != 67 {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
	// Without TLS curl may not log in from here (allow is empty): AUTH is not offered.
	plain := []string{"-sS", "--url", "smtp://" + r.addr, "--user", testUser + ":" + testPassword,
		"--mail-from", "mfp@office.example", "--mail-rcpt", "a@example.com", "--upload-file", file}
	if out, code := tool(t, nil, "curl", plain...); code == 0 {
		t.Errorf("cleartext: curl succeeded\n%s", out)
	}
	if n := len(r.core.Jobs()); n != 1 {
		t.Errorf("%d jobs", n)
	}
}

func TestRelayMsmtp(t *testing.T) {
	msg := mailWithDate("msmtp", 10)
	pwfile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwfile, []byte(testPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("allowed without AUTH", func(t *testing.T) {
		r := startTest(t, true)
		host, port := hostPort(t, r.addr)
		out, code := tool(t, msg, "msmtp", "--host="+host, "--port="+port, "--tls=off", "--auth=off",
			"--from=mfp@office.example", "--", "sales@example.com")
		if code != 0 {
			t.Fatalf("msmtp: exit %d\n%s", code, out)
		}
		if j := r.core.Jobs(); len(j) != 1 || !bytes.Equal(j[0].data, msg) || j[0].env.User != "" {
			t.Fatalf("jobs %+v", j)
		}
	})
	t.Run("STARTTLS and AUTH LOGIN", func(t *testing.T) {
		r := startTest(t, false)
		host, port := hostPort(t, r.addr)
		out, code := tool(t, msg, "msmtp", "--host="+host, "--port="+port, "--tls=on", "--tls-starttls=on", "--tls-certcheck=off",
			"--auth=login", "--user="+testUser, "--passwordeval=cat "+pwfile, "--from=mfp@office.example", "--", "sales@example.com")
		if code != 0 {
			t.Fatalf("msmtp: exit %d\n%s", code, out)
		}
		if j := r.core.Jobs(); len(j) != 1 || !bytes.Equal(j[0].data, msg) || j[0].env.User != testUser {
			t.Fatalf("jobs %+v", j)
		}
	})
	t.Run("fingerprint pinned", func(t *testing.T) {
		r := startTest(t, false)
		host, port := hostPort(t, r.addr)
		out, code := tool(t, msg, "msmtp", "--host="+host, "--port="+port, "--tls=on", "--tls-starttls=on",
			"--tls-fingerprint="+r.Fingerprint(), "--auth=plain", "--user="+testUser, "--passwordeval=cat "+pwfile,
			"--from=mfp@office.example", "--", "sales@example.com")
		if code != 0 {
			t.Fatalf("msmtp with the fingerprint %s: exit %d\n%s", r.Fingerprint(), code, out)
		}
	})
}
