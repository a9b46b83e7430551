package panel

import (
	"testing"
	"time"
)

func TestToASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Demo inbox", "Demo inbox"},
		{"Müller & Söhne", "Muller & Sohne"},
		{"Straße", "Strasse"},
		{"Ærø — “quotes”…", "AEro - \"quotes\"..."},
		{"tab\there\x7f", "tab here "},
		{"日本", "??"},
		{"bad \xff byte", "bad ? byte"},
	}
	for _, tt := range tests {
		if got := toASCII(tt.in); got != tt.want {
			t.Errorf("toASCII(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abcd"},
		{"", 3, "   "},
		{"abc", 3, "abc"},
	}
	for _, tt := range tests {
		if got := fit(tt.in, tt.w); got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

func TestScrollOffset(t *testing.T) {
	// 20 characters on 16 columns: travel 4, cycle 2+4+2 ticks.
	want := []int{0, 0, 0, 1, 2, 3, 4, 4, 0, 0, 0, 1}
	for tick, w := range want {
		if got := scrollOffset(20, 16, tick); got != w {
			t.Errorf("scrollOffset(20, 16, %d) = %d, want %d", tick, got, w)
		}
	}
	for _, tt := range []struct{ n, w, tick int }{{16, 16, 5}, {3, 16, 9}, {0, 16, 1}, {30, 16, -1}} {
		if got := scrollOffset(tt.n, tt.w, tt.tick); got != 0 {
			t.Errorf("scrollOffset(%d, %d, %d) = %d, want 0", tt.n, tt.w, tt.tick, got)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{-5, "0 B"},
		{0, "0 B"},
		{999, "999 B"},
		{1000, "1 KB"},
		{12 * 1024, "12 KB"},
		{999 * 1024, "999 KB"},
		{1000 * 1024, "1.0 MB"},
		{5 << 20, "5.0 MB"},
		{10 << 20, "10 MB"},
		{999 << 20, "999 MB"},
		{1000 << 20, "1.0 GB"},
		{3 << 40, "3.0 TB"},
		{1 << 62, "lots"},
	}
	for _, tt := range tests {
		got := size(tt.n)
		if got != tt.want {
			t.Errorf("size(%d) = %q, want %q", tt.n, got, tt.want)
		}
		if len(got) > 6 {
			t.Errorf("size(%d) = %q is longer than 6", tt.n, got)
		}
	}
}

func TestPercent(t *testing.T) {
	tests := []struct {
		done, total int64
		want        int
	}{
		{0, 100, 0}, {-3, 100, 0}, {34, 100, 34}, {999, 1000, 99}, {100, 100, 100}, {200, 100, 100},
		{1 << 62, 1<<62 + 1, 99},
	}
	for _, tt := range tests {
		if got := percent(tt.done, tt.total); got != tt.want {
			t.Errorf("percent(%d, %d) = %d, want %d", tt.done, tt.total, got, tt.want)
		}
	}
}

func TestClockText(t *testing.T) {
	if got := clock(time.Date(2026, 1, 2, 7, 5, 0, 0, time.UTC)); got != "07:05" {
		t.Errorf("clock = %q", got)
	}
	if got := clock(time.Date(1970, 1, 1, 0, 2, 0, 0, time.UTC)); got != "--:--" {
		t.Errorf("clock in 1970 = %q", got)
	}
}
