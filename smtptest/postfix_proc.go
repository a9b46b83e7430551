package smtptest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// postfixPortLock is an abstract Unix socket (Linux; no file) that serialises, across test processes, the stretch from
// choosing free ports to the master listening on them. Postfix sets SO_REUSEPORT on its listeners, so two
// instances that chose the same port would both start and silently share it, each getting some of the other's
// connections. Once a master listens, the kernel no longer hands its ports out, so holding the lock until then
// is enough.
const postfixPortLock = "@scangate-smtptest-postfix-ports"

// lockPostfixPorts takes postfixPortLock, waiting up to postfixPortLockTimeout for other instances to start.
func lockPostfixPorts() (unlock func(), err error) {
	deadline := time.Now().Add(postfixPortLockTimeout)
	for {
		ln, err := net.Listen("unix", postfixPortLock)
		if err == nil {
			return func() { ln.Close() }, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waiting %v for other Postfix instances to start: %w", postfixPortLockTimeout, err)
		}
		time.Sleep(postfixPollInterval)
	}
}

// postfixFreePorts returns n distinct TCP ports on 127.0.0.1 that were free a moment ago.
func postfixFreePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// stop ends the master and its children: SIGTERM to the master named in the pid file (what `postfix stop` does,
// without its one-second polling), on which the master ends its process group; SIGKILL to the group if any of
// it is still there after postfixStopTimeout. stop returns once no process of the group is left, so that no
// child still holds a listening socket. The master is not our child and may linger as a zombie where nobody
// reaps orphans; a zombie counts as gone.
func (p *Postfix) stop() error {
	b, err := os.ReadFile(p.pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil // never started
	}
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return fmt.Errorf("pid file %s: %q", p.pidFile, b)
	}
	if st, ok := readPostfixProcStat(pid); !ok || !st.live() || !strings.HasPrefix(st.comm, "master") {
		return nil // already gone: the pid file stays behind
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if waitPostfixGroupGone(pid) {
		return nil
	}
	syscall.Kill(-pid, syscall.SIGKILL) // the master leads its process group
	if waitPostfixGroupGone(pid) {
		return fmt.Errorf("the Postfix master %d ignored SIGTERM for %v and was killed", pid, postfixStopTimeout)
	}
	return fmt.Errorf("the Postfix master %d or its children survive SIGKILL", pid)
}

// postfixProcStat is what stop needs of /proc/PID/stat.
type postfixProcStat struct {
	comm  string
	state string
	pgrp  int
}

func (st postfixProcStat) live() bool { return st.state != "Z" && st.state != "X" }

func readPostfixProcStat(pid int) (postfixProcStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return postfixProcStat{}, false
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses; the fields follow the last ')'.
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return postfixProcStat{}, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 3 {
		return postfixProcStat{}, false
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return postfixProcStat{}, false
	}
	return postfixProcStat{comm: s[open+1 : end], state: f[0], pgrp: pgrp}, true
}

// postfixGroupAlive reports whether any live (not zombie) process belongs to process group pgrp.
func postfixGroupAlive(pgrp int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readPostfixProcStat(pid); ok && st.pgrp == pgrp && st.live() {
			return true
		}
	}
	return false
}

// waitPostfixGroupGone waits up to postfixStopTimeout for process group pgrp to end.
func waitPostfixGroupGone(pgrp int) bool {
	deadline := time.Now().Add(postfixStopTimeout)
	for postfixGroupAlive(pgrp) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(postfixPollInterval)
	}
	return true
}
