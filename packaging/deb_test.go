package packaging

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/gateway/internal/toolrun"
)

// The packages are built once per test binary, by the command make package runs (go run ./packaging/mkdeb,
// which is not slowed down by the race detector of make test), into a directory that TestMain removes at the
// end.
var (
	buildOnce sync.Once
	buildDir  string
	built     struct {
		version string
		pkgs    map[string]string // Debian architecture: path of the package
		err     error
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// debName is the name of a package file: scangate_VERSION_ARCH.deb.
var debName = regexp.MustCompile(`^scangate_([0-9][A-Za-z0-9.+~]*)_([a-z0-9]+)\.deb$`)

// packages returns the version and the packages, building them at the first call. The packages are checked
// from the amd64 run only: the 32-bit run (GOARCH=386) repeats the unit tests, and would build the same.
func packages(t *testing.T) (string, map[string]string) {
	t.Helper()
	if runtime.GOARCH != "amd64" || runtime.GOOS != "linux" {
		t.Skip("the packages are built and checked from the linux/amd64 run")
	}
	need(t, "git", "git")
	buildOnce.Do(func() { built.version, built.pkgs, built.err = makePackages() })
	if built.err != nil {
		t.Fatalf("building the packages: %v", built.err)
	}
	return built.version, built.pkgs
}

func makePackages() (string, map[string]string, error) {
	var err error
	if buildDir, err = os.MkdirTemp("", "scangate-packages-"); err != nil {
		return "", nil, err
	}
	out := filepath.Join(buildDir, "dist")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "run", "./packaging/mkdeb", "-out", out)
	cmd.Dir = ".."
	if log, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("go run ./packaging/mkdeb: %w\n%s", err, log)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", nil, err
	}
	version, pkgs := "", map[string]string{}
	for _, e := range entries {
		m := debName.FindStringSubmatch(e.Name())
		if m == nil || version != "" && m[1] != version {
			return "", nil, fmt.Errorf("mkdeb wrote %s beside scangate_%s_*.deb", e.Name(), version)
		}
		version, pkgs[m[2]] = m[1], filepath.Join(out, e.Name())
	}
	if len(pkgs) != len(Targets) {
		return "", nil, fmt.Errorf("mkdeb wrote %v, want one package for each of %v", pkgs, Targets)
	}
	fmt.Fprintf(os.Stderr, "packaging: mkdeb built %d packages of %s in %v\n", len(pkgs), version, time.Since(start).Round(time.Millisecond))
	return version, pkgs, nil
}

// extracted unpacks a package into a new directory and returns it.
func extracted(t *testing.T, deb string) string {
	t.Helper()
	dir := t.TempDir()
	toolrun.Run(t, "dpkg-deb", "-x", deb, dir)
	return dir
}

// entry is one line of dpkg-deb -c.
type entry struct{ mode, owner string }

