package panel

import (
	"cmp"
	"crypto/subtle"
	"slices"
	"strconv"
	"time"

	"github.com/scangate/gateway/internal/secret"
)

// The admin PIN's lockout: after maxTries wrong PINs in a row the settings
// stay locked for lockTime.
const (
	maxTries = 3
	lockTime = time.Minute
)

// openMenu shows the menu, from the ready screen.
func (p *Panel) openMenu() {
	p.setMode(modeMenu)
	p.stack = nil
	p.push(&listView{items: func(p *Panel) []item {
		queue := "Queue"
		if n := len(p.queue); n > 0 {
			queue += " (" + strconv.Itoa(n) + ")"
		}
		return []item{
			{label: queue, open: (*Panel).openQueue},
			{label: "Journal", open: (*Panel).openJournal},
			{label: "Test account", open: (*Panel).openTest},
			{label: "Network", open: (*Panel).openNetwork},
			{label: "About", open: (*Panel).openAbout},
			{label: "Settings", open: (*Panel).openPIN},
		}
	}})
}

// closeMenu returns to the ready screen, dropping unsaved settings.
func (p *Panel) closeMenu() {
	p.stack, p.edit, p.changed = nil, nil, false
	p.setMode(modeReady)
}

// ask sends a request whose answer the view done makes will show; while it
// is under way the wait view shows text. A request already under way is not
// sent again.
func (p *Panel) ask(req Request, text string, stay bool, done func(p *Panel, a Answer) view) Request {
	p.push(&waitView{text: text, kind: req.Kind, stay: stay, done: done})
	if p.pending[req.Kind] {
		return Request{}
	}
	p.pending[req.Kind] = true
	return req
}

// answer takes the appliance's answer to a request.
func (p *Panel) answer(a Answer) {
	if a.To < 0 || a.To >= numRequestKinds {
		return
	}
	if a.To == RequestSignIn {
		p.signInAnswer(a)
		return
	}
	p.pending[a.To] = false
	if a.To == RequestSaveSettings && p.saving != nil {
		if a.OK {
			p.adopt(*p.saving)
			p.changed = false
		}
		p.saving = nil
	}
	if w, ok := p.top().(*waitView); ok && p.mode == modeMenu && w.kind == a.To {
		p.replace(w.done(p, a))
	}
}

// verdict returns the words that head the answer a: its Short, or yes or no.
func verdict(a Answer, yes, no string) string {
	switch {
	case a.Short != "":
		return a.Short
	case a.OK:
		return yes
	}
	return no
}

func (p *Panel) openQueue() Request {
	p.push(&listView{empty: "Queue is empty", items: func(p *Panel) []item {
		items := make([]item, len(p.queue))
		for i, j := range p.queue {
			items[i] = item{label: j.Dest, value: j.Status, valued: true, open: func(p *Panel) Request { return p.openJob(j) }}
		}
		return items
	}})
	return Request{}
}

// openJob shows what can be done with a queued job.
func (p *Panel) openJob(j QueueJob) Request {
	title := j.Dest
	if j.Pages > 0 {
		title += ", " + pagesText(j.Pages)
	}
	done := func(p *Panel, a Answer) view {
		// Back to the queue list: the message and the job's actions go.
		return message(verdict(a, "Done", "Failed"), 2, a.Detail)
	}
	p.push(&listView{title: title, items: func(*Panel) []item {
		return []item{
			{label: "Retry", open: func(p *Panel) Request {
				return p.ask(Request{Kind: RequestRetryJob, Job: j.ID}, hintWait, false, done)
			}},
			{label: "Delete", open: func(p *Panel) Request {
				p.push(&confirmView{question: "Delete the job?", yes: func(p *Panel) Request {
					return p.ask(Request{Kind: RequestDeleteJob, Job: j.ID}, hintWait, false, done)
				}})
				return Request{}
			}},
			{label: "Details", open: func(p *Panel) Request {
				p.push(message(title, 1, j.Status, j.Detail))
				return Request{}
			}},
		}
	}})
	return Request{}
}

