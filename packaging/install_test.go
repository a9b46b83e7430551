package packaging

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// InstallEnv names the variable that lets the install test change this machine outside SCANGATE_INTEGRATION=1.
const InstallEnv = "SCANGATE_INSTALL_TEST"

const (
	confPath  = "/etc/scangate/gateway.toml"
	spoolDir  = "/var/spool/scangate"
	stateDir  = "/var/lib/scangate"
	unitPath  = "/lib/systemd/system/" + Unit
	readyWait = 20 * time.Second // for READY=1 from gateway run
	stopWait  = 10 * time.Second // for run to exit after SIGTERM
)

// TestInstall installs the amd64 package on this machine with dpkg and goes through its life: the service's
// user and directories, the version, the service started as systemd would start it (as its user, with
// NOTIFY_SOCKET) until it says READY=1, a reinstall that keeps an edited conffile, a remove that keeps the
// settings and the spool, and a purge that deletes them. It changes the machine, so it runs as root only, and
// only under SCANGATE_INTEGRATION=1 or SCANGATE_INSTALL_TEST=1; it always purges the package at the end.
func TestInstall(t *testing.T) {
	if !toolrun.Integration() && os.Getenv(InstallEnv) != "1" {
		t.Skipf("installs a package on this machine: set %s=1 (or %s=1) to run it", InstallEnv, toolrun.IntegrationEnv)
	}
	version, pkgs := packages(t)
	toolrun.NeedRoot(t, "dpkg -i installs the package")
	dpkg := need(t, "dpkg", "dpkg")
	need(t, "adduser", "adduser")
	setpriv := need(t, "util-linux", "setpriv")
	if out, err := exec.Command("dpkg-query", "-W", "-f", "${Status}", Name).Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Skipf("%s is installed on this machine (%s): the test would remove it; dpkg -P %s first to run it", Name, out, Name)
	}
	_, userErr := user.Lookup("scangate")
	userBefore := userErr == nil
	deb := pkgs["amd64"]

	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), toolrun.Timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdin = nil // dpkg must ask nothing
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(dpkg, "-P", Name).CombinedOutput(); err != nil {
			t.Errorf("cleanup: dpkg -P %s: %v\n%s", Name, err, out)
		}
		if !userBefore { // the package keeps its user; the test leaves the machine as it found it
			exec.Command("userdel", "scangate").Run()
			exec.Command("groupdel", "scangate").Run()
		}
	})

	run(dpkg, "-i", deb)
	u, err := user.Lookup("scangate")
	if err != nil {
		t.Fatalf("no user scangate after dpkg -i: %v", err)
	}
	if u.HomeDir != stateDir {
		t.Errorf("scangate's home is %s, want %s", u.HomeDir, stateDir)
	}
	if groups := run("id", "-nG", "scangate"); !strings.Contains(" "+groups, " dialout") {
		t.Errorf("scangate is in %s, not in dialout", strings.TrimSpace(groups))
	}
	checkOwner(t, spoolDir, "scangate", "scangate", 0o700, true)
	checkOwner(t, stateDir, "scangate", "scangate", 0o700, true)
	checkOwner(t, "/etc/scangate", "root", "scangate", 0o770, true)
	checkOwner(t, confPath, "root", "scangate", 0o640, false)
	if out := run("/usr/bin/gateway", "version"); !strings.HasPrefix(out, "scangate gateway "+version+" ") {
		t.Errorf("gateway version: %q, want version %s", out, version)
	}
	// The service's user reads the settings, which name no account yet.
	check := exec.Command(setpriv, "--reuid=scangate", "--regid=scangate", "--init-groups", "--", "/usr/bin/gateway", "check")
	if out, err := check.CombinedOutput(); err == nil || !strings.Contains(string(out), "account.server: missing") {
		t.Errorf("gateway check as scangate: %v\n%s", err, out)
	}

	t.Run("ready", func(t *testing.T) { startAsService(t, setpriv) })

	// An edited conffile survives a reinstall, and keeps its owner and mode.
	conf, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := append(conf, []byte("\n# edited by TestInstall\n")...)
	if err := os.WriteFile(confPath, edited, 0o640); err != nil {
		t.Fatal(err)
	}
	run(dpkg, "-i", deb)
	if b, _ := os.ReadFile(confPath); !bytes.Equal(b, edited) {
		t.Errorf("a reinstall lost the edit of %s", confPath)
	}
	checkOwner(t, confPath, "root", "scangate", 0o640, false)

	// remove keeps the settings, the spool and the state; the binary goes.
	marker := filepath.Join(spoolDir, "test-marker")
	if err := os.WriteFile(marker, []byte("queued scan\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(dpkg, "-r", Name)
	for _, p := range []string{confPath, marker, stateDir} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("dpkg -r removed %s: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(confPath); !bytes.Equal(b, edited) {
		t.Errorf("dpkg -r changed %s", confPath)
	}
	for _, p := range []string{"/usr/bin/gateway", unitPath} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dpkg -r left %s: %v", p, err)
		}
	}

	// Installed again, then purged: the settings, the spool and the state go; the user stays.
	run(dpkg, "-i", deb)
	if b, _ := os.ReadFile(confPath); !bytes.Equal(b, edited) {
		t.Errorf("installing after a remove lost the edit of %s", confPath)
	}
	run(dpkg, "-P", Name)
	for _, p := range []string{"/etc/scangate", spoolDir, stateDir, "/usr/bin/gateway", unitPath,
		"/etc/systemd/system/multi-user.target.wants/" + Unit} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dpkg -P left %s: %v", p, err)
		}
	}
	if _, err := user.Lookup("scangate"); err != nil {
		t.Errorf("dpkg -P removed the system user: %v", err)
	}
}

