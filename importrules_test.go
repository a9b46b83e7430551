package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/scangate/gateway"

// domain packages must not import each other; submit may use smtpauth.
var domain = []string{"device", "document", "smtpauth", "panel", "spool"}

// rule is one import rule of docs/ARCHITECTURE.md: no package may depend on forbidden unless it lies under
// one of allowed.
//
// Rules on the module's own packages apply to all dependencies, direct or not, so that no package reaches a
// forbidden one through another. Rules on outside libraries apply to direct imports: every package that uses
// the serial transport depends on go.bug.st/serial, but only the transport may import it.
type rule struct {
	why       string
	forbidden string   // import path prefix
	allowed   []string // package path prefixes (relative to the module) that may depend on forbidden
	direct    bool     // the rule is about direct imports only
}

func rules() []rule {
	var rs []rule
	for _, d := range domain {
		allowed := []string{d, "appliance", "cmd/gateway"}
		switch d {
		case "smtpauth":
			allowed = append(allowed, "submit") // the session runs the AUTH engine
		case "panel":
			allowed = append(allowed, "board") // boards deliver panel keys and draw the panel's LEDs
		}
		rs = append(rs, rule{
			why:       d + " is a domain package: only appliance ties domain packages together",
			forbidden: module + "/" + d,
			allowed:   allowed,
		})
	}
	return append(rs,
		rule{"only board opens real hardware buses", "periph.io/x/host", []string{"board"}, true},
		rule{"only the serial transport in device uses go.bug.st/serial", "go.bug.st/serial", []string{"device"}, true},
		rule{"nothing but cmd/gateway imports appliance", module + "/appliance", []string{"appliance", "cmd/gateway"}, false},
		rule{"submit may use smtpauth, no other domain package", module + "/submit", []string{"submit", "appliance", "cmd/gateway"}, false},
	)
}

// pkgDeps are the direct imports and all dependencies of one package.
type pkgDeps struct{ imports, deps []string }

// violations checks packages against the rules.
func violations(pkgs map[string]pkgDeps, rs []rule) []string {
	var out []string
	for pkg, pd := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		for _, r := range rs {
			if allowedFor(rel, r) {
				continue
			}
			ds := pd.deps
			if r.direct {
				ds = pd.imports
			}
			for _, d := range ds {
				if d == r.forbidden || strings.HasPrefix(d, r.forbidden+"/") {
					out = append(out, fmt.Sprintf("%s imports %s: %s", pkg, d, r.why))
				}
			}
		}
	}
	return out
}

func allowedFor(rel string, r rule) bool {
	for _, a := range r.allowed {
		if rel == a || strings.HasPrefix(rel, a+"/") {
			return true
		}
	}
	return false
}

// TestImportRules enforces the import rules on the real packages with go list -deps.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]pkgDeps{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
			Deps       []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		deps[p.ImportPath] = pkgDeps{imports: p.Imports, deps: p.Deps}
	}
	if len(deps) < 5 {
		t.Fatalf("go list found only %d packages", len(deps))
	}
	for _, v := range violations(deps, rules()) {
		t.Error(v)
	}
}

// TestImportRulesCatchViolations shows that the check fails on forbidden imports.
func TestImportRulesCatchViolations(t *testing.T) {
	for _, bad := range []struct{ pkg, dep string }{
		{module + "/document", module + "/device"},
		{module + "/panel", module + "/spool"},
		{module + "/smtpauth", module + "/submit"},
		{module + "/device", "periph.io/x/host/v3"},
		{module + "/panel", "go.bug.st/serial"},
		{module + "/submit", module + "/appliance"},
		{module + "/spool", module + "/document/internal/x"},
		{module + "/board", module + "/device"},
	} {
		if v := violations(map[string]pkgDeps{bad.pkg: {[]string{bad.dep}, []string{bad.dep}}}, rules()); len(v) == 0 {
			t.Errorf("%s importing %s was not caught", bad.pkg, bad.dep)
		}
	}
	for _, ok := range []struct{ pkg, dep string }{
		{module + "/submit", module + "/smtpauth"},
		{module + "/appliance", module + "/device"},
		{module + "/board", "periph.io/x/host/v3"},
		{module + "/device", "go.bug.st/serial"},
		{module + "/cmd/gateway", module + "/appliance"},
		{module + "/board", module + "/panel/paneltest"},
	} {
		if v := violations(map[string]pkgDeps{ok.pkg: {[]string{ok.dep}, []string{ok.dep}}}, rules()); len(v) != 0 {
			t.Errorf("allowed import flagged: %v", v)
		}
	}
	// Depending on the serial library through the device package is fine; importing it is not.
	through := pkgDeps{imports: []string{module + "/device"}, deps: []string{module + "/device", "go.bug.st/serial"}}
	if v := violations(map[string]pkgDeps{module + "/appliance": through}, rules()); len(v) != 0 {
		t.Errorf("indirect dependency flagged: %v", v)
	}
	// A domain package may not reach another one indirectly.
	hidden := pkgDeps{imports: []string{module + "/spool"}, deps: []string{module + "/spool", module + "/device"}}
	if v := violations(map[string]pkgDeps{module + "/document": hidden}, rules()); len(v) != 2 {
		t.Errorf("hidden dependency: %v", v)
	}
}
