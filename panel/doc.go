// Package panel is the front panel of the gateway: the state machine behind
// the character LCD, the keys and the three LEDs, independent of any real
// screen.
//
// # Driving it
//
// A Panel draws on any periph display.TextDisplay of at least 16x2
// characters. It starts no goroutines and does no I/O but drawing: the
// caller feeds it key presses (Key), news from the appliance (Event) and a
// clock tick every TickInterval (Tick), and after each call reads the LEDs
// to set the lights. The time of day comes from an injected function, so
// tests control the clock, the blinking and the PIN lockout.
//
// Key returns a Request, the only way the panel asks for work. Send and Stop
// drive the job in progress; every other kind is slow work the appliance
// runs in the background and answers with exactly one Event whose Answer
// names the request in Answer.To; the sign-in is the exception, its start
// answered twice and its cancel not at all:
//
//	RequestSend          pull a scan and send it to Request.Dest; progress
//	                     comes as Events, the end as an Event with a Result
//	RequestStop          stop the job: during the pull at once; once the
//	                     scan is queued only after "Stop? OK=yes", and then
//	                     the scan must not be sent (without OK it is)
//	RequestSaveSettings  save Request.Settings atomically and apply them
//	                     without a restart; Answer.OK, Short ("Saved",
//	                     "Not saved"), Detail
//	RequestTestAccount   self-test of the saved account; Short is the
//	                     verdict, Detail the sentence behind it
//	RequestRetryJob      send the queued job Request.Job again now
//	RequestDeleteJob     remove the queued job Request.Job (confirmed)
//	RequestJournal       the last journal entries, newest first, in
//	                     Answer.Journal
//	RequestNetwork       the network addresses, one per line, in Answer.Lines
//	RequestSignIn        sign the account in with OAuth (device flow, RFC
//	                     8628), replacing a sign-in under way (whose
//	                     answers stop): answered first with the code in
//	                     Answer.SignIn (page, user code, expiry), later a
//	                     second time, without SignIn, with the end: OK
//	                     (signed in), Expired, or Short and Detail
//	                     ("Sign-in refused"); when no code can be had, the
//	                     first answer is the end
//	RequestCancelSignIn  stop waiting for the sign-in under way (the person
//	                     left its screen); not answered, and after it the
//	                     appliance sends nothing more about that sign-in
//
// A request of a kind already under way is not sent again, but for
// RequestSignIn, which asks for a new code (OK on an expired one) in place
// of the old sign-in. Waiting reports that an answer is awaited, for a
// sign-in until its end; keys pressed while a save is under way are
// ignored, so a script of keys should wait for the answer.
//
// The panel never sees a token: a sign-in gives it the page and the user
// code, which the person types on a phone or PC, and in the end only
// words. A sign-in uses the saved account, not settings being edited.
//
// Besides progress, results and answers, the appliance sends an Event with
// a Queue whenever the queue changes (and once at start), and one with a
// Notice when the ready screen should show a status instead of the device
// name ("Setting clock", "Sign in again", "No machine"). A job in the queue
// with Problem set, or a notice with Problem set, gets a marker on the ready
// screen and lights the Error LED.
//
// # Keys
//
// The keys are up, down, left, right, ok, back, send and stop; every one is
// a single press, so scripts can reach every screen.
//
//	Ready, Details  up/down    previous/next destination (wrapping)
//	                left/right 10 destinations back/on, stopping at the ends
//	                ok         the destination's details (ok again returns)
//	                send       send to the selected destination
//	                back       Details: back to Ready; Ready: open the menu
//	Progress        stop       during the pull: stop; later: ask, OK stops
//	                other keys a hint; while asking, any other key means no
//	Result          a failure stays until ok or back; the arrows show its
//	                detail; a success goes on any key or after about 30 s
//	Lists (menu)    up/down    move the cursor '>' (wrapping)
//	                ok/right   open the item under the cursor
//	                back/left  leave the list
//	Text and numbers up/down   turn the character under the cursor on the
//	                           wheel; past the end they add one
//	                left/right move the cursor
//	                send       insert a space at the cursor
//	                stop       delete under the cursor (past the end: the
//	                           last character)
//	                ok         done
//	                back       cancel
//	PIN pad         up/down    turn the digit; right: next digit; ok: done;
//	                back/left  delete the last digit, leave when none
//	Questions       ok         yes; any other key: no
//	Messages        up/down    scroll; ok, back or left leave
//	Sign in         back/left  cancel the sign-in (RequestCancelSignIn) and
//	                           leave; up/down show the page from its start;
//	                           other keys a hint; once the code expired:
//	                           ok asks for a new one, back or left leave
//
// The text wheel starts with what e-mail addresses and host names need
// (a-z 0-9 . @ - _ +), then A-Z and the rest of printable ASCII, with the
// space last: down once gives a space. Number fields and the PIN pad turn
// 0-9. KeysFor and KeysForDigits return the presses that type a text into
// an empty field; FormatKeys turns keys into a list for ParseKeys.
//
// The menu closes after about 2 minutes without a key, dropping unsaved
// settings (not while a save is under way, nor while a sign-in waits for
// its code or shows a code that has not expired).
//
// # Screens
//
//	Ready       "Ready  Q:2 12:04"  device name (or a notice, or on a 16x2 a
//	            "To: Accounts"      marked problem "!Wrong password"), the
//	                                number of queued jobs and the clock; the
//	                                selected destination; on 20x4 its
//	                                address and the problem of a queued job,
//	                                or else the relay's "Relay: 3 today"
//	Details     "2 Accounts"        speed-dial number and name, the address,
//	            "accounts@exampl"   both scrolling when too long
//	Progress    "Receiving p2 34%"  Receiving, Queued, Converting, Sending,
//	            "#######="          the page and percent (or a size); a bar
//	                                when the total is known (on 20x4 under
//	                                "To: Accounts")
//	Sent        "Sent to Accounts"  until any key or about 30 s of ticks
//	Stopped     "Stopped"           like Sent, after a stop
//	Not sent    "Not sent"          Result.Short; the Error LED stays on until
//	            "Wrong password"    ok or back; arrows show Result.Detail
//	Menu        ">Queue (2)"        Queue, Journal, Test account, Network,
//	            " Journal"          About, Settings
//	Queue       ">Sales"            each job and its status; a job offers
//	            " Wrong password"   Retry, Delete (asks first) and Details
//	Journal     ">09:12 Sales"      each entry; ok shows its detail
//	Settings    ">Account"          behind the admin PIN: Account (server,
//	            " Address book"     port, security, user, password shown as
//	                                "********", sender; with Config.SignIn
//	                                "Sign in" in place of the password),
//	                                Address book (New entry, then entries by
//	                                number: name, address, delete), Device
//	                                (port, baud, protocol, flow), Change
//	                                PIN, Save
//	About       "Scangate"          Config.Version and Serial; with a relay
//	            "Version 1.4.0"     (Event.Relay) "Relay 0.0.0.0:587" per
//	                                address, "SHA-256 AB:CD:..." scrolling
//	                                and "Relay: 3 today"; up/down scroll
//	Sign in     "Getting code..."   until the code comes
//	Code        "microsoft.com/de"  the page without "https://", scrolling;
//	            "ABCD-EFGH  14:59"  the user code and the time left (m:ss,
//	                                on the injected clock, every tick); the
//	                                countdown is left out when the code needs
//	                                the row. 20x4: the page on two rows (cut
//	                                after a '/' or '.') or under "Sign in
//	                                at", "Code: ABCD-EFGH", "Expires in 14:59"
//	Expired     "Code expired"      when the countdown reaches 0 or the
//	            "OK: new code"      answer says Expired; where it fits (20x4)
//	                                "Code expired - press OK for a new one"
//	Signed in   "Signed in"         Answer.Short and Detail, then back to the
//	                                account
//	Refused     "Sign-in refused"   any failure: Short ("Not signed in" when
//	            "The person at"     empty) and Detail, scrolled with up/down
//
// A list on 16x2 shows two items, or one item with its value below it; a
// 20x4 shows twice as many. Text that needs it is wrapped (messages) or
// scrolls (values, details). While a job is in progress every key but stop
// is ignored and a hint says so on the last row for a moment.
//
// # Settings
//
// Settings (account, address book, device, PIN) are edited on a copy made
// when the right PIN is entered. Save checks what a panel can tell: a
// required field missing, a port outside 1-65535, an address net/mail does
// not parse, more than MaxBook entries, a value outside the lists of
// Config.Choices (which the packages that implement them own); a problem
// shows in two lines (what, and where: "Not an address", "Book 3 address")
// and nothing is asked. The rules of those packages (XON/XOFF only with a
// protocol that escapes those bytes, say) are checked by the appliance when
// it saves, and a refusal comes back in the answer. Otherwise the panel sends
// RequestSaveSettings and shows "Saving..." until the answer. Only when
// Answer.OK do the saved settings take effect on the panel (the address
// book of the ready screen, the PIN); after a failure the settings in force
// stay as they were, the message says why, and the edits can be saved again
// or dropped ("Discard changes?"). Leaving the settings ends the PIN's
// session.
//
// The PIN is MinPIN to MaxPIN digits, DefaultPIN while none is configured.
// Digits already entered show as '*', only the one being turned shows.
// After three wrong PINs in a row the settings stay locked for a minute
// ("Locked 0:45"), counted on the injected clock.
//
// # Text
//
// Every row is exactly as wide as the display: text is cut or padded, never
// written past the row's end, and only the changed part of a changed row is
// written. Text is turned into printable ASCII first (accented letters lose
// their accents), which every character LCD shows the same way; in a text
// field a character without a look-alike shows as '?' and is kept unless it
// is edited. Fields use the display's cursor (underline) to show where the
// next key acts.
//
// # Displays
//
// Displays that show a frame at a time (the simulated boards) implement
// Flusher and are flushed after each update. Displays that implement
// CustomChars, like the HD44780 with its eight CGRAM characters, get five
// characters (0 to 4: one to five pixel columns lit) for a progress bar with
// five steps per cell; others get '#' and '='. After a display error the
// next update redefines them and redraws everything. With Config.Blink the
// problem marker blinks once a second; leave it off where every new screen
// is logged, as in the script-mode sim.
package panel
