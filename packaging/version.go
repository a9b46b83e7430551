package packaging

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The Debian version of a build comes from "git describe --tags --always --dirty" and the date of the commit:
//
//	describe                      Debian version
//	v1.2.0                        1.2.0
//	v1.2.0-rc1                    1.2.0~rc1                         (a pre-release sorts before its release)
//	v1.2.0-3-gabc1234             1.2.0+git20261205.3.abc1234       (after the tag, by commit count)
//	abc1234 (no tag at all)       0.0~git20261205.abc1234           (before any 0.x release)
//	...-dirty                     ...+dirty                         (after the commit it was built from)
//
// The upstream version must start with a digit and may hold only [A-Za-z0-9.+~] here (no "-": the package is
// native, so there is no Debian revision), which a tag's leading "v" and its hyphens are turned into. Only the
// abbreviated hash tells two builds of one day apart when there is no tag: their order is not the commits'
// order, which is why the releases get tags.

var (
	// describeRE splits "TAG-N-gHASH", what describe prints for a commit after a tag.
	describeRE = regexp.MustCompile(`^(.+)-([0-9]+)-g([0-9a-f]+)$`)
	hashRE     = regexp.MustCompile(`^[0-9a-f]{7,40}$`) // describe --always without a tag: the abbreviated hash
	// debianRE is the upstream version that DebianVersion writes (Debian policy 5.6.12, without epoch or
	// revision).
	debianRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
)

// DebianVersion turns the output of git describe --tags --always --dirty into a Debian version, with the date
// of the commit for builds that are not a tag.
func DebianVersion(describe string, date time.Time) (string, error) {
	d := strings.TrimSpace(describe)
	dirty := strings.HasSuffix(d, "-dirty")
	d = strings.TrimSuffix(d, "-dirty")
	day := date.UTC().Format("20060102")
	var v string
	switch m := describeRE.FindStringSubmatch(d); {
	case m != nil:
		v = tagVersion(m[1]) + "+git" + day + "." + m[2] + "." + m[3]
	case hashRE.MatchString(d):
		v = "0.0~git" + day + "." + d
	default:
		v = tagVersion(d)
	}
	if dirty {
		v += "+dirty"
	}
	if !debianRE.MatchString(v) {
		return "", fmt.Errorf("packaging: git describe %q makes %q, not a Debian version: tag releases as v1.2.3", describe, v)
	}
	return v, nil
}

// tagVersion turns a tag into an upstream version: "v1.2.0-rc1" into "1.2.0~rc1".
func tagVersion(tag string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(tag, "v"), "V")
	t = strings.ReplaceAll(t, "-", "~")
	t = strings.ReplaceAll(t, "_", ".")
	return t
}

// GitVersion returns what git describe says of the work tree in dir, its Debian version, and the time of its
// commit, which also stamps the files of the packages, the changelog and the man page (SOURCE_DATE_EPOCH, when
// set, takes its place), so that two builds of one commit give the same packages.
func GitVersion(ctx context.Context, dir string) (describe, version string, commit time.Time, err error) {
	if describe, err = output(ctx, dir, nil, "git", "describe", "--tags", "--always", "--dirty"); err != nil {
		return "", "", time.Time{}, err
	}
	describe = strings.TrimSpace(describe)
	ct, err := output(ctx, dir, nil, "git", "log", "-1", "--format=%ct")
	if err != nil {
		return "", "", time.Time{}, err
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ct), 10, 64)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("packaging: git log: commit time %q: %w", ct, err)
	}
	commit = time.Unix(sec, 0).UTC()
	version, err = DebianVersion(describe, commit)
	return describe, version, commit, err
}
