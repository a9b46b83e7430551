package frontpanel

import (
	"context"
	"errors"
	"time"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/panel"
)

// signer is the core's OAuth sign-in as the panel's edge uses it. gatewaySigner puts the Gateway behind it; the
// tests of this package put a fake in its place, since they reach no authorization server.
type signer interface {
	SignInEnabled() bool
	SignInNotice() (text string, problem bool)
	StartSignIn(ctx context.Context) (*appliance.SignIn, error)
	// WaitSignIn waits for the end of the sign-in s, as (*appliance.SignIn).Wait.
	WaitSignIn(ctx context.Context, s *appliance.SignIn) error
}

// gatewaySigner is the Gateway as a signer.
type gatewaySigner struct{ *appliance.Gateway }

func (gatewaySigner) WaitSignIn(ctx context.Context, s *appliance.SignIn) error { return s.Wait(ctx) }

// signing returns the sign-in in use: the Gateway's unless a test put another in f.signer.
func (f *front) signing() signer {
	if f.signer != nil {
		return f.signer
	}
	return gatewaySigner{f.g}
}

// kickLoop has the delivery loop look at the queue now.
func (f *front) kickLoop() {
	if f.kick != nil {
		f.kick()
		return
	}
	f.d.Kick()
}

// signInNews is what a sign-in has for the panel: its code, or its end with the looks that the end calls for.
// turn says which sign-in it comes from: the key loop drops the news of one cancelled or replaced since.
type signInNews struct {
	turn   int
	events []panel.Event
	end    bool
}

// signIn runs a sign-in for the panel (a goroutine of its own): it asks the authorization server for a code,
// posts it, waits for the person to approve it on another device, and posts the end. On success the delivery
// loop is kicked, which lifts the account's hold and sends the held jobs. Once ctx ends (the panel cancelled
// or replaced the sign-in, or the key loop ended) it posts nothing more.
func (f *front) signIn(ctx context.Context, turn int, news chan<- signInNews) {
	post := func(n signInNews) {
		n.turn = turn
		select {
		case news <- n:
		case <-ctx.Done():
		}
	}
	s := f.signing()
	in, err := s.StartSignIn(ctx)
	if err == nil && in == nil {
		err = errors.New("frontpanel: the sign-in gave no code")
	}
	if err != nil {
		if ctx.Err() == nil {
			post(signInNews{end: true, events: []panel.Event{{Answer: f.signInEnd(err, time.Time{})}}})
		}
		return
	}
	c := in.Code
	post(signInNews{events: []panel.Event{{Answer: &panel.Answer{To: panel.RequestSignIn, OK: true,
		SignIn: &panel.SignInCode{URI: c.URI, UserCode: c.UserCode, Expires: c.Expires}}}}})
	err = s.WaitSignIn(ctx, in)
	if err == nil {
		f.kickLoop()
	}
	if err != nil && ctx.Err() != nil {
		return // cancelled: the panel asked for no more
	}
	end := f.signInEnd(err, c.Expires)
	if err == nil {
		f.g.Log().Info("signed in on the panel")
	} else {
		f.g.Log().Warn("sign-in on the panel ended", "result", end.Short, "detail", end.Detail)
	}
	post(signInNews{end: true, events: []panel.Event{{Answer: end}, f.queueEvent(), f.notice()}})
}

// signInEnd puts the end of a sign-in into the panel's answer, in the words of appliance.ExplainSignIn: signed in
// when err is nil. It is Expired (the panel offers a new code) when the code expired, or when its expiry has
// passed whatever the error; expires is zero while there is no code.
func (f *front) signInEnd(err error, expires time.Time) *panel.Answer {
	a := &panel.Answer{To: panel.RequestSignIn, OK: err == nil}
	a.Short, a.Detail = appliance.ExplainSignIn(err)
	a.Expired = err != nil && (errors.Is(err, appliance.ErrCodeExpired) || !expires.IsZero() && !f.g.Now().Before(expires))
	return a
}
