package main

// How run lives as a systemd service (Type=notify, WatchdogSec, ExecReload=kill -HUP): it tells the service
// manager when it is ready, reloading and stopping, with a status line in plain words; it feeds systemd's
// watchdog beside the board's, both only while the gateway is healthy; and SIGHUP reads the settings file
// again. Without NOTIFY_SOCKET every notification is a no-op.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/appliance/frontpanel"
	"github.com/scangate/gateway/board/watchdog"
	"github.com/scangate/gateway/config"
)

// serviceName is the systemd unit the packages install; the status and the log name it in what to do.
const serviceName = "scangate"

// managed reports whether run runs under a service manager that wants to hear from it (NOTIFY_SOCKET set):
// systemd with Type=notify.
func managed() bool { return os.Getenv("NOTIFY_SOCKET") != "" }

// manager tells the service manager how run is doing (sd_notify). Its methods keep the order systemd expects:
// nothing claims readiness before the first READY=1, and nothing but watchdog pings follows STOPPING=1.
type manager struct {
	// send delivers one notification, lines separated by newlines: daemon.SdNotify, or a fake in tests.
	send func(state string) (bool, error)
	log  *slog.Logger

	mu      sync.Mutex
	started bool   // READY=1 was sent
	stopped bool   // STOPPING=1 was sent
	inLoad  bool   // between reloading and reloaded: the status is the reload's to tell
	status  string // the status line last sent
	warned  atomic.Bool
}

func newManager(log *slog.Logger) *manager {
	return &manager{send: func(state string) (bool, error) { return daemon.SdNotify(false, state) }, log: log}
}

// notify sends lines as one notification. A failure is logged once: the service manager would rather see
// the gateway work than stop it for a notification that did not go out.
func (m *manager) notify(lines ...string) error {
	_, err := m.send(strings.Join(lines, "\n"))
	if err != nil && !m.warned.Swap(true) {
		m.log.Warn("cannot notify the service manager (NOTIFY_SOCKET)", "err", err)
	}
	return err
}

// ready tells that the gateway is at work (the delivery loop runs, and the panel's key loop on a board with
// one), with status for systemctl status.
func (m *manager) ready(status string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	m.started, m.status = true, status
	m.notify("READY=1", "STATUS="+status)
}

// reloading tells that the settings are being read again. It says nothing before the gateway was ready
// (reloaded then says nothing either: the READY=1 of the start comes with the settings in force then).
func (m *manager) reloading() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inLoad = true
	if !m.started || m.stopped {
		return
	}
	m.notify("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatInt(monotonicUsec(), 10), "STATUS=Reloading the settings")
}

// reloaded ends a reload that reloading announced, with the status it leaves.
func (m *manager) reloaded(status string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inLoad = false
	if !m.started || m.stopped {
		return
	}
	m.status = status
	m.notify("READY=1", "STATUS="+status)
}

// follow keeps the status line true between the notifications above (a save on the panel ends the setup, say):
// every period it sends status() when it differs from the line last sent, until ctx ends.
func (m *manager) follow(ctx context.Context, status func() string, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s := status()
		m.mu.Lock()
		if m.started && !m.stopped && !m.inLoad && s != m.status {
			m.status = s
			m.notify("STATUS=" + s)
		}
		m.mu.Unlock()
	}
}

// stopping tells that the gateway is stopping (SIGTERM, SIGINT).
func (m *manager) stopping() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = true
	m.notify("STOPPING=1", "STATUS=Stopping")
}

// waiting shows status while the start takes long (the clock wait) and asks for more time than the start
// timeout (EXTEND_TIMEOUT_USEC) every period until the returned stop is called.
func (m *manager) waiting(status string, period time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	extend := "EXTEND_TIMEOUT_USEC=" + strconv.FormatInt((3*period).Microseconds(), 10)
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			m.mu.Lock()
			if !m.stopped {
				m.notify(extend, "STATUS="+status)
			}
			m.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// watchdogFeed returns systemd's watchdog as a feed when the service has one (WATCHDOG_USEC, for this process
// when WATCHDOG_PID is set): pinged every half of its interval, as sd_watchdog_enabled(3) advises.
func (m *manager) watchdogFeed() (feed, bool) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		m.log.Warn("systemd's watchdog is not fed: WATCHDOG_USEC cannot be read", "err", err)
		return feed{}, false
	}
	if interval <= 0 {
		return feed{}, false
	}
	return feed{name: "systemd", every: interval / 2, kick: func() error { return m.notify("WATCHDOG=1") }}, true
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, which a reload notification carries (systemd 253 and
// later match it with the reload they asked for; older ones ignore it).
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1e3
}

// ---- watchdogs

// feed is one watchdog that run keeps from biting while the gateway is healthy: the board's hardware watchdog
// (which resets the board) or systemd's (which restarts the service).
type feed struct {
	name  string
	every time.Duration // how often it must be fed at least
	kick  func() error
}

// feedInterval is how often keepAlive must tick for every feed: the shortest of their periods.
func feedInterval(feeds []feed) time.Duration {
	var d time.Duration
	for _, f := range feeds {
		if d == 0 || f.every < d {
			d = f.every
		}
	}
	return d
}

