package packaging

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

func TestDebianVersion(t *testing.T) {
	day := time.Date(2026, 12, 5, 23, 37, 6, 0, time.UTC)
	for _, tt := range []struct{ describe, want string }{
		{"abc1234", "0.0~git20261205.abc1234"},
		{"abc1234-dirty", "0.0~git20261205.abc1234+dirty"},
		{"v1.2.0", "1.2.0"},
		{"v1.2.0-dirty", "1.2.0+dirty"},
		{"v1.2.0-rc1", "1.2.0~rc1"},
		{"v1.2.0-3-gabc1234", "1.2.0+git20261205.3.abc1234"},
		{"v1.2.0-rc1-3-gabc1234-dirty", "1.2.0~rc1+git20261205.3.abc1234+dirty"},
		{"1.0", "1.0"},
	} {
		got, err := DebianVersion(tt.describe+"\n", day)
		if err != nil || got != tt.want {
			t.Errorf("DebianVersion(%q) = %q, %v; want %q", tt.describe, got, err, tt.want)
		}
	}
	for _, bad := range []string{"release-one", "", "v", "vX.1"} {
		if got, err := DebianVersion(bad, day); err == nil {
			t.Errorf("DebianVersion(%q) = %q, want an error", bad, got)
		}
	}
}

// TestDebianVersionOrder checks with dpkg that the versions sort as the history goes: no tag yet, a
// pre-release, the release, commits after it, and a dirty tree after its commit.
func TestDebianVersionOrder(t *testing.T) {
	dpkg := need(t, "dpkg", "dpkg")
	day := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	next := day.AddDate(0, 0, 1)
	var order []string
	for _, v := range []struct {
		describe string
		date     time.Time
	}{
		{"abc1234", day}, {"abc1234-dirty", day}, {"def5678", next}, {"v0.1.0-rc1", next}, {"v0.1.0", next},
		{"v0.1.0-1-g1234567", next}, {"v0.1.0-1-g1234567-dirty", next}, {"v0.1.0-2-gabcdef0", next}, {"v0.2.0", next},
	} {
		s, err := DebianVersion(v.describe, v.date)
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, s)
	}
	for i := 1; i < len(order); i++ {
		if err := exec.Command(dpkg, "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("dpkg does not sort %s before %s", order[i-1], order[i])
		}
	}
}

// TestGitVersion reads this repository's own version, as make package does.
func TestGitVersion(t *testing.T) {
	need(t, "git", "git")
	describe, version, date, err := GitVersion(context.Background(), "..")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := DebianVersion(describe, date); version != want || date.IsZero() || date.After(time.Now().Add(time.Hour)) {
		t.Errorf("GitVersion = %q, %q, %v", describe, version, date)
	}
	t.Logf("git describe %s: %s", describe, version)
}

// need stops t, as toolrun does for any missing peer (skipped, or failed under SCANGATE_INTEGRATION=1), unless
// the programs are on this machine; pkg is the Debian package that brings them. It returns the first one's
// path.
func need(t testing.TB, pkg string, programs ...string) string {
	t.Helper()
	var missing []string
	first := ""
	for _, p := range programs {
		path, err := toolrun.Find(p)
		if err != nil {
			missing = append(missing, p)
		} else if first == "" {
			first = path
		}
	}
	if len(missing) > 0 {
		toolrun.Unavailable(t, "needs "+strings.Join(missing, ", ")+" (Debian: "+pkg+")")
	}
	return first
}

// TestBuildRefuses checks that Build stops before building anything on a version or an architecture it cannot
// package.
func TestBuildRefuses(t *testing.T) {
	out := t.TempDir()
	for _, o := range []Options{
		{Root: "..", Out: out, Version: "1.0-1"}, // a Debian revision: the package is native
		{Root: "..", Out: out, Version: "v1.0"},
		{Root: "..", Out: out, Version: "1.0", Arches: []string{"i386"}},
	} {
		if _, _, err := Build(context.Background(), o); err == nil {
			t.Errorf("Build(%+v) succeeded", o)
		}
	}
}
