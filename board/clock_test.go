package board

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

var earliest = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestClockPlausible(t *testing.T) {
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{time.Unix(0, 0), false},
		{earliest.Add(-time.Nanosecond), false},
		{earliest, true},
		{earliest.In(time.FixedZone("UTC+14", 14*3600)), true},
		{time.Date(2031, 7, 1, 12, 0, 0, 0, time.Local), true},
	} {
		if got := ClockPlausible(tt.now, earliest); got != tt.want {
			t.Errorf("ClockPlausible(%v) = %v", tt.now, got)
		}
	}
}

// fakeClock reads 1970 for its first setAfter readings, then a plausible
// date.
type fakeClock struct {
	readings int
	setAfter int
}

func (c *fakeClock) now() time.Time {
	c.readings++
	if c.readings > c.setAfter {
		return earliest.Add(time.Hour)
	}
	return time.Unix(int64(c.readings), 0)
}

func TestWaitForClock(t *testing.T) {
	for _, tt := range []struct {
		name     string
		setAfter int
		shown    []string
		readings int
	}{
		{"already set", 0, nil, 1},
		{"set at the fourth poll", 4, []string{WaitingForClock}, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := &fakeClock{setAfter: tt.setAfter}
				var shown []string
				start := time.Now()
				err := WaitForClock(t.Context(), earliest, c.now, time.Second, func(s string) { shown = append(shown, s) })
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(shown, tt.shown) || c.readings != tt.readings {
					t.Errorf("shown %q after %d readings", shown, c.readings)
				}
				if waited, want := time.Since(start), time.Duration(tt.readings-1)*time.Second; waited != want {
					t.Errorf("waited %v, want %v", waited, want)
				}
			})
		})
	}
}

func TestWaitForClockCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		c := &fakeClock{setAfter: 1 << 30}
		err := WaitForClock(ctx, earliest, c.now, 5*time.Second, func(string) {})
		if !errors.Is(err, context.DeadlineExceeded) || err.Error() != "board: waiting for the clock: context deadline exceeded" {
			t.Errorf("WaitForClock = %v", err)
		}
	})
}
