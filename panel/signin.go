package panel

import (
	"fmt"
	"strings"
	"time"
)

// The words of the sign-in screens. expiredWords is the whole sentence,
// shown where it fits; expiredTitle and expiredHint say it on 16x2.
const (
	askingCode   = "Getting code..."
	expiredWords = "Code expired - press OK for a new one"
	expiredTitle = "Code expired"
	expiredHint  = "OK: new code"
)

// signInView is a sign-in with a code (RFC 8628): it waits for the code,
// shows the page to open and the code to type there with a countdown to the
// code's expiry, and once the code has expired offers a new one. Its end
// (signed in, refused, failed) puts a message in its place.
type signInView struct {
	code    *SignInCode // nil while the code is awaited
	expired bool        // the appliance said the code expired
}

// openSignIn starts a sign-in from Settings > Account.
func (p *Panel) openSignIn() Request {
	p.push(&signInView{})
	return p.startSignIn()
}

// startSignIn asks for a code. It is asked even when a sign-in is under way:
// the appliance replaces that one.
func (p *Panel) startSignIn() Request {
	p.pending[RequestSignIn] = true
	return Request{Kind: RequestSignIn}
}

// signInAnswer takes an Answer to RequestSignIn: the code, or the end of the
// sign-in. An answer when no sign-in is under way is dropped.
func (p *Panel) signInAnswer(a Answer) {
	if !p.pending[RequestSignIn] {
		return
	}
	if a.SignIn == nil {
		p.pending[RequestSignIn] = false
	}
	v, ok := p.top().(*signInView)
	if !ok || p.mode != modeMenu {
		return
	}
	switch {
	case a.SignIn != nil:
		code := *a.SignIn
		v.code, v.expired = &code, false
		p.ticks = 0
	case a.OK:
		p.replace(message(verdict(a, "Signed in", ""), 1, a.Detail))
	case a.Expired:
		v.expired = true
	case v.isExpired(p):
		// The countdown ran out first: the appliance's words add nothing.
	default:
		p.replace(message(verdict(a, "", "Not signed in"), 1, a.Detail))
	}
}

// isExpired reports whether the code has expired: the appliance said so,
// or the countdown reached 0.
func (v *signInView) isExpired(p *Panel) bool {
	return v.expired || v.code != nil && !p.now().Before(v.code.Expires)
}

// live reports whether the sign-in waits for the appliance or for the
// person: the menu does not close for want of keys meanwhile.
func (v *signInView) live(p *Panel) bool { return !v.isExpired(p) }

func (v *signInView) key(p *Panel, k Key) Request {
	switch {
	case k == KeyBack || k == KeyLeft:
		p.pop(1)
		if p.pending[RequestSignIn] {
			p.pending[RequestSignIn] = false
			return Request{Kind: RequestCancelSignIn}
		}
	case v.isExpired(p):
		if k == KeyOK {
			v.code, v.expired = nil, false
			return p.startSignIn()
		}
	case v.code != nil && (k == KeyUp || k == KeyDown):
		p.ticks = 0 // the page scrolls from its start again
	default:
		p.setHint(hintCancel)
	}
	return Request{}
}

func (v *signInView) rows(p *Panel) []row {
	if v.isExpired(p) {
		if lines := wrap(expiredWords, p.cols); len(lines) <= p.rows {
			out := make([]row, len(lines))
			for i, l := range lines {
				out[i] = row{text: l}
			}
			return out
		}
		return []row{{text: expiredTitle}, {text: expiredHint}}
	}
	if v.code == nil {
		return []row{{text: askingCode}}
	}
	page := toASCII(strings.TrimPrefix(v.code.URI, "https://"))
	code := toASCII(v.code.UserCode)
	left := countdown(v.code.Expires.Sub(p.now()))
	if p.rows >= 4 {
		var out []row
		if first, rest, ok := splitPage(page, p.cols); ok {
			out = []row{{text: first}, {text: rest}}
		} else {
			out = []row{{text: "Sign in at"}, {text: page, scroll: true}}
		}
		return append(out, row{text: "Code: " + code, scroll: true}, row{text: "Expires in " + left})
	}
	// 16x2: the page, then the code and the countdown as far as it fits.
	second := row{text: code, scroll: true}
	if len(code)+1+len(left) <= p.cols {
		second = row{text: fit(code, p.cols-len(left)) + left}
	}
	return []row{{text: page, scroll: true}, second}
}

// splitPage breaks a page's address that is longer than w but fits in two
// rows of w, after a '/' or '.' when it can, so that it shows whole without
// scrolling.
func splitPage(page string, w int) (first, rest string, ok bool) {
	if len(page) <= w || len(page) > 2*w {
		return "", "", false
	}
	cut := w
	if i := strings.LastIndexAny(page[:w], "/.?&=-"); i >= 0 && len(page)-(i+1) <= w {
		cut = i + 1
	}
	return page[:cut], page[cut:], true
}

// countdown returns the time left as m:ss, rounded up to whole seconds.
func countdown(left time.Duration) string {
	secs := max(int((left+time.Second-1)/time.Second), 0)
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}
