package panel_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/panel"
)

// oauth is office with an account that signs in with OAuth.
var oauth = with(func(c *panel.Config) { c.SignIn, c.Account.Password = true, "" })

var (
	toSignIn = seq(toAccount, keys(down, down, down, down, ok))
	expires  = noon.Add(15 * time.Minute)
	msCode   = panel.SignInCode{URI: "https://microsoft.com/devicelogin", UserCode: "ABCD-EFGH", Expires: expires}
	// Answers of the appliance to RequestSignIn.
	codeShown = answer(panel.Answer{To: panel.RequestSignIn, OK: true, SignIn: &msCode})
	signedIn  = answer(panel.Answer{To: panel.RequestSignIn, OK: true, Short: "Signed in",
		Detail: "The gateway sends as scanner@example.com."})
	refused = answer(panel.Answer{To: panel.RequestSignIn, Short: "Sign-in refused",
		Detail: "The person at the sign-in page refused the request (access_denied)."})
	expiredAnswer = answer(panel.Answer{To: panel.RequestSignIn, Expired: true, Short: "Code expired",
		Detail: "The code expired before it was entered."})
	codeRunsOut = []step{wait(15 * time.Minute), ticks(1)}
)

func codeAnswer(c panel.SignInCode) step {
	return answer(panel.Answer{To: panel.RequestSignIn, OK: true, SignIn: &c})
}