// TestPackageContents checks each package's files, with their modes and owners, its control fields, its
// conffiles and its maintainer scripts.
func TestPackageContents(t *testing.T) {
	version, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	sh := need(t, "dash", "sh")
	files := map[string]entry{
		"./usr/bin/gateway":                      {"-rwxr-xr-x", "root/root"},
		"./lib/systemd/system/scangate.service":  {"-rw-r--r--", "root/root"},
		"./lib/udev/rules.d/60-scangate.rules":   {"-rw-r--r--", "root/root"},
		"./etc/scangate/gateway.toml":            {"-rw-r-----", "root/root"}, // the postinst gives it to the group
		"./usr/share/doc/scangate/README.md":     {"-rw-r--r--", "root/root"},
		"./usr/share/doc/scangate/copyright":     {"-rw-r--r--", "root/root"},
		"./usr/share/doc/scangate/changelog.gz":  {"-rw-r--r--", "root/root"},
		"./usr/share/man/man1/gateway.1.gz":      {"-rw-r--r--", "root/root"},
		"./usr/share/lintian/overrides/scangate": {"-rw-r--r--", "root/root"},
	}
	for _, tgt := range Targets {
		t.Run(tgt.Arch, func(t *testing.T) {
			t.Parallel()
			deb := pkgs[tgt.Arch]
			if want := fmt.Sprintf("scangate_%s_%s.deb", version, tgt.Arch); filepath.Base(deb) != want {
				t.Errorf("package file %s, want %s", filepath.Base(deb), want)
			}
			list, _ := toolrun.Run(t, "dpkg-deb", "-c", deb)
			seen := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
				f := strings.Fields(line)
				if len(f) < 6 {
					t.Fatalf("dpkg-deb -c: %q", line)
				}
				mode, owner, path := f[0], f[1], f[5]
				if strings.HasSuffix(path, "/") {
					if mode != "drwxr-xr-x" || owner != "root/root" {
						t.Errorf("directory %s is %s %s, want drwxr-xr-x root/root", path, mode, owner)
					}
					continue
				}
				want, ok := files[path]
				if !ok {
					t.Errorf("unexpected file %s", path)
					continue
				}
				seen[path] = true
				if mode != want.mode || owner != want.owner {
					t.Errorf("%s is %s %s, want %s %s", path, mode, owner, want.mode, want.owner)
				}
			}
			for path := range files {
				if !seen[path] {
					t.Errorf("%s is missing", path)
				}
			}

			fields, _ := toolrun.Run(t, "dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends", "Recommends", "Section", "Priority", "Maintainer", "Description")
			for _, want := range []string{"Package: scangate\n", "Version: " + version + "\n", "Architecture: " + tgt.Arch + "\n",
				"Depends: adduser\n", "Recommends: systemd\n", "Section: mail\n", "Priority: optional\n", "Maintainer: " + Maintainer + "\n",
				"Description: scan-to-email gateway for office fax and MFP machines\n"} {
				if !strings.Contains(fields, want) {
					t.Errorf("control lacks %q:\n%s", strings.TrimSpace(want), fields)
				}
			}

			control := t.TempDir()
			toolrun.Run(t, "dpkg-deb", "-e", deb, control)
			conffiles, err := os.ReadFile(filepath.Join(control, "conffiles"))
			if err != nil || string(conffiles) != "/etc/scangate/gateway.toml\n" {
				t.Errorf("conffiles: %q, %v", conffiles, err)
			}
			for _, script := range []string{"postinst", "prerm", "postrm"} {
				p := filepath.Join(control, script)
				st, err := os.Stat(p)
				if err != nil {
					t.Errorf("no %s: %v", script, err)
					continue
				}
				if st.Mode().Perm() != 0o755 {
					t.Errorf("%s has mode %v, want 0755", script, st.Mode().Perm())
				}
				b, _ := os.ReadFile(p)
				if !bytes.HasPrefix(b, []byte("#!/bin/sh\n")) || !bytes.Contains(b, []byte("\nset -e\n")) {
					t.Errorf("%s is not a /bin/sh script with set -e", script)
				}
				if out, err := exec.Command(sh, "-n", p).CombinedOutput(); err != nil {
					t.Errorf("sh -n %s: %v\n%s", script, err, out)
				}
			}
		})
	}
}

// TestPackagedBinaries checks the architecture of each packaged binary with file, and runs the amd64 one.
func TestPackagedBinaries(t *testing.T) {
	version, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	need(t, "file", "file")
	for _, tt := range []struct{ arch, want string }{
		{"armhf", "ELF 32-bit LSB executable, ARM, EABI5"},
		{"arm64", "ELF 64-bit LSB executable, ARM aarch64"},
		{"amd64", "ELF 64-bit LSB executable, x86-64"},
	} {
		t.Run(tt.arch, func(t *testing.T) {
			t.Parallel()
			bin := filepath.Join(extracted(t, pkgs[tt.arch]), "usr", "bin", "gateway")
			out, _ := toolrun.Run(t, "file", "-b", bin)
			if !strings.HasPrefix(out, tt.want) || !strings.Contains(out, "statically linked") || !strings.Contains(out, "stripped") {
				t.Errorf("file %s: %s; want %s, statically linked, stripped", tt.arch, strings.TrimSpace(out), tt.want)
			}
			// Built as the package says: static, without local paths, ARMv6 for every Pi (-trimpath leaves the
			// -ldflags out of the build information: the version is checked by running the binaries).
			bi, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": "linux", "GOARCH": map[string]string{"armhf": "arm"}[tt.arch]}
			if want["GOARCH"] == "" {
				want["GOARCH"] = tt.arch
			}
			if tt.arch == "armhf" {
				want["GOARM"] = "6"
			}
			got := map[string]string{}
			for _, s := range bi.Settings {
				got[s.Key] = s.Value
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: built with %s=%q, want %q", tt.arch, k, got[k], v)
				}
			}
			if tt.arch == "amd64" {
				if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "scangate gateway "+version+" (linux/amd64") {
					t.Errorf("gateway version: %q, %v", out, err)
				}
			}
		})
	}
}

