package frontpanel

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/device"
	"github.com/scangate/gateway/panel"
	"github.com/scangate/gateway/spool"
	"github.com/scangate/gateway/submit"
)

// journalOnPanel is how many journal entries the panel shows.
const journalOnPanel = 20

// panelConfig is what the panel starts with: the settings in force, the address book, the PIN.
func (f *front) panelConfig() panel.Config {
	cfg := f.g.Config()
	st := panelSettings(cfg)
	return panel.Config{Book: st.Book, DeviceName: cfg.Device.Name, Account: st.Account, Device: st.Device, PIN: st.PIN,
		Version: f.o.Version, Serial: f.o.Serial, Blink: f.o.Blink, SignIn: f.signing().SignInEnabled(),
		Choices: panel.Choices{Securities: submit.Securities(), Protocols: device.Protocols(), Flows: device.Flows()}}
}

// destinations returns the address book as panel destinations.
func destinations(cfg *config.Config) []panel.Destination {
	book := make([]panel.Destination, len(cfg.AddressBook))
	for i, d := range cfg.AddressBook {
		book[i] = panel.Destination{Name: d.Name, Address: d.Address}
	}
	return book
}

// panelSettings maps the configuration to what the panel edits.
func panelSettings(cfg *config.Config) panel.Settings {
	host, portText, _ := net.SplitHostPort(cfg.Account.Server)
	port, _ := strconv.Atoi(portText)
	pw, _ := cfg.Account.PasswordValue()
	return panel.Settings{
		Account: panel.Account{Server: host, Port: port, Security: cfg.Account.Security, User: cfg.Account.User,
			Password: pw, From: cfg.Account.From},
		Book:   destinations(cfg),
		Device: panel.Device{Port: cfg.Device.Port, Baud: cfg.Device.Baud, Protocol: cfg.Device.Protocol, Flow: cfg.Device.Flow},
		PIN:    cfg.Panel.PIN,
	}
}

// withSettings returns a copy of cfg changed to the panel's settings. A password left as it was keeps its
// source (password_file stays a file); a new one is written into the settings file.
func withSettings(cfg *config.Config, st panel.Settings) *config.Config {
	c := *cfg
	c.Account.Server = net.JoinHostPort(st.Account.Server, strconv.Itoa(st.Account.Port))
	c.Account.Security = st.Account.Security
	c.Account.User = st.Account.User
	c.Account.From = st.Account.From
	if old, _ := cfg.Account.PasswordValue(); old.Reveal() != st.Account.Password.Reveal() {
		c.Account.Password, c.Account.PasswordFile = st.Account.Password, ""
	}
	c.AddressBook = nil
	for _, d := range st.Book {
		c.AddressBook = append(c.AddressBook, config.Destination{Name: d.Name, Address: d.Address})
	}
	c.Device.Port, c.Device.Baud, c.Device.Protocol, c.Device.Flow = st.Device.Port, st.Device.Baud, st.Device.Protocol, st.Device.Flow
	c.Panel.PIN = st.PIN
	return &c
}

// answer does the slow work of a panel request and puts the outcome in an event.
func (f *front) answer(ctx context.Context, req panel.Request) panel.Event {
	a := &panel.Answer{To: req.Kind}
	switch req.Kind {
	case panel.RequestSaveSettings:
		a.OK, a.Short, a.Detail = f.saveSettings(*req.Settings)
	case panel.RequestTestAccount:
		rep, err := f.g.Check(ctx)
		a.OK, a.Detail = err == nil, appliance.Verdict(rep, err, f.g.Now())
		if a.Short = "Account OK"; err != nil {
			a.Short, _ = appliance.Explain(err)
		}
	case panel.RequestRetryJob, panel.RequestDeleteJob:
		a.OK, a.Short, a.Detail = f.queueAction(req)
	case panel.RequestJournal:
		a.OK, a.Journal, a.Detail = f.journal()
	case panel.RequestNetwork:
		a.Lines = addresses()
		a.OK = len(a.Lines) > 0
		if !a.OK {
			a.Short, a.Detail = "No network", "No network interface has an address."
		}
	}
	return panel.Event{Answer: a}
}

// saveSettings checks the panel's settings, saves them atomically and puts them in force.
func (f *front) saveSettings(st panel.Settings) (ok bool, short, detail string) {
	path := f.o.ConfigPath
	cfg := withSettings(f.g.Config(), st)
	if err := Validate(cfg, true); err != nil {
		return false, "Not saved", err.Error()
	}
	if path != "" {
		if err := cfg.Save(path); err != nil {
			return false, "Not saved", err.Error()
		}
	}
	if err := f.g.Apply(cfg); err != nil {
		return false, "Not applied", err.Error()
	}
	f.g.Log().Info("settings changed on the panel", "saved", path != "")
	if path == "" {
		return true, "Applied", "The settings are in force until the gateway restarts (it was started without a settings file)."
	}
	return true, "Saved", "The settings are saved and in force."
}

