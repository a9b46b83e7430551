package panel_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/panel"
)

// office is a complete, valid configuration.
var office = panel.Config{
	Book:       book,
	DeviceName: "Front desk",
	Account: panel.Account{Server: "smtp.example.com", Port: 587, Security: "starttls",
		User: "scanner@example.com", Password: "s3cret", From: "scanner@example.com"},
	Device:  panel.Device{Port: "/dev/ttyUSB0", Baud: 115200, Protocol: "ymodem", Flow: "none"},
	PIN:     "2468",
	Version: "1.4.0", Serial: "SG-0042",
	// The lists the mail session and the device layer own, as the appliance hands them on.
	Choices: panel.Choices{Securities: []string{"starttls", "tls"}, Protocols: []string{"zmodem", "ymodem", "xmodem", "xmodem-1k"},
		Flows: []string{"none", "rtscts", "xonxoff"}},
}

func officeSettings() panel.Settings {
	return panel.Settings{Account: office.Account, Book: slices.Clone(office.Book), Device: office.Device, PIN: office.PIN}
}

// with returns office changed by f.
func with(f func(c *panel.Config)) panel.Config {
	c := office
	c.Book = slices.Clone(office.Book)
	f(&c)
	return c
}

// seq joins runs of steps.
func seq(parts ...[]step) []step {
	var all []step
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// typed returns the steps that type text into an empty text field.
func typed(text string) []step {
	ks, err := panel.KeysFor(text)
	if err != nil {
		panic(err)
	}
	return keys(ks...)
}

// digits returns the steps that type digits on the PIN pad or into a number
// field.
func digits(d string) []step {
	ks, err := panel.KeysForDigits(d)
	if err != nil {
		panic(err)
	}
	return keys(ks...)
}

const (
	up    = panel.KeyUp
	down  = panel.KeyDown
	left  = panel.KeyLeft
	right = panel.KeyRight
	ok    = panel.KeyOK
	back  = panel.KeyBack
	send  = panel.KeySend
	stop  = panel.KeyStop
)

// Paths through the menu, from the ready screen.
var (
	toMenu     = keys(back)
	toPIN      = keys(back, up, ok)
	toSettings = seq(toPIN, digits("2468"), keys(ok))
	toAccount  = seq(toSettings, keys(ok))
	toBook     = seq(toSettings, keys(down, ok))
	toDevice   = seq(toSettings, keys(down, down, ok))
	toNewPIN   = seq(toSettings, keys(up, up, ok))
	toSave     = seq(toSettings, keys(up, ok)) // save without changes
	toQueue    = keys(back, ok)
	toJournal  = keys(back, down, ok)
	toTest     = keys(back, down, down, ok)
	toNetwork  = keys(back, down, down, down, ok)
	wrongPIN   = seq(digits("1111"), keys(ok))
)

// menuTest is a key sequence and the screens it ends on.
type menuTest struct {
	name           string
	cfg            panel.Config // office when zero
	steps          []step
	want16, want20 []string
	req            *panel.Request // when set, the last request
}

func runMenuTests(t *testing.T, tests []menuTest) {
	t.Helper()
	for _, tt := range tests {
		cfg := tt.cfg
		if cfg.Book == nil && cfg.PIN == "" {
			cfg = office
		}
		for _, size := range []struct {
			cols, rows int
			want       []string
		}{{16, 2, tt.want16}, {20, 4, tt.want20}} {
			t.Run(fmt.Sprintf("%s/%dx%d", tt.name, size.cols, size.rows), func(t *testing.T) {
				r := newRig(t, size.cols, size.rows, cfg)
				r.run(tt.steps...)
				if want := pad(size.want, size.cols, size.rows); !slices.Equal(r.d.Lines(), want) {
					t.Errorf("screen:\n%swant:\n%s\ngot as golden: %s", r.d, strings.Join(want, "\n"), golden(r.d.Lines()))
				}
				if tt.req != nil {
					var last panel.Request
					if len(r.reqs) > 0 {
						last = r.reqs[len(r.reqs)-1]
					}
					if !sameRequest(last, *tt.req) {
						t.Errorf("last request = %s, want %s", showRequest(last), showRequest(*tt.req))
					}
				}
			})
		}
	}
}

// golden prints lines as a Go literal with trailing blanks dropped.
func golden(lines []string) string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = fmt.Sprintf("%q", strings.TrimRight(l, " "))
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func sameRequest(a, b panel.Request) bool {
	if (a.Settings == nil) != (b.Settings == nil) || a.Settings != nil && !reflect.DeepEqual(*a.Settings, *b.Settings) {
		return false
	}
	a.Settings, b.Settings = nil, nil
	return a == b
}

func showRequest(r panel.Request) string {
	s := fmt.Sprintf("%+v", r)
	if r.Settings != nil {
		s += fmt.Sprintf(" settings %+v", *r.Settings)
	}
	return s
}

var (
	today     = time.Date(2026, 3, 14, 9, 12, 0, 0, time.UTC)
	yesterday = time.Date(2026, 3, 13, 17, 40, 0, 0, time.UTC)
	journal   = []panel.JournalEntry{
		{Time: today, Dest: "Sales", Result: "Sent 3 pages", Detail: "The mail was accepted by the server."},
		{Time: yesterday, Dest: "Accounts", Result: "Wrong password", Detail: "The mail server rejected the user name or password (535 5.7.8). Check them in the account settings."},
	}
	verdictWrong = panel.Answer{To: panel.RequestTestAccount, Short: "Wrong password",
		Detail: "The mail server rejected the user name or password (535 5.7.8 Authentication credentials invalid)."}
)

func TestMenuScreens(t *testing.T) {
	none := &panel.Request{}
	runMenuTests(t, []menuTest{
		{name: "back opens the menu", steps: toMenu, req: none,
			want16: []string{">Queue", " Journal"},
			want20: []string{">Queue", " Journal", " Test account", " Network"},
		},
		{name: "up wraps to the last item", steps: seq(toMenu, keys(up)),
			want16: []string{" About", ">Settings"},
			want20: []string{" Test account", " Network", " About", ">Settings"},
		},
		{name: "back closes the menu", steps: seq(toMenu, keys(back)),
			want16: []string{"Front desk 12:04", "To: Demo inbox"},
			want20: []string{"Front desk     12:04", "To: Demo inbox", "demo@scangate.test"},
		},
		{name: "the queue item counts the jobs", steps: seq([]step{queued(waiting, held)}, toMenu),
			want16: []string{">Queue (2)", " Journal"},
			want20: []string{">Queue (2)", " Journal", " Test account", " Network"},
		},
		{name: "about", steps: seq(toMenu, keys(down, down, down, down, ok)),
			want16: []string{"Scangate", "Version 1.4.0"},
			want20: []string{"Scangate", "Version 1.4.0", "Serial SG-0042"},
		},
		{name: "about scrolls", steps: seq(toMenu, keys(down, down, down, down, ok, down)),
			want16: []string{"Scangate", "Serial SG-0042"},
			want20: []string{"Scangate", "Version 1.4.0", "Serial SG-0042"},
		},
		{name: "about without a version", cfg: panel.Config{Book: book}, steps: seq(toMenu, keys(down, down, down, down, ok)),
			want16: []string{"Scangate", "Version unknown"},
			want20: []string{"Scangate", "Version unknown", "Serial unknown"},
		},
		{name: "ok leaves about", steps: seq(toMenu, keys(down, down, down, down, ok, ok)),
			want16: []string{" Network", ">About"},
			want20: []string{" Journal", " Test account", " Network", ">About"},
		},
		{name: "an empty queue", steps: toQueue,
			want16: []string{"Queue is empty"},
			want20: []string{"Queue is empty"},
		},
		{name: "the queue", steps: seq([]step{queued(waiting, held)}, toQueue),
			want16: []string{">Accounts", " Retry at 14:05"},
			want20: []string{">Accounts", " Retry at 14:05", " Sales", " Wrong password"},
		},
		{name: "the queue scrolls", steps: seq([]step{queued(waiting, held)}, toQueue, keys(down)),
			want16: []string{">Sales", " Wrong password"},
			want20: []string{" Accounts", " Retry at 14:05", ">Sales", " Wrong password"},
		},
		{name: "a job's actions", steps: seq([]step{queued(waiting, held)}, toQueue, keys(down, ok)),
			want16: []string{"Sales, 1 page", ">Retry"},
			want20: []string{"Sales, 1 page", ">Retry", " Delete", " Details"},
		},
		{name: "retry", steps: seq([]step{queued(waiting, held)}, toQueue, keys(down, ok, ok)),
			req:    &panel.Request{Kind: panel.RequestRetryJob, Job: "000042"},
			want16: []string{"Please wait"},
			want20: []string{"Please wait"},
		},
		{name: "retried", steps: seq([]step{queued(waiting, held)}, toQueue, keys(down, ok, ok),
			[]step{answer(panel.Answer{To: panel.RequestRetryJob, OK: true, Short: "Queued again"})}),
			want16: []string{"Queued again"},
			want20: []string{"Queued again"},
		},
		{name: "ok returns to the queue", steps: seq([]step{queued(waiting, held)}, toQueue, keys(down, ok, ok),
			[]step{answer(panel.Answer{To: panel.RequestRetryJob, OK: true, Short: "Queued again"}), queued(waiting)}, keys(ok)),
			want16: []string{">Accounts", " Retry at 14:05"},
			want20: []string{">Accounts", " Retry at 14:05"},
		},
		{name: "delete asks first", steps: seq([]step{queued(waiting, held)}, toQueue, keys(ok, down, ok)),
			want16: []string{"Delete the job?", "OK=yes Back=no"},
			want20: []string{"Delete the job?", "OK=yes Back=no"},
		},
		{name: "delete confirmed", steps: seq([]step{queued(waiting, held)}, toQueue, keys(ok, down, ok, ok)),
			req:    &panel.Request{Kind: panel.RequestDeleteJob, Job: "000041"},
			want16: []string{"Please wait"},
			want20: []string{"Please wait"},
		},
		{name: "delete not confirmed", steps: seq([]step{queued(waiting, held)}, toQueue, keys(ok, down, ok, back)), req: none,
			want16: []string{"Accounts, 2 page", ">Delete"},
			want20: []string{"Accounts, 2 pages", " Retry", ">Delete", " Details"},
		},
		{name: "a failed delete", steps: seq([]step{queued(waiting, held)}, toQueue, keys(ok, down, ok, ok),
			[]step{answer(panel.Answer{To: panel.RequestDeleteJob, Detail: "The job is being sent."})}),
			want16: []string{"Failed", "The job is being"},
			want20: []string{"Failed", "The job is being", "sent."},
		},
		{name: "a job's details", steps: seq([]step{queued(waiting, held)}, toQueue, keys(down, ok, down, down, ok)),
			want16: []string{"Sales, 1 page", "Wrong password"},
			want20: []string{"Sales, 1 page", "Wrong password", "The mail server", "rejected the user"},
		},
		{name: "the journal is asked for", steps: toJournal, req: &panel.Request{Kind: panel.RequestJournal},
			want16: []string{"Loading..."},
			want20: []string{"Loading..."},
		},
		{name: "the journal", steps: seq(toJournal, []step{answer(panel.Answer{To: panel.RequestJournal, OK: true, Journal: journal})}),
			want16: []string{">09:12 Sales", " Sent 3 pages"},
			want20: []string{">09:12 Sales", " Sent 3 pages", " Mar 13 Accounts", " Wrong password"},
		},
		{name: "a journal entry", steps: seq(toJournal, []step{answer(panel.Answer{To: panel.RequestJournal, OK: true, Journal: journal})}, keys(down, ok)),
			want16: []string{"Mar 13 Accounts", "Wrong password"},
			want20: []string{"Mar 13 Accounts", "Wrong password", "The mail server", "rejected the user"},
		},
		{name: "an empty journal", steps: seq(toJournal, []step{answer(panel.Answer{To: panel.RequestJournal, OK: true})}),
			want16: []string{"No entries"},
			want20: []string{"No entries"},
		},
		{name: "no journal", steps: seq(toJournal, []step{answer(panel.Answer{To: panel.RequestJournal, Detail: "The spool cannot be read."})}),
			want16: []string{"Not available", "The spool cannot"},
			want20: []string{"Not available", "The spool cannot be", "read."},
		},
		{name: "back while loading", steps: seq(toJournal, keys(back)),
			want16: []string{" Queue", ">Journal"},
			want20: []string{" Queue", ">Journal", " Test account", " Network"},
		},
		{name: "test account", steps: toTest, req: &panel.Request{Kind: panel.RequestTestAccount},
			want16: []string{"Testing..."},
			want20: []string{"Testing..."},
		},
		{name: "the verdict", steps: seq(toTest, []step{answer(verdictWrong)}),
			want16: []string{"Wrong password", "The mail server"},
			want20: []string{"Wrong password", "The mail server", "rejected the user", "name or password"},
		},
		{name: "the verdict scrolls", steps: seq(toTest, []step{answer(verdictWrong)}, keys(down, down)),
			want16: []string{"Wrong password", "user name or"},
			want20: []string{"Wrong password", "name or password", "(535 5.7.8", "Authentication"},
		},
		{name: "the verdict scrolls back", steps: seq(toTest, []step{answer(verdictWrong)}, keys(down, down, up, up, up)),
			want16: []string{"Wrong password", "The mail server"},
			want20: []string{"Wrong password", "The mail server", "rejected the user", "name or password"},
		},
		{name: "account OK", steps: seq(toTest, []step{answer(panel.Answer{To: panel.RequestTestAccount, OK: true})}),
			want16: []string{"Account OK"},
			want20: []string{"Account OK"},
		},
		{name: "a test under way is not asked again", steps: seq(toTest, keys(back, ok)), req: none,
			want16: []string{"Testing..."},
			want20: []string{"Testing..."},
		},
		{name: "network", steps: seq(toNetwork, []step{answer(panel.Answer{To: panel.RequestNetwork, OK: true,
			Lines: []string{"eth0 192.168.1.20", "eth0 fd00::1234:5678:9abc:def0"}})}),
			want16: []string{"Network", "eth0"},
			want20: []string{"Network", "eth0 192.168.1.20", "eth0", "fd00::1234:5678:9abc"},
		},
		{name: "no network", steps: seq(toNetwork, []step{answer(panel.Answer{To: panel.RequestNetwork, OK: true})}),
			want16: []string{"Network", "No address"},
			want20: []string{"Network", "No address"},
		},
		{name: "an answer for a screen left is dropped", steps: seq(toNetwork, keys(back),
			[]step{answer(panel.Answer{To: panel.RequestNetwork, OK: true, Lines: []string{"eth0 192.168.1.20"}})}),
			want16: []string{" Test account", ">Network"},
			want20: []string{" Queue", " Journal", " Test account", ">Network"},
		},
		{name: "the menu stays for 239 ticks", steps: seq(toMenu, []step{ticks(239)}),
			want16: []string{">Queue", " Journal"},
			want20: []string{">Queue", " Journal", " Test account", " Network"},
		},
		{name: "an idle menu closes after 2 minutes", steps: seq(toMenu, []step{ticks(240)}),
			want16: []string{"Front desk 12:04", "To: Demo inbox"},
			want20: []string{"Front desk     12:04", "To: Demo inbox", "demo@scangate.test"},
		},
		{name: "a result closes the menu", steps: seq(toMenu, []step{result(panel.Result{Dest: accounts, Short: "Server down"})}),
			want16: []string{"Not sent", "Server down"},
			want20: []string{"Not sent", "Server down", "To: Accounts"},
		},
	})
}

func TestPINScreens(t *testing.T) {
	none := &panel.Request{}
	locked := seq(toPIN, wrongPIN, wrongPIN, wrongPIN)
	runMenuTests(t, []menuTest{
		{name: "the PIN pad", steps: toPIN,
			want16: []string{"Admin PIN"},
			want20: []string{"Admin PIN", "", "", "Right next  OK done"},
		},
		{name: "a digit shows while it is chosen", steps: seq(toPIN, keys(up, up, up)),
			want16: []string{"Admin PIN", "2"},
			want20: []string{"Admin PIN", "2", "", "Right next  OK done"},
		},
		{name: "and is masked after right", steps: seq(toPIN, keys(up, up, up, right)),
			want16: []string{"Admin PIN", "*"},
			want20: []string{"Admin PIN", "*", "", "Right next  OK done"},
		},
		{name: "back deletes a digit", steps: seq(toPIN, digits("24"), keys(back)),
			want16: []string{"Admin PIN", "*"},
			want20: []string{"Admin PIN", "*", "", "Right next  OK done"},
		},
		{name: "back on an empty pad leaves", steps: seq(toPIN, keys(back)),
			want16: []string{" About", ">Settings"},
			want20: []string{" Test account", " Network", " About", ">Settings"},
		},
		{name: "a wrong PIN", steps: seq(toPIN, wrongPIN),
			want16: []string{"Admin PIN", "Wrong PIN"},
			want20: []string{"Admin PIN", "", "", "Wrong PIN"},
		},
		{name: "two wrong PINs", steps: seq(toPIN, wrongPIN, wrongPIN, keys(up)),
			want16: []string{"Admin PIN", "0"},
			want20: []string{"Admin PIN", "0", "", "Right next  OK done"},
		},
		{name: "three wrong PINs lock the settings", steps: locked,
			want16: []string{"Admin PIN", "Locked 1:00"},
			want20: []string{"Admin PIN", "Locked 1:00"},
		},
		{name: "the lockout counts down", steps: seq(locked, []step{wait(15 * time.Second), ticks(1)}),
			want16: []string{"Admin PIN", "Locked 0:45"},
			want20: []string{"Admin PIN", "Locked 0:45"},
		},
		{name: "keys do nothing while locked", steps: seq(locked, digits("2468"), keys(ok)), req: none,
			want16: []string{"Admin PIN", "Locked 1:00"},
			want20: []string{"Admin PIN", "Locked 1:00"},
		},
		{name: "leaving and coming back stays locked", steps: seq(locked, keys(back, ok)),
			want16: []string{"Admin PIN", "Locked 1:00"},
			want20: []string{"Admin PIN", "Locked 1:00"},
		},
		{name: "one second left", steps: seq(locked, []step{wait(59 * time.Second), ticks(1)}),
			want16: []string{"Admin PIN", "Locked 0:01"},
			want20: []string{"Admin PIN", "Locked 0:01"},
		},
		{name: "the lock ends after a minute", steps: seq(locked, []step{wait(time.Minute), ticks(1)}),
			want16: []string{"Admin PIN"},
			want20: []string{"Admin PIN", "", "", "Right next  OK done"},
		},
		{name: "then the right PIN opens the settings", steps: seq(locked, []step{wait(time.Minute)}, digits("2468"), keys(ok)),
			want16: []string{">Account", " Address book"},
			want20: []string{">Account", " Address book", " Device", " Change PIN"},
		},
		{name: "a right PIN forgives wrong ones", steps: seq(toPIN, wrongPIN, wrongPIN, digits("2468"), keys(ok, back, ok), wrongPIN, wrongPIN),
			want16: []string{"Admin PIN", "Wrong PIN"},
			want20: []string{"Admin PIN", "", "", "Wrong PIN"},
		},
		{name: "the default PIN", cfg: panel.Config{Book: book}, steps: seq(toPIN, digits("0000"), keys(ok)),
			want16: []string{">Account", " Address book"},
			want20: []string{">Account", " Address book", " Device", " Change PIN"},
		},
		{name: "the right PIN", steps: toSettings,
			want16: []string{">Account", " Address book"},
			want20: []string{">Account", " Address book", " Device", " Change PIN"},
		},
	})
}

func TestSettingsScreens(t *testing.T) {
	none := &panel.Request{}
	save := &panel.Request{Kind: panel.RequestSaveSettings, Settings: func() *panel.Settings { s := officeSettings(); return &s }()}
	changedPort := seq(toAccount, keys(down, ok, stop, ok, back, back))
	runMenuTests(t, []menuTest{
		{name: "account", steps: toAccount,
			want16: []string{">Server", " smtp.example.co"},
			want20: []string{">Server", " smtp.example.com", " Port", " 587"},
		},
		{name: "the password is masked", steps: seq(toAccount, keys(down, down, down, down)),
			want16: []string{">Password", " ********"},
			want20: []string{" User", " scanner@example.com", ">Password", " ********"},
		},
		{name: "the sender", steps: seq(toAccount, keys(up)),
			want16: []string{">Sender", " scanner@example"},
			want20: []string{" Password", " ********", ">Sender", " scanner@example.com"},
		},
		{name: "edit the server", steps: seq(toAccount, keys(ok)),
			want16: []string{"Server", "mtp.example.com"},
			want20: []string{"Server", "smtp.example.com", "", "Send ins  Stop del"},
		},
		{name: "the port", steps: seq(toAccount, keys(down, ok)),
			want16: []string{"Port", "587"},
			want20: []string{"Port", "587", "", "Send ins  Stop del"},
		},
		{name: "security", steps: seq(toAccount, keys(down, down, ok)),
			want16: []string{"Security", ">starttls"},
			want20: []string{"Security", ">starttls", " tls"},
		},
		{name: "choose tls", steps: seq(toAccount, keys(down, down, ok, down, ok)),
			want16: []string{">Security", " tls"},
			want20: []string{" Port", " 587", ">Security", " tls"},
		},
		{name: "device", steps: toDevice,
			want16: []string{">Port", " /dev/ttyUSB0"},
			want20: []string{">Port", " /dev/ttyUSB0", " Baud", " 115200"},
		},
		{name: "baud", steps: seq(toDevice, keys(down, ok)),
			want16: []string{"Baud", ">115200"},
			want20: []string{"Baud", " 38400", " 57600", ">115200"},
		},
		{name: "a baud rate not in the list", cfg: with(func(c *panel.Config) { c.Device.Baud = 7200 }), steps: seq(toDevice, keys(down, ok)),
			want16: []string{"Baud", ">7200"},
			want20: []string{"Baud", " 115200", " 230400", ">7200"},
		},
		{name: "flow", steps: seq(toDevice, keys(up, ok)),
			want16: []string{"Flow", ">none"},
			want20: []string{"Flow", ">none", " rtscts", " xonxoff"},
		},
		{name: "protocol", steps: seq(toDevice, keys(up, up, ok)),
			want16: []string{"Protocol", ">ymodem"},
			want20: []string{"Protocol", " zmodem", ">ymodem", " xmodem"},
		},
		{name: "address book", steps: toBook,
			want16: []string{">New entry", " 1 Demo inbox"},
			want20: []string{">New entry", " 1 Demo inbox", " 2 Accounts", " 3 Muller & Sohne Bu"},
		},
		{name: "an entry", steps: seq(toBook, keys(down, ok)),
			want16: []string{">Name", " Demo inbox"},
			want20: []string{">Name", " Demo inbox", " Address", " demo@scangate.test"},
		},
		{name: "its address", steps: seq(toBook, keys(down, ok, down)),
			want16: []string{">Address", " demo@scangate.t"},
			want20: []string{" Name", " Demo inbox", ">Address", " demo@scangate.test"},
		},
		{name: "a new entry's name", steps: seq(toBook, keys(ok)),
			want16: []string{"Name"},
			want20: []string{"Name", "", "", "Send ins  Stop del"},
		},
		{name: "then its address", steps: seq(toBook, keys(ok), typed("Sales"), keys(ok)),
			want16: []string{"Address"},
			want20: []string{"Address", "", "", "Send ins  Stop del"},
		},
		{name: "the entry is added", steps: seq(toBook, keys(ok), typed("Sales"), keys(ok), typed("sales@example.com"), keys(ok)),
			want16: []string{" 3 Muller & Sohn", ">4 Sales"},
			want20: []string{" 1 Demo inbox", " 2 Accounts", " 3 Muller & Sohne Bu", ">4 Sales"},
		},
		{name: "back in the address returns to the name", steps: seq(toBook, keys(ok), typed("Sales"), keys(ok, back)),
			want16: []string{"Name", "Sales"},
			want20: []string{"Name", "Sales", "", "Send ins  Stop del"},
		},
		{name: "back in the name cancels", steps: seq(toBook, keys(ok, up, back)),
			want16: []string{">New entry", " 1 Demo inbox"},
			want20: []string{">New entry", " 1 Demo inbox", " 2 Accounts", " 3 Muller & Sohne Bu"},
		},
		{name: "deleting an entry asks first", steps: seq(toBook, keys(down, ok, up, ok)),
			want16: []string{"Delete entry?", "OK=yes Back=no"},
			want20: []string{"Delete entry?", "OK=yes Back=no"},
		},
		{name: "delete", steps: seq(toBook, keys(down, ok, up, ok, ok)),
			want16: []string{" New entry", "Deleted"},
			want20: []string{" New entry", ">1 Accounts", " 2 Muller & Sohne Bu", "Deleted"},
		},
		{name: "a full book", cfg: with(func(c *panel.Config) { c.Book = numbered(100) }), steps: seq(toBook, keys(ok)),
			want16: []string{"Book is full", "100 entries max"},
			want20: []string{"Book is full", "100 entries max"},
		},
		{name: "the last of 100 entries", cfg: with(func(c *panel.Config) { c.Book = numbered(100) }), steps: seq(toBook, keys(up)),
			want16: []string{" 99 Entry 99", ">100 Entry 100"},
			want20: []string{" 97 Entry 97", " 98 Entry 98", " 99 Entry 99", ">100 Entry 100"},
		},
		{name: "a new PIN", steps: toNewPIN,
			want16: []string{"New PIN"},
			want20: []string{"New PIN", "", "", "Right next  OK done"},
		},
		{name: "a new PIN too short", steps: seq(toNewPIN, digits("123"), keys(ok)),
			want16: []string{"New PIN", "4 to 8 digits"},
			want20: []string{"New PIN", "**3", "", "4 to 8 digits"},
		},
		{name: "repeat the new PIN", steps: seq(toNewPIN, digits("1357"), keys(ok)),
			want16: []string{"Repeat PIN"},
			want20: []string{"Repeat PIN", "", "", "Right next  OK done"},
		},
		{name: "PIN changed", steps: seq(toNewPIN, digits("1357"), keys(ok), digits("1357"), keys(ok)),
			want16: []string{"PIN changed", "Save to keep it"},
			want20: []string{"PIN changed", "Save to keep it"},
		},
		{name: "PINs differ", steps: seq(toNewPIN, digits("1357"), keys(ok), digits("1358"), keys(ok)),
			want16: []string{"PINs differ", "PIN not changed"},
			want20: []string{"PINs differ", "PIN not changed"},
		},
		{name: "save asks the appliance", steps: toSave, req: save,
			want16: []string{"Saving..."},
			want20: []string{"Saving..."},
		},
		{name: "keys wait while saving", steps: seq(toSave, keys(back)), req: none,
			want16: []string{"Saving...", "Please wait"},
			want20: []string{"Saving...", "", "", "Please wait"},
		},
		{name: "saved", steps: seq(toSave, []step{answer(panel.Answer{To: panel.RequestSaveSettings, OK: true})}),
			want16: []string{"Saved"},
			want20: []string{"Saved"},
		},
		{name: "the appliance's words", steps: seq(toSave, []step{answer(panel.Answer{To: panel.RequestSaveSettings, OK: true, Short: "Saved, applied"})}),
			want16: []string{"Saved, applied"},
			want20: []string{"Saved, applied"},
		},
		{name: "not saved", steps: seq(toSave, []step{answer(panel.Answer{To: panel.RequestSaveSettings, Short: "Not saved",
			Detail: "The memory card is full."})}),
			want16: []string{"Not saved", "The memory card"},
			want20: []string{"Not saved", "The memory card is", "full."},
		},
		{name: "back to the settings", steps: seq(toSave, []step{answer(panel.Answer{To: panel.RequestSaveSettings, OK: true})}, keys(ok)),
			want16: []string{" Change PIN", ">Save"},
			want20: []string{" Address book", " Device", " Change PIN", ">Save"},
		},
		{name: "an idle menu waits for the save", steps: seq(toSave, []step{ticks(300)}),
			want16: []string{"Saving..."},
			want20: []string{"Saving..."},
		},
		{name: "discard asks first", steps: changedPort,
			want16: []string{"Discard changes?", "OK=yes Back=no"},
			want20: []string{"Discard changes?", "OK=yes Back=no"},
		},
		{name: "keep the changes", steps: seq(changedPort, keys(back)),
			want16: []string{">Account", " Address book"},
			want20: []string{">Account", " Address book", " Device", " Change PIN"},
		},
		{name: "discard them", steps: seq(changedPort, keys(ok)),
			want16: []string{" About", ">Settings"},
			want20: []string{" Test account", " Network", " About", ">Settings"},
		},
		{name: "unchanged settings leave at once", steps: seq(toAccount, keys(ok, ok, back, back)),
			want16: []string{" About", ">Settings"},
			want20: []string{" Test account", " Network", " About", ">Settings"},
		},
	})
}