// TestManPageListsEveryCommand compares the packaged man page with the packaged binary's help: every command
// that help lists has its section, with the flags that its help prints.
func TestManPageListsEveryCommand(t *testing.T) {
	_, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	var pages [][]byte
	for _, tgt := range Targets {
		dir := extracted(t, pkgs[tgt.Arch])
		gz, err := os.ReadFile(filepath.Join(dir, "usr/share/man/man1/gateway.1.gz"))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, gz)
		if tgt.Arch != "amd64" {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		if zr.Name != "" || !zr.ModTime.IsZero() {
			t.Errorf("the man page's gzip header has a name %q or a time %v", zr.Name, zr.ModTime)
		}
		roff, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		page := string(roff)
		bin := filepath.Join(dir, "usr/bin/gateway")
		help, err := exec.Command(bin, "help").Output()
		if err != nil {
			t.Fatalf("gateway help: %v", err)
		}
		cmds := helpCommands(string(help))
		if len(cmds) < 10 {
			t.Fatalf("gateway help lists only %v", cmds)
		}
		sections := regexp.MustCompile(`(?m)^\.SS (\S+)$`).FindAllStringSubmatch(page, -1)
		var inPage []string
		for _, s := range sections {
			inPage = append(inPage, s[1])
		}
		if !slices.Equal(inPage, cmds) {
			t.Errorf("the man page's commands are %v; gateway help lists %v", inPage, cmds)
		}
		for _, c := range cmds {
			// Each flag of the command's help appears in its section.
			out, err := exec.Command(bin, "help", c).Output()
			if err != nil {
				t.Fatalf("gateway help %s: %v", c, err)
			}
			section := page[strings.Index(page, ".SS "+c+"\n"):]
			if i := strings.Index(section[4:], "\n.S"); i >= 0 {
				section = section[:i+4]
			}
			for _, m := range regexp.MustCompile(`(?m)^  -(\S+)`).FindAllStringSubmatch(string(out), -1) {
				if !strings.Contains(section, `\fB\-`+strings.ReplaceAll(m[1], "-", `\-`)+`\fR`) {
					t.Errorf("the man page's %s section lacks the flag -%s", c, m[1])
				}
			}
		}
		for _, want := range []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS", ".SH EXIT STATUS", ".SH FILES",
			".SH SEE ALSO", "/etc/scangate/gateway.toml", "/var/spool/scangate", "/var/lib/scangate"} {
			if !strings.Contains(page, want) {
				t.Errorf("the man page lacks %q", want)
			}
		}
		if strings.Contains(page, ".SS manpage") {
			t.Error("the man page lists the hidden manpage command")
		}
	}
	for i := 1; i < len(pages); i++ {
		if !bytes.Equal(pages[i], pages[0]) {
			t.Errorf("the man page of %s differs from %s's", Targets[i].Arch, Targets[0].Arch)
		}
	}
}

// helpCommands reads the command names from gateway help's "Commands:" list.
func helpCommands(help string) []string {
	var cmds []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(help))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "Commands:":
			in = true
		case in && strings.HasPrefix(line, "  "):
			cmds = append(cmds, strings.Fields(line)[0])
		case in:
			return cmds
		}
	}
	return cmds
}

// TestLintian runs lintian on the three packages: no error, and every override shipped with its reason.
func TestLintian(t *testing.T) {
	_, pkgs := packages(t)
	lintian := need(t, "lintian", "lintian")
	args := []string{"--display-info", "--display-experimental", "--pedantic", "--show-overrides"}
	for _, tgt := range Targets {
		args = append(args, pkgs[tgt.Arch])
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolrun.Timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, lintian, args...).CombinedOutput()
	t.Logf("lintian %s:\n%s", strings.Join(args[:4], " "), out)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") {
			t.Errorf("lintian: %s", line)
		}
	}
	// Exit status 2 says that an error-level tag was found, and --show-overrides counts the overridden ones
	// too (statically-linked-binary is one): the E: lines above decide. Any other failure is lintian's own.
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 2) {
		t.Errorf("lintian: %v", err)
	}
	overrides, rerr := shipped.ReadFile("files/lintian-overrides")
	if rerr != nil {
		t.Fatal(rerr)
	}
	lines := strings.Split(strings.TrimSpace(string(overrides)), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "scangate: ") && (i == 0 || !strings.HasPrefix(lines[i-1], "#")) {
			t.Errorf("the lintian override %q has no reason written above it", l)
		}
	}
}