func pagesText(n int) string {
	if n == 1 {
		return "1 page"
	}
	return strconv.Itoa(n) + " pages"
}

func (p *Panel) openJournal() Request {
	return p.ask(Request{Kind: RequestJournal}, "Loading...", false, func(p *Panel, a Answer) view {
		if !a.OK {
			return message(cmp.Or(a.Short, "Not available"), 1, a.Detail)
		}
		entries := slices.Clone(a.Journal)
		return &listView{empty: "No entries", items: func(p *Panel) []item {
			items := make([]item, len(entries))
			now := p.now()
			for i, e := range entries {
				t := e.Time.In(now.Location())
				when := t.Format("Jan 2")
				if sameDay(t, now) {
					when = t.Format("15:04")
				}
				label := when + " " + e.Dest
				items[i] = item{label: label, value: e.Result, valued: true, open: func(p *Panel) Request {
					p.push(message(label, 1, e.Result, e.Detail))
					return Request{}
				}}
			}
			return items
		}}
	})
}

func sameDay(a, b time.Time) bool {
	y1, m1, d1 := a.Date()
	y2, m2, d2 := b.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

func (p *Panel) openTest() Request {
	return p.ask(Request{Kind: RequestTestAccount}, "Testing...", false, func(p *Panel, a Answer) view {
		return message(verdict(a, "Account OK", "Test failed"), 1, a.Detail)
	})
}

func (p *Panel) openNetwork() Request {
	return p.ask(Request{Kind: RequestNetwork}, hintWait, false, func(p *Panel, a Answer) view {
		lines := a.Lines
		if !a.OK || len(lines) == 0 {
			lines = []string{cmp.Or(a.Short, "No address"), a.Detail}
		}
		return message("Network", 1, lines...)
	})
}

func (p *Panel) openAbout() Request {
	p.push(&aboutView{})
	return Request{}
}

// aboutView shows the version, the serial number and, with a relay
// listener, its addresses, its certificate's fingerprint (scrolling) and the
// day's count, as the last Event.Relay told: up and down scroll, ok, back or
// left leave.
type aboutView struct {
	top int // the first line shown
}

func (v *aboutView) key(p *Panel, k Key) Request {
	switch k {
	case KeyUp:
		v.top = max(v.top-1, 0)
	case KeyDown:
		v.top++ // rows clamps it
	case KeyOK, KeyBack, KeyLeft:
		p.pop(1)
	}
	return Request{}
}

func (v *aboutView) rows(p *Panel) []row {
	lines := []row{{text: "Version " + cmp.Or(p.version, "unknown"), scroll: true},
		{text: "Serial " + cmp.Or(p.serial, "unknown"), scroll: true}}
	if r := p.relay; r != nil {
		for _, a := range r.Addrs {
			lines = append(lines, row{text: "Relay " + a, scroll: true})
		}
		lines = append(lines, row{text: "SHA-256 " + r.Fingerprint, scroll: true}, row{text: r.todayText(), scroll: true})
	}
	v.top = max(min(v.top, len(lines)-(p.rows-1)), 0)
	return append([]row{{text: "Scangate"}}, lines[v.top:]...)
}

// locked reports whether wrong PINs keep the settings locked.
func (p *Panel) locked() bool { return p.now().Before(p.lockedUntil) }

// openPIN asks for the admin PIN before the settings.
func (p *Panel) openPIN() Request {
	e := newEditor("Admin PIN", "", digitWheel, MaxPIN, func(p *Panel, e *editor) Request {
		if subtle.ConstantTimeCompare([]byte(e.text()), []byte(p.set.pin())) == 1 {
			p.tries = 0
			edit := p.set.clone()
			p.edit, p.changed = &edit, false
			p.replace(p.settingsMenu())
			return Request{}
		}
		e.clear()
		if p.tries++; p.tries >= maxTries {
			p.tries = 0
			p.lockedUntil = p.now().Add(lockTime)
		} else {
			p.setHint(hintWrongPIN)
		}
		return Request{}
	})
	e.secret, e.pin, e.locks = true, true, true
	p.push(e)
	return Request{}
}

// settingsMenu is the top of the settings, which edit p.edit.
func (p *Panel) settingsMenu() view {
	return &listView{
		items: func(*Panel) []item {
			return []item{
				{label: "Account", open: (*Panel).openAccount},
				{label: "Address book", open: (*Panel).openBook},
				{label: "Device", open: (*Panel).openDevice},
				{label: "Change PIN", open: (*Panel).openNewPIN},
				{label: "Save", open: (*Panel).save},
			}
		},
		back: func(p *Panel) Request {
			if !p.changed {
				p.pop(1)
				return Request{}
			}
			p.push(&confirmView{question: "Discard changes?", yes: func(p *Panel) Request {
				p.edit, p.changed = nil, false
				p.pop(1)
				return Request{}
			}})
			return Request{}
		},
	}
}

// field returns an item that edits a text value on the wheel.
func field(label, value, wheel string, max int, secret bool, set func(p *Panel, s string)) item {
	shown := value
	if secret && value != "" {
		shown = "********"
	}
	return item{label: label, value: shown, valued: true, open: func(p *Panel) Request {
		e := newEditor(label, value, wheel, max, func(p *Panel, e *editor) Request {
			if e.text() != value {
				set(p, e.text())
				p.changed = true
			}
			p.pop(1)
			return Request{}
		})
		e.secret = secret
		p.push(e)
		return Request{}
	}}
}

// choice returns an item whose value is picked from a list.
func choice(label, value string, options []string, set func(p *Panel, s string)) item {
	return item{label: label, value: value, valued: true, open: func(p *Panel) Request {
		if value != "" && value != "0" && !slices.Contains(options, value) {
			options = append(slices.Clone(options), value)
		}
		list := &listView{title: label, sel: max(slices.Index(options, value), 0), items: func(*Panel) []item {
			items := make([]item, len(options))
			for i, o := range options {
				items[i] = item{label: o, open: func(p *Panel) Request {
					if o != value {
						set(p, o)
						p.changed = true
					}
					p.pop(1)
					return Request{}
				}}
			}
			return items
		}}
		p.push(list)
		return Request{}
	}}
}

func (p *Panel) openAccount() Request {
	p.push(&listView{items: func(p *Panel) []item {
		a := &p.edit.Account
		port := ""
		if a.Port != 0 {
			port = strconv.Itoa(a.Port)
		}
		// With OAuth the password is not used: signing in takes its place.
		password := field("Password", a.Password.Reveal(), textWheel, maxPassword, true, func(p *Panel, s string) {
			p.edit.Account.Password = secret.Secret(s)
		})
		if p.signIn {
			password = item{label: "Sign in", value: "OK: get a code", valued: true, open: (*Panel).openSignIn}
		}
		return []item{
			field("Server", a.Server, textWheel, maxHost, false, func(p *Panel, s string) { p.edit.Account.Server = s }),
			field("Port", port, digitWheel, maxPortLen, false, func(p *Panel, s string) { p.edit.Account.Port, _ = strconv.Atoi(s) }),
			choice("Security", a.Security, p.choices.Securities, func(p *Panel, s string) { p.edit.Account.Security = s }),
			field("User", a.User, textWheel, maxAddress, false, func(p *Panel, s string) { p.edit.Account.User = s }),
			password,
			field("Sender", a.From, textWheel, maxAddress, false, func(p *Panel, s string) { p.edit.Account.From = s }),
		}
	}})
	return Request{}
}

func (p *Panel) openDevice() Request {
	p.push(&listView{items: func(p *Panel) []item {
		d := &p.edit.Device
		speeds := make([]string, len(bauds))
		for i, b := range bauds {
			speeds[i] = strconv.Itoa(b)
		}
		return []item{
			field("Port", d.Port, textWheel, maxPath, false, func(p *Panel, s string) { p.edit.Device.Port = s }),
			choice("Baud", strconv.Itoa(d.Baud), speeds, func(p *Panel, s string) { p.edit.Device.Baud, _ = strconv.Atoi(s) }),
			choice("Protocol", d.Protocol, p.choices.Protocols, func(p *Panel, s string) { p.edit.Device.Protocol = s }),
			choice("Flow", d.Flow, p.choices.Flows, func(p *Panel, s string) { p.edit.Device.Flow = s }),
		}
	}})
	return Request{}
}

// openBook lists the address book: "New entry", then the entries by their
// speed-dial numbers.
func (p *Panel) openBook() Request {
	p.push(&listView{items: func(p *Panel) []item {
		items := []item{{label: "New entry", open: (*Panel).newEntry}}
		for i, d := range p.edit.Book {
			items = append(items, item{label: strconv.Itoa(i+1) + " " + d.Name, open: func(p *Panel) Request {
				return p.openEntry(i)
			}})
		}
		return items
	}})
	return Request{}
}

// newEntry asks for a name, then an address, and adds the entry.
func (p *Panel) newEntry() Request {
	if len(p.edit.Book) >= MaxBook {
		p.push(message("Book is full", 1, strconv.Itoa(MaxBook)+" entries max"))
		return Request{}
	}
	p.push(newEditor("Name", "", textWheel, maxName, func(p *Panel, name *editor) Request {
		p.push(newEditor("Address", "", textWheel, maxAddress, func(p *Panel, addr *editor) Request {
			p.edit.Book = append(p.edit.Book, Destination{Name: name.text(), Address: addr.text()})
			p.changed = true
			p.pop(2)
			if list, ok := p.top().(*listView); ok {
				list.sel = len(p.edit.Book) // the new entry, after "New entry"
			}
			return Request{}
		}))
		return Request{}
	}))
	return Request{}
}

// openEntry edits entry i of the address book.
func (p *Panel) openEntry(i int) Request {
	p.push(&listView{items: func(p *Panel) []item {
		if i >= len(p.edit.Book) {
			return nil
		}
		d := p.edit.Book[i]
		return []item{
			field("Name", d.Name, textWheel, maxName, false, func(p *Panel, s string) { p.edit.Book[i].Name = s }),
			field("Address", d.Address, textWheel, maxAddress, false, func(p *Panel, s string) { p.edit.Book[i].Address = s }),
			{label: "Delete", valued: true, open: func(p *Panel) Request {
				p.push(&confirmView{question: "Delete entry?", yes: func(p *Panel) Request {
					p.edit.Book = slices.Delete(p.edit.Book, i, i+1)
					p.changed = true
					p.pop(1)
					p.setHint(hintDeleted)
					return Request{}
				}})
				return Request{}
			}},
		}
	}})
	return Request{}
}

// openNewPIN asks for a new PIN twice.
func (p *Panel) openNewPIN() Request {
	e := newEditor("New PIN", "", digitWheel, MaxPIN, func(p *Panel, first *editor) Request {
		if !ValidPIN(first.text()) {
			p.setHint(hintPINLength)
			return Request{}
		}
		again := newEditor("Repeat PIN", "", digitWheel, MaxPIN, func(p *Panel, again *editor) Request {
			p.pop(2)
			if again.text() != first.text() {
				p.push(message("PINs differ", 1, "PIN not changed"))
				return Request{}
			}
			p.edit.PIN = first.text()
			p.changed = true
			p.push(message("PIN changed", 1, "Save to keep it"))
			return Request{}
		})
		again.secret, again.pin = true, true
		p.push(again)
		return Request{}
	})
	e.secret, e.pin = true, true
	p.push(e)
	return Request{}
}

// save checks the edited settings and asks the appliance to save them.
func (p *Panel) save() Request {
	if prob := p.edit.check(p.choices); prob != nil {
		p.push(message(prob.what, 1, prob.where))
		return Request{}
	}
	saving := p.edit.clone()
	p.saving = &saving
	mine := saving.clone()
	return p.ask(Request{Kind: RequestSaveSettings, Settings: &mine}, "Saving...", true, func(p *Panel, a Answer) view {
		return message(verdict(a, "Saved", "Not saved"), 1, a.Detail)
	})
}