func (f *front) queueAction(req panel.Request) (bool, string, string) {
	sp, err := f.g.Spool()
	if err != nil {
		return false, "Queue error", err.Error()
	}
	switch {
	case req.Job == appliance.KeptID && req.Kind == panel.RequestDeleteJob:
		if err := sp.DeleteKept(); err != nil {
			return false, "Not deleted", err.Error()
		}
		return true, "Deleted", "What the cut pull left is deleted; the next Send starts afresh."
	case req.Job == appliance.KeptID:
		return false, "Press Send", "A pull cut short goes on with the next Send."
	case req.Kind == panel.RequestDeleteJob:
		if err := sp.Delete(req.Job); err != nil {
			return false, "Not deleted", err.Error()
		}
		return true, "Deleted", "The job is deleted."
	}
	if _, err := sp.Retry(req.Job); err != nil {
		return false, "Not retried", err.Error()
	}
	f.d.Kick()
	return true, "Queued again", "The job is queued again and goes out shortly."
}

func (f *front) journal() (bool, []panel.JournalEntry, string) {
	sp, err := f.g.Spool()
	if err != nil {
		return false, nil, err.Error()
	}
	entries, _, err := sp.ReadJournal()
	if err != nil {
		return false, nil, err.Error()
	}
	var out []panel.JournalEntry
	for i := len(entries) - 1; i >= 0 && len(out) < journalOnPanel; i-- {
		e := entries[i]
		dest := e.DestName
		if dest == "" && len(e.To) > 0 {
			dest = e.To[0]
		}
		result := e.Result
		if e.Outcome == "sent" && e.Pages > 0 {
			result = fmt.Sprintf("Sent %d pages", e.Pages)
		}
		out = append(out, panel.JournalEntry{Time: e.Time, Dest: dest, Result: result, Detail: e.Detail})
	}
	return true, out, ""
}

// relayEvent tells the panel the relay listener's state (Options.Relay); an empty event without a relay.
func (f *front) relayEvent() panel.Event {
	if f.o.Relay == nil {
		return panel.Event{}
	}
	r := f.o.Relay()
	return panel.Event{Relay: &r}
}

// queueEvent tells the panel what waits in the spool, and the relay's state with it (both change as mail
// comes and goes).
func (f *front) queueEvent() panel.Event {
	ev := f.spoolEvent()
	ev.Relay = f.relayEvent().Relay
	return ev
}

// spoolEvent tells the panel what waits in the spool.
func (f *front) spoolEvent() panel.Event {
	q := &panel.Queue{}
	sp, err := f.g.Spool()
	if err != nil {
		return panel.Event{Notice: &panel.Notice{Text: "Queue error", Problem: true}}
	}
	jobs, broken, err := sp.List()
	if err != nil {
		return panel.Event{Notice: &panel.Notice{Text: "Queue error", Problem: true}}
	}
	for _, j := range jobs {
		if j.State == spool.Sent {
			continue
		}
		dest := j.DestName
		if dest == "" && len(j.To) > 0 {
			dest = j.To[0]
		}
		qj := panel.QueueJob{ID: j.ID, Dest: dest, Pages: j.Pages, Status: j.LastResult, Detail: j.LastDetail}
		switch j.State {
		case spool.Queued:
			qj.Status = "Waiting"
		case spool.Sending:
			qj.Status = "Sending"
		case spool.Deferred:
			qj.Status = retryStatus(j.NextAttempt)
		case spool.Held, spool.Failed:
			qj.Problem = !j.Stopped // a job stopped on purpose is no fault: no marker, no Error LED
		}
		q.Jobs = append(q.Jobs, qj)
	}
	for _, b := range broken {
		q.Jobs = append(q.Jobs, panel.QueueJob{ID: b.ID, Status: "Unreadable", Detail: b.Err.Error(), Problem: true})
	}
	if k, err := sp.Kept(); err == nil && k != nil {
		q.Jobs = append(q.Jobs, panel.QueueJob{ID: appliance.KeptID, Dest: "Part of a scan", Status: "Cut short",
			Detail: appliance.KeptDetail(k)})
	}
	return panel.Event{Queue: q}
}

// setupNotice is the ready screen's status while no mail account is set up: the word Setup, and the key that
// leads to Settings.
var setupNotice = panel.Notice{Text: "Setup: Back key", Problem: true}

// notice tells the ready screen, most urgent first: that the gateway needs setting up; that the account must
// sign in (again), a problem that holds every mail, queued ones too; that the machine's port is missing (an
// unplugged USB adapter, a missing device node), which stops new scans only; or what the sign-in has to say
// that is no problem yet ("Sign in by 12-24"). It clears the notice when all is well. A network serial server
// is not probed.
func (f *front) notice() panel.Event {
	if f.g.NeedsSetup() {
		return panel.Event{Notice: &setupNotice}
	}
	signIn, problem := f.signing().SignInNotice()
	if signIn != "" && problem {
		return panel.Event{Notice: &panel.Notice{Text: signIn, Problem: true}}
	}
	d := f.g.Config().Device
	missing := false
	switch {
	case d.TCP != "":
	case d.USB != "":
		id, err := device.ParseUSBID(d.USB)
		missing = err != nil
		if err == nil {
			_, err = device.FindUSB(id.VID, id.PID, id.Serial)
			missing = err != nil
		}
	default:
		_, err := os.Stat(d.Port)
		missing = err != nil
	}
	if missing {
		return panel.Event{Notice: &panel.Notice{Text: "No machine", Problem: true}}
	}
	return panel.Event{Notice: &panel.Notice{Text: signIn}}
}

// addresses lists the machine's network addresses as "eth0 192.168.1.20", loopback left out.
func addresses() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var lines []string
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				lines = append(lines, ifc.Name+" "+ipn.IP.String())
			}
		}
	}
	slices.Sort(lines)
	return lines
}