// TestSystemdUnit checks the packaged unit with systemd-analyze verify. Where systemd is not the init (a
// container), verify still loads the unit, but checks that ExecStart's program exists on this machine: it runs
// on a copy of the unit whose ExecStart is the binary unpacked from the package, with MANPATH at the unpacked
// man page so that Documentation=man:gateway(1) is checked too.
func TestSystemdUnit(t *testing.T) {
	_, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	analyze := need(t, "systemd", "systemd-analyze")
	dir := extracted(t, pkgs["amd64"])
	unit, err := os.ReadFile(filepath.Join(dir, "lib/systemd/system", Unit))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nType=notify\n", "\nExecStart=/usr/bin/gateway run\n", "\nExecReload=/bin/kill -HUP $MAINPID\n",
		"\nWatchdogSec=30\n", "\nRestart=always\n", "\nUser=scangate\n", "\nGroup=scangate\n", "\nSupplementaryGroups=dialout\n",
		"\nProtectSystem=strict\n", "\nReadWritePaths=/var/spool/scangate /var/lib/scangate /etc/scangate\n", "\nUMask=0077\n",
		"\nDocumentation=man:gateway(1)\n", "\nWantedBy=multi-user.target\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	if strings.Contains(string(unit), "PrivateDevices=yes") {
		t.Error("the unit hides /dev, where the serial ports, the I2C bus and the GPIO pins are")
	}
	verify := filepath.Join(t.TempDir(), Unit)
	copied := strings.Replace(string(unit), "\nExecStart=/usr/bin/gateway ", "\nExecStart="+filepath.Join(dir, "usr/bin/gateway")+" ", 1)
	if err := os.WriteFile(verify, []byte(copied), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", verify)
	cmd.Env = append(os.Environ(), "MANPATH="+filepath.Join(dir, "usr/share/man"), "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), Unit) {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestCopyright checks the packaged copyright file: DEP-5, the project's own terms, and a paragraph for the
// standard library and for every module that go version -m lists in the binary beside it.
func TestCopyright(t *testing.T) {
	_, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	for _, tgt := range Targets {
		dir := extracted(t, pkgs[tgt.Arch])
		b, err := os.ReadFile(filepath.Join(dir, "usr/share/doc/scangate/copyright"))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, want := range []string{"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n",
			"\nFiles: *\n", "License: proprietary\n All rights reserved.", "\nFiles: go/*\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the copyright file lacks %q", tgt.Arch, want)
			}
		}
		checkDEP5(t, tgt.Arch, text)
		_, mods, err := linkedModules(context.Background(), "go", "..", filepath.Join(dir, "usr/bin/gateway"))
		if err != nil {
			t.Fatal(err)
		}
		if len(mods) < 5 {
			t.Fatalf("%s: go version -m lists only %v", tgt.Arch, mods)
		}
		for _, m := range mods {
			if !strings.Contains(text, "\nFiles: "+m.Path+"/*\n") {
				t.Errorf("%s: no paragraph for %s", tgt.Arch, m.Path)
			}
		}
	}
}

// checkDEP5 checks the syntax of a machine-readable copyright file: paragraphs of "Field: value" lines and
// continuation lines, the header with Format, Files paragraphs with Files, Copyright and License, and a
// standalone License paragraph for every license that a Files paragraph names without its text.
func checkDEP5(t *testing.T, arch, text string) {
	t.Helper()
	field := regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*): ?(.*)$`)
	var paras []map[string][]string // field: its lines
	for _, p := range strings.Split(strings.TrimRight(text, "\n"), "\n\n") {
		para := map[string][]string{}
		last := ""
		for _, line := range strings.Split(p, "\n") {
			switch m := field.FindStringSubmatch(line); {
			case strings.HasPrefix(line, " ") && last != "":
				para[last] = append(para[last], line)
			case m != nil && para[m[1]] == nil:
				last = m[1]
				para[last] = []string{m[2]}
			default:
				t.Errorf("%s: copyright: bad line %q", arch, line)
			}
		}
		paras = append(paras, para)
	}
	if len(paras) < 3 || paras[0]["Format"] == nil {
		t.Fatalf("%s: copyright: no header paragraph with Format", arch)
	}
	needText, standalone := map[string]bool{}, map[string]bool{}
	for _, p := range paras[1:] {
		switch {
		case p["Files"] != nil:
			if p["Copyright"] == nil || p["License"] == nil {
				t.Errorf("%s: copyright: Files %s lacks Copyright or License", arch, p["Files"][0])
			} else if len(p["License"]) == 1 {
				needText[p["License"][0]] = true
			}
		case p["License"] != nil && len(p["License"]) > 1:
			standalone[p["License"][0]] = true
		default:
			t.Errorf("%s: copyright: a paragraph with neither Files nor a license text: %v", arch, p)
		}
	}
	for l := range needText {
		if !standalone[l] {
			t.Errorf("%s: copyright: license %s is named without its text and has no License paragraph", arch, l)
		}
	}
}

// TestCopyrightTableIsUsed keeps the license table to modules that some package links, so that it stays a
// list of what was checked for a reason.
func TestCopyrightTableIsUsed(t *testing.T) {
	_, pkgs := packages(t)
	need(t, "dpkg", "dpkg-deb")
	used := map[string]bool{}
	for _, tgt := range Targets {
		dir := extracted(t, pkgs[tgt.Arch])
		_, mods, err := linkedModules(context.Background(), "go", "..", filepath.Join(dir, "usr/bin/gateway"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mods {
			used[m.Path] = true
		}
	}
	for _, m := range knownModules() {
		if !used[m] {
			t.Errorf("the licenses table lists %s, which no package links any more", m)
		}
	}
}