func TestSignInScreens(t *testing.T) {
	none := &panel.Request{}
	signIn := &panel.Request{Kind: panel.RequestSignIn}
	cancel := &panel.Request{Kind: panel.RequestCancelSignIn}
	accountList16 := []string{">Sign in", " OK: get a code"}
	accountList20 := []string{" User", " scanner@example.com", ">Sign in", " OK: get a code"}
	runMenuTests(t, []menuTest{
		{name: "sign in takes the password's place", cfg: oauth, steps: seq(toAccount, keys(down, down, down, down)),
			want16: accountList16,
			want20: accountList20,
		},
		{name: "sign in asks for a code", cfg: oauth, steps: toSignIn, req: signIn,
			want16: []string{"Getting code..."},
			want20: []string{"Getting code..."},
		},
		{name: "other keys say how to cancel", cfg: oauth, steps: seq(toSignIn, keys(ok)), req: none,
			want16: []string{"Getting code...", "Back to cancel"},
			want20: []string{"Getting code...", "", "", "Back to cancel"},
		},
		{name: "back while the code is asked for cancels", cfg: oauth, steps: seq(toSignIn, keys(back)), req: cancel,
			want16: accountList16,
			want20: accountList20,
		},
		{name: "the page, the code and the countdown", cfg: oauth, steps: seq(toSignIn, []step{codeShown}),
			want16: []string{"microsoft.com/de", "ABCD-EFGH  15:00"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCD-EFGH", "Expires in 15:00"},
		},
		{name: "the page scrolls on 16x2", cfg: oauth, steps: seq(toSignIn, []step{codeShown, ticks(5)}),
			want16: []string{"rosoft.com/devic", "ABCD-EFGH  15:00"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCD-EFGH", "Expires in 15:00"},
		},
		{name: "up starts the page again", cfg: oauth, steps: seq(toSignIn, []step{codeShown, ticks(5)}, keys(up)), req: none,
			want16: []string{"microsoft.com/de", "ABCD-EFGH  15:00"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCD-EFGH", "Expires in 15:00"},
		},
		{name: "the countdown goes down with the clock", cfg: oauth, steps: seq(toSignIn, []step{codeShown, wait(61 * time.Second), ticks(1)}),
			want16: []string{"microsoft.com/de", "ABCD-EFGH  13:59"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCD-EFGH", "Expires in 13:59"},
		},
		{name: "one second left", cfg: oauth, steps: seq(toSignIn, []step{codeShown, wait(15*time.Minute - time.Second), ticks(1)}),
			want16: []string{"microsoft.com/de", "ABCD-EFGH   0:01"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCD-EFGH", "Expires in 0:01"},
		},
		{name: "the code expires", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, codeRunsOut),
			want16: []string{"Code expired", "OK: new code"},
			want20: []string{"Code expired - press", "OK for a new one"},
		},
		{name: "ok asks for a new code", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, codeRunsOut, keys(ok)), req: signIn,
			want16: []string{"Getting code..."},
			want20: []string{"Getting code..."},
		},
		{name: "and shows it", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, codeRunsOut, keys(ok),
			[]step{codeAnswer(panel.SignInCode{URI: msCode.URI, UserCode: "WXYZ-2345", Expires: expires.Add(15 * time.Minute)})}),
			want16: []string{"microsoft.com/de", "WXYZ-2345  15:00"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: WXYZ-2345", "Expires in 15:00"},
		},
		{name: "the appliance says the code expired", cfg: oauth, steps: seq(toSignIn, []step{codeShown, expiredAnswer}),
			want16: []string{"Code expired", "OK: new code"},
			want20: []string{"Code expired - press", "OK for a new one"},
		},
		{name: "back leaves an expired code", cfg: oauth, steps: seq(toSignIn, []step{codeShown, expiredAnswer}, keys(back)), req: none,
			want16: accountList16,
			want20: accountList20,
		},
		{name: "back leaves a code run out, cancelling the wait", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, codeRunsOut, keys(back)), req: cancel,
			want16: accountList16,
			want20: accountList20,
		},
		{name: "the appliance's end after the countdown keeps the screen", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, codeRunsOut,
			[]step{answer(panel.Answer{To: panel.RequestSignIn, Short: "Failed", Detail: "expired_token"})}),
			want16: []string{"Code expired", "OK: new code"},
			want20: []string{"Code expired - press", "OK for a new one"},
		},
		{name: "approved at the last second", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, codeRunsOut, []step{signedIn}),
			want16: []string{"Signed in", "The gateway"},
			want20: []string{"Signed in", "The gateway sends as", "scanner@example.com."},
		},
		{name: "back cancels", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, keys(back)), req: cancel,
			want16: accountList16,
			want20: accountList20,
		},
		{name: "left cancels", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, keys(left)), req: cancel,
			want16: accountList16,
			want20: accountList20,
		},
		{name: "ok says how to cancel", cfg: oauth, steps: seq(toSignIn, []step{codeShown}, keys(ok)), req: none,
			want16: []string{"microsoft.com/de", "Back to cancel"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCD-EFGH", "Back to cancel"},
		},
		{name: "an answer after back is dropped", cfg: oauth, steps: seq(toSignIn, keys(back), []step{codeShown}),
			want16: accountList16,
			want20: accountList20,
		},
		{name: "signed in", cfg: oauth, steps: seq(toSignIn, []step{codeShown, signedIn}),
			want16: []string{"Signed in", "The gateway"},
			want20: []string{"Signed in", "The gateway sends as", "scanner@example.com."},
		},
		{name: "signed in without words", cfg: oauth, steps: seq(toSignIn, []step{codeShown,
			answer(panel.Answer{To: panel.RequestSignIn, OK: true})}),
			want16: []string{"Signed in"},
			want20: []string{"Signed in"},
		},
		{name: "then back to the account", cfg: oauth, steps: seq(toSignIn, []step{codeShown, signedIn}, keys(ok)),
			want16: accountList16,
			want20: accountList20,
		},
		{name: "refused", cfg: oauth, steps: seq(toSignIn, []step{codeShown, refused}),
			want16: []string{"Sign-in refused", "The person at"},
			want20: []string{"Sign-in refused", "The person at the", "sign-in page refused", "the request"},
		},
		{name: "the refusal scrolls", cfg: oauth, steps: seq(toSignIn, []step{codeShown, refused}, keys(down, down)),
			want16: []string{"Sign-in refused", "refused the"},
			want20: []string{"Sign-in refused", "sign-in page refused", "the request", "(access_denied)."},
		},
		{name: "and leaves to the account", cfg: oauth, steps: seq(toSignIn, []step{codeShown, refused}, keys(down, back)),
			want16: accountList16,
			want20: accountList20,
		},
		{name: "no code", cfg: oauth, steps: seq(toSignIn, []step{answer(panel.Answer{To: panel.RequestSignIn, Short: "No network",
			Detail: "The authorization server cannot be reached: dial tcp: i/o timeout."})}),
			want16: []string{"No network", "The"},
			want20: []string{"No network", "The authorization", "server cannot be", "reached: dial tcp:"},
		},
		{name: "a failure without words", cfg: oauth, steps: seq(toSignIn, []step{codeShown, answer(panel.Answer{To: panel.RequestSignIn})}),
			want16: []string{"Not signed in"},
			want20: []string{"Not signed in"},
		},
		{name: "google's page fits two rows", cfg: oauth, steps: seq(toSignIn, []step{codeAnswer(panel.SignInCode{
			URI: "https://www.google.com/device", UserCode: "WDJB-MJHT", Expires: noon.Add(30 * time.Minute)})}),
			want16: []string{"www.google.com/d", "WDJB-MJHT  30:00"},
			want20: []string{"www.google.com/", "device", "Code: WDJB-MJHT", "Expires in 30:00"},
		},
		{name: "a short page", cfg: oauth, steps: seq(toSignIn, []step{codeAnswer(panel.SignInCode{
			URI: "https://example.com/dev", UserCode: "1234", Expires: noon.Add(90 * time.Second)})}),
			want16: []string{"example.com/dev", "1234        1:30"},
			want20: []string{"Sign in at", "example.com/dev", "Code: 1234", "Expires in 1:30"},
		},
		{name: "a long page scrolls on 20x4 too", cfg: oauth, steps: seq(toSignIn, []step{codeAnswer(panel.SignInCode{
			URI: "https://login.microsoftonline.com/common/oauth2/deviceauth", UserCode: "ABCD-EFGH", Expires: expires}), ticks(5)}),
			want16: []string{"in.microsoftonli", "ABCD-EFGH  15:00"},
			want20: []string{"Sign in at", "in.microsoftonline.c", "Code: ABCD-EFGH", "Expires in 15:00"},
		},
		{name: "a long code leaves out the countdown on 16x2", cfg: oauth, steps: seq(toSignIn, []step{codeAnswer(panel.SignInCode{
			URI: msCode.URI, UserCode: "ABCDEFGHIJKL", Expires: expires})}),
			want16: []string{"microsoft.com/de", "ABCDEFGHIJKL"},
			want20: []string{"microsoft.com/", "devicelogin", "Code: ABCDEFGHIJKL", "Expires in 15:00"},
		},
	})
}

