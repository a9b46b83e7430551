package spool

import (
	"time"
)

// Policy is the retry schedule for temporary failures: exponential backoff with jitter, capped, for a limited
// lifetime (RFC 5321 §4.5.4.1 asks for a delay after every failure and for configurable parameters).
type Policy struct {
	// First is the delay before the first retry; each later one doubles, up to Max.
	First time.Duration
	Max   time.Duration
	// Lifetime is how long a job is retried after it was queued before it fails for good.
	Lifetime time.Duration
}

// Default retry schedule.
const (
	DefaultFirstRetry = time.Minute
	DefaultMaxRetry   = time.Hour
	DefaultLifetime   = 72 * time.Hour
)

// WithDefaults fills the zero fields.
func (p Policy) WithDefaults() Policy {
	if p.First == 0 {
		p.First = DefaultFirstRetry
	}
	if p.Max == 0 {
		p.Max = DefaultMaxRetry
	}
	if p.Lifetime == 0 {
		p.Lifetime = DefaultLifetime
	}
	return p
}

// Next returns when to try a job again after its attempts-th failure (counted from 1), or expired when its
// lifetime has run out. jitter, in [0, 1), spreads retries (each delay is between 75% and 100% of its step) so
// that jobs queued together do not all hit the server again at the same moment. The last attempt falls at the
// end of the lifetime.
func (p Policy) Next(attempts int, created, now time.Time, jitter float64) (at time.Time, expired bool) {
	p = p.WithDefaults()
	end := created.Add(p.Lifetime)
	if !now.Before(end) {
		return time.Time{}, true
	}
	d := p.First
	for i := 1; i < attempts && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	d -= time.Duration(float64(d) * 0.25 * jitter)
	at = now.Add(d)
	if at.After(end) {
		at = end
	}
	return at, false
}