// checkOwner checks a path's owner, group and permissions.
func checkOwner(t *testing.T, path, owner, group string, mode os.FileMode, dir bool) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	sys := st.Sys().(*syscall.Stat_t)
	u, _ := user.LookupId(strconv.Itoa(int(sys.Uid)))
	g, _ := user.LookupGroupId(strconv.Itoa(int(sys.Gid)))
	gotOwner, gotGroup := strconv.Itoa(int(sys.Uid)), strconv.Itoa(int(sys.Gid))
	if u != nil {
		gotOwner = u.Username
	}
	if g != nil {
		gotGroup = g.Name
	}
	if gotOwner != owner || gotGroup != group || st.Mode().Perm() != mode || st.IsDir() != dir {
		t.Errorf("%s is %s:%s %v, want %s:%s %v", path, gotOwner, gotGroup, st.Mode(), owner, group, mode)
	}
}

// startAsService starts the installed unit's ExecStart as systemd would where systemd is not the init (this
// container): as the unit's User and Group with the user's groups, UMask 0077, and NOTIFY_SOCKET on a datagram
// socket this test reads. gateway run must say READY=1, then end on SIGTERM with status 0.
func startAsService(t *testing.T, setpriv string) {
	unit, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	key := func(k string) string {
		for _, line := range strings.Split(string(unit), "\n") {
			if v, ok := strings.CutPrefix(line, k+"="); ok {
				return strings.TrimSpace(v)
			}
		}
		t.Fatalf("the unit has no %s=", k)
		return ""
	}
	execStart := strings.Fields(key("ExecStart"))
	usr, grp := key("User"), key("Group")
	u, err := user.Lookup(usr)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	// The socket, in a directory that only the service's user may enter.
	dir, err := os.MkdirTemp("", "notify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range []string{dir, sock} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}

	args := append([]string{"--reuid=" + usr, "--regid=" + grp, "--init-groups", "--", "/bin/sh", "-c", `umask 0077 && exec "$@"`, "sh"}, execStart...)
	cmd := exec.Command(setpriv, args...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=" + u.HomeDir, "NOTIFY_SOCKET=" + sock}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
		t.Logf("%s:\n%s", strings.Join(execStart, " "), stderr.String())
	}()

	var got []string
	ready := false
	deadline := time.Now().Add(readyWait)
	buf := make([]byte, 4096)
	for !ready && time.Now().Before(deadline) {
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, _, err := conn.ReadFrom(buf)
		if err == nil {
			msg := string(buf[:n])
			got = append(got, strings.ReplaceAll(msg, "\n", " "))
			for _, line := range strings.Split(msg, "\n") {
				ready = ready || line == "READY=1"
			}
			continue
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s exited before READY=1: %v; notifications %q", strings.Join(execStart, " "), err, got)
		default:
		}
	}
	if !ready {
		t.Fatalf("no READY=1 on NOTIFY_SOCKET within %v; notifications %q", readyWait, got)
	}
	t.Logf("notifications: %q", got)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("gateway run after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(stopWait):
		t.Errorf("gateway run did not exit within %v of SIGTERM", stopWait)
	}
}