// TestSignInItem checks that "Sign in" is offered only to an account that
// signs in with OAuth, and the password only to one that does not.
func TestSignInItem(t *testing.T) {
	for _, tt := range []struct {
		cfg       panel.Config
		want, not string
	}{{office, ">Password", ">Sign in"}, {oauth, ">Sign in", ">Password"}} {
		for _, size := range [][2]int{{16, 2}, {20, 4}} {
			r := newRig(t, size[0], size[1], tt.cfg)
			r.run(toAccount...)
			var labels []string
			for range 6 { // the six items of the account, once round
				labels = append(labels, r.d.Lines()...)
				r.run(key(down))
			}
			all := strings.Join(labels, "|")
			if !strings.Contains(all, tt.want) || strings.Contains(all, tt.not) {
				t.Errorf("SignIn %v, %dx%d: the account offers\n%s", tt.cfg.SignIn, size[0], size[1], all)
			}
		}
	}
}

// TestSignInWaits checks Waiting and the menu's idle timeout through a
// sign-in: the panel waits from the request to the end, and does not close
// while someone types the code elsewhere.
func TestSignInWaits(t *testing.T) {
	r := newRig(t, 16, 2, oauth)
	r.run(toSignIn...)
	if !r.p.Waiting() {
		t.Fatal("not waiting for the code")
	}
	r.run(ticks(300))
	if got := r.d.Lines()[0]; got != "Getting code... " {
		t.Fatalf("the menu closed while the code was asked for:\n%s", r.d)
	}
	r.run(codeShown, wait(14*time.Minute), ticks(300))
	if !r.p.Waiting() || r.d.Lines()[1] != "ABCD-EFGH   1:00" {
		t.Fatalf("waiting %v while the code shows:\n%s", r.p.Waiting(), r.d)
	}
	// Once the code has run out the menu closes as usual, about 2 minutes
	// later; the appliance's end of the sign-in is still taken.
	r.run(wait(time.Minute), ticks(239))
	if got := r.d.Lines()[0]; got != "Code expired    " {
		t.Fatalf("the expired code closed early:\n%s", r.d)
	}
	r.run(ticks(1))
	if got := r.d.Lines()[1]; got != "To: Demo inbox  " {
		t.Fatalf("the menu stayed open:\n%s", r.d)
	}
	if !r.p.Waiting() {
		t.Error("the sign-in ended before the appliance said so")
	}
	r.run(expiredAnswer)
	if r.p.Waiting() {
		t.Error("still waiting after the end of the sign-in")
	}

	// Back ends the wait; answers that come after it change nothing.
	r = newRig(t, 20, 4, oauth)
	r.run(seq(toSignIn, []step{codeShown}, keys(back))...)
	if r.p.Waiting() {
		t.Error("waiting after back")
	}
	before := r.d.Lines()
	r.run(codeShown, signedIn, refused)
	if got := r.d.Lines(); !slices.Equal(got, before) {
		t.Errorf("late answers changed the screen:\n%s", r.d)
	}
}

// TestSignInRequests checks the requests of a whole sign-in: a code, one
// that runs out, a new one, and back.
func TestSignInRequests(t *testing.T) {
	r := newRig(t, 16, 2, oauth)
	r.run(seq(toSignIn, []step{codeShown}, codeRunsOut, keys(down, ok), []step{codeShown}, keys(back))...)
	var got []panel.RequestKind
	for _, q := range r.reqs {
		if q.Kind != panel.RequestNone {
			got = append(got, q.Kind)
		}
	}
	want := []panel.RequestKind{panel.RequestSignIn, panel.RequestSignIn, panel.RequestCancelSignIn}
	if !slices.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
}
