package board

import (
	"context"
	"fmt"
	"time"
)

// WaitingForClock is what WaitForClock shows while it waits.
const WaitingForClock = "Waiting for clock"

// ClockPlausible reports whether now can be the real time: not before
// earliest. A board without a battery-backed clock starts at some date in
// the past until the network sets its clock, and TLS certificates cannot be
// checked against such a clock. The gateway passes
// submit.DefaultEarliestTime() as earliest, the date its TLS check uses.
func ClockPlausible(now, earliest time.Time) bool { return !now.Before(earliest) }

// WaitForClock returns once now reads a plausible time (see
// ClockPlausible), checking every poll. If the first reading is not
// plausible it calls show(WaitingForClock) once, for the panel. It returns
// an error wrapping ctx's error if ctx ends first.
func WaitForClock(ctx context.Context, earliest time.Time, now func() time.Time, poll time.Duration, show func(string)) error {
	if ClockPlausible(now(), earliest) {
		return nil
	}
	show(WaitingForClock)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("board: waiting for the clock: %w", ctx.Err())
		case <-t.C:
			if ClockPlausible(now(), earliest) {
				return nil
			}
		}
	}
}
