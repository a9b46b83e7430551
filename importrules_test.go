package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/scangate/gateway"

// domain packages must not import each other; submit may use smtpauth.
var domain = []string{"device", "document", "smtpauth", "panel", "spool", "oauth"}

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
	only      []string // when set, the rule applies to exactly these packages (relative to the module)
}

// core is the appliance's core: the job flow and the delivery loop, which its edges (the front panel, later
// the sign-in and the relay listener) and the command line drive.
const core = "appliance"

// corePeers are what the core must not link: the edges' parts, and the demo's peers, which live in the
// command so that the firmware's core carries no mail server or machine simulator.
var corePeers = []string{module + "/panel", module + "/board", module + "/smtpserver", module + "/device/mfpsim",
	"github.com/creack/pty", "github.com/emersion/go-smtp"}

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
	for _, p := range corePeers {
		rs = append(rs, rule{why: "the core speaks its own types and links no edge or demo peer", forbidden: p, only: []string{core}})
	}
	return append(rs,
		rule{why: "only board opens real hardware buses", forbidden: "periph.io/x/host", allowed: []string{"board"}, direct: true},
		rule{why: "only the serial transport in device uses go.bug.st/serial", forbidden: "go.bug.st/serial", allowed: []string{"device"}, direct: true},
		rule{why: "only the appliance's edges and cmd/gateway import appliance", forbidden: module + "/appliance",
			allowed: []string{"appliance", "cmd/gateway"}},
		rule{why: "submit may use smtpauth, no other domain package", forbidden: module + "/submit",
			allowed: []string{"submit", "appliance", "cmd/gateway"}},
		rule{why: "go-smtp is the demo's and the tests' server and the relay listener's; the client side is our own",
			forbidden: "github.com/emersion/go-smtp", allowed: []string{"smtpserver", "smtptest", "appliance/relay"}, direct: true},
		rule{why: "the OAuth client lives in oauth, which keeps its errors (they quote response bodies) inside",
			forbidden: "golang.org/x/oauth2", allowed: []string{"oauth", "oauthtest"}, direct: true},
		rule{why: "zitadel's authorization server is the tests' peer", forbidden: "github.com/zitadel/oidc",
			allowed: []string{"oauthtest"}, direct: true},
		rule{why: "the service manager is cmd/gateway's business: the core and its edges know only Healthy and OnReady",
			forbidden: "github.com/coreos/go-systemd", allowed: []string{"cmd/gateway"}, direct: true},
		rule{why: "only the packaging tool builds packages with nfpm; the gateway never links it", forbidden: "github.com/goreleaser/nfpm",
			allowed: []string{"packaging"}, direct: true},
	)
}

// isTestPackage reports whether a package exists for tests: fakes and peers named like periph's gpiotest or
// like gpiofake, and the runner of outside tools.
func isTestPackage(path string) bool {
	return strings.HasSuffix(path, "test") || strings.HasSuffix(path, "fake") || path == module+"/internal/toolrun"
}

// testImports lists the imports of fakes and test peers by a package that is not one itself: production code
// runs on real parts (a fake display in the firmware is how a sim board once worked).
func testImports(pkgs map[string]pkgDeps) []string {
	var out []string
	for pkg, pd := range pkgs {
		if isTestPackage(pkg) {
			continue
		}
		for _, d := range pd.imports {
			if isTestPackage(d) {
				out = append(out, fmt.Sprintf("%s imports %s: production code does not import a test package", pkg, d))
			}
		}
	}
	return out
}

// pkgDeps are the direct imports and all dependencies of one package.
type pkgDeps struct{ imports, deps []string }

// violations checks packages against the rules.
func violations(pkgs map[string]pkgDeps, rs []rule) []string {
	var out []string
	for pkg, pd := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		for _, r := range rs {
			if allowedFor(rel, r) || len(r.only) > 0 && !slices.Contains(r.only, rel) {
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
	for _, v := range append(violations(deps, rules()), testImports(deps)...) {
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
		{module + "/appliance", module + "/panel"},
		{module + "/appliance", module + "/board"},
		{module + "/appliance", module + "/smtpserver"},
		{module + "/appliance", "github.com/creack/pty"},
		{module + "/smtpauth", "github.com/emersion/go-smtp"},
		{module + "/submit", "github.com/emersion/go-smtp"},
		{module + "/config", module + "/appliance"},
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
		{module + "/appliance/frontpanel", module + "/appliance"},
		{module + "/appliance/frontpanel", module + "/panel"},
		{module + "/appliance/frontpanel", module + "/board"},
		{module + "/cmd/gateway", module + "/smtpserver"},
		{module + "/smtpserver", "github.com/emersion/go-smtp"},
		{module + "/appliance/relay", "github.com/emersion/go-smtp"},
		{module + "/appliance/relay", module + "/appliance"},
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
	// Production code may not import a fake; fakes and tests may.
	if v := testImports(map[string]pkgDeps{module + "/board": {imports: []string{module + "/panel/paneltest"}}}); len(v) != 1 {
		t.Errorf("a production import of a fake: %v", v)
	}
	if v := testImports(map[string]pkgDeps{module + "/smtptest": {imports: []string{module + "/internal/toolrun"}}}); len(v) != 0 {
		t.Errorf("a test peer's import flagged: %v", v)
	}
	// A domain package may not reach another one indirectly.
	hidden := pkgDeps{imports: []string{module + "/spool"}, deps: []string{module + "/spool", module + "/device"}}
	if v := violations(map[string]pkgDeps{module + "/document": hidden}, rules()); len(v) != 2 {
		t.Errorf("hidden dependency: %v", v)
	}
}