// keepAlive feeds every watchdog now and at each tick while healthy reports true (Gateway.Healthy: the
// delivery loop and the panel's key loop have shown life lately), until ctx ends or ticks is closed. A tick at
// which the gateway is unhealthy feeds none of them: a hung loop makes the board reset or systemd restart the
// service. A feed that fails is logged once and tried again at the next tick; one that is closed
// (watchdog.ErrClosed: the board is closing) is left alone.
func keepAlive(ctx context.Context, ticks <-chan time.Time, healthy func() bool, feeds []feed, log *slog.Logger) {
	failing := make([]bool, len(feeds))
	closed := make([]bool, len(feeds))
	wasHealthy := true
	for {
		ok := healthy()
		if ok != wasHealthy {
			if ok {
				log.Info("the gateway shows life again: the watchdogs are fed")
			} else {
				log.Error("the gateway is hung (a loop has shown no life): the watchdogs are no longer fed")
			}
			wasHealthy = ok
		}
		for i, f := range feeds {
			if !ok || closed[i] {
				continue
			}
			switch err := f.kick(); {
			case errors.Is(err, watchdog.ErrClosed):
				closed[i] = true
			case err != nil:
				if !failing[i] {
					log.Error("feeding the watchdog", "watchdog", f.name, "err", err)
				}
				failing[i] = true
			default:
				failing[i] = false
			}
		}
		select {
		case <-ctx.Done():
			return
		case _, open := <-ticks:
			if !open {
				return
			}
		}
	}
}

// ---- status and reload

// runStatus is run's status line for systemctl status: where the mail goes, or what to do first. panel says
// whether the board has one to set the account up from.
func runStatus(g *appliance.Gateway, settingsFile string, panel bool) string {
	switch {
	case g.NeedsSetup() && panel:
		return fmt.Sprintf("Not set up: enter the mail account on the panel (Settings > Account), or fill in [account] in %s, then systemctl reload %s", settingsFile, serviceName)
	case g.NeedsSetup():
		return fmt.Sprintf("Not set up: fill in [account] in %s, then systemctl reload %s", settingsFile, serviceName)
	}
	return "Ready: sending through " + g.Config().Account.Server
}

// flatten joins the lines of a message (errors.Join makes several) for a status line.
func flatten(s string) string { return strings.Join(strings.Fields(s), " ") }

// reloader reads the settings again on SIGHUP (systemctl reload) and puts them in force as a panel save does.
type reloader struct {
	o        *runOpts
	file     string // the settings file run read (savePath)
	g        *appliance.Gateway
	log      *slog.Logger
	m        *manager
	panel    bool                   // the board has a panel (for the status line)
	reloaded chan<- struct{}        // frontpanel.Options.Reloaded
	failed   atomic.Pointer[string] // why the last reload failed; nil after one that worked
}

// status is the status line: runStatus, and why the last reload failed, while the file stays broken.
func (r *reloader) status() string {
	s := runStatus(r.g, r.file, r.panel)
	if why := r.failed.Load(); why != nil {
		s += "; settings file not reloaded: " + *why
	}
	return s
}

// hangups makes SIGHUP reach run instead of ending the process; stop ends that.
func hangups() (ch <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGHUP)
	return c, func() { signal.Stop(c) }
}

// run reloads at each signal on hup until ctx ends.
func (r *reloader) run(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		r.m.reloading()
		if err := r.reload(); err != nil {
			r.log.Error("settings not reloaded: the previous settings stay in force", "settings_file", r.file, "err", err)
			why := flatten(err.Error())
			r.failed.Store(&why)
		} else {
			r.log.Info("settings reloaded", "settings_file", r.file, "server", r.g.Config().Account.Server)
			r.failed.Store(nil)
			select {
			case r.reloaded <- struct{}{}:
			default: // the loops have a reload to take up already; they read the settings in force
			}
		}
		r.m.reloaded(r.status())
	}
}

// reload reads the settings as run did at the start (the file, then the flags over it), checks them as a panel
// save does, and applies them: a job in flight finishes with the settings it started with. On error the
// settings in force stay.
func (r *reloader) reload() error {
	cfg, _, missing, err := r.o.settings()
	if err != nil && !missing {
		return err
	}
	if verr := frontpanel.Validate(cfg, true); verr != nil {
		if missing {
			return err // no such file: the defaults hold no account
		}
		return verr
	}
	old := r.g.Config()
	if cfg.Spool.Dir != old.Spool.Dir {
		r.log.Warn("spool.dir changed: the gateway goes on with the spool it started with until it is restarted", "spool", old.Spool.Dir)
	}
	if !reflect.DeepEqual(cfg.Board, old.Board) {
		r.log.Warn("the board settings changed: they take effect when the gateway is restarted")
	}
	if !reflect.DeepEqual(cfg.Relay, old.Relay) {
		r.log.Warn("the relay settings changed: the relay port takes them (and its users' password files) when the gateway is restarted")
	}
	return r.g.Apply(cfg)
}

// settings reads the settings file (-config, or the default path) and applies the flags over it.
func (o *runOpts) settings() (cfg *config.Config, savePath string, missing bool, err error) {
	cfg, savePath, missing, err = findConfig(o.config)
	if cfg == nil {
		return nil, savePath, missing, err
	}
	if o.spool != "" {
		cfg.Spool.Dir = o.spool
	}
	if o.board != "" {
		cfg.Board.Profile = o.board
	}
	o.acct.apply(cfg)
	return cfg, savePath, missing, err
}
