// Package packaging builds the Debian packages of the gateway (scangate_VERSION_ARCH.deb for armhf, arm64 and
// amd64) with nfpm used as a library: the static binaries, the systemd unit, the sample settings as a conffile,
// the udev rule, the documents (README, DEP-5 copyright, changelog, the man page that "gateway manpage" writes),
// the lintian overrides and the maintainer scripts. The files it ships are in files/; packaging/mkdeb is the
// command that make package runs.
package packaging

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

//go:embed files
var shipped embed.FS

const (
	// Name is the package's name.
	Name = "scangate"
	// Maintainer is the package's Maintainer field and the changelog's signature.
	Maintainer = "Scangate maintainers <maintainers@scangate.example>"
	// Unit is the systemd unit's name.
	Unit = "scangate.service"
)

// description is the package's Description: the synopsis, then the extended description.
const description = `scan-to-email gateway for office fax and MFP machines
Scangate runs on a small board (a Raspberry Pi, a BeagleBone) or a PC beside an
office fax or MFP machine. It pulls scanned documents from the machine over a
serial port or a USB serial link (ZMODEM, YMODEM or XMODEM), turns the
fax-coded pages into a PDF without re-compressing them, and mails the PDF with
SMTP AUTH over verified TLS, with a password or an OAuth sign-in (Microsoft
365, Google). Staff choose a destination on a character LCD with keys and press
Send; scans waiting for the mail server survive a power cut.

The package runs "gateway run" as the systemd service scangate under its own
user, with settings in /etc/scangate/gateway.toml and the queue in
/var/spool/scangate.`

// Target is one architecture the packages are built for.
type Target struct {
	Arch          string // Debian's name
	GOARCH, GOARM string
	// Profile is the board profile of the sample settings: rpi where a Raspberry Pi with the panel is what
	// runs the package, so that its LCD shows Setup at the first boot; none elsewhere.
	Profile string
}

// Targets are the packages make package writes. armhf is built for ARMv6 (GOARM=6): Debian's armhf asks for
// ARMv7, but Raspberry Pi OS's armhf is ARMv6 with hard float, and an ARMv6 binary runs on every Pi.
var Targets = []Target{
	{Arch: "armhf", GOARCH: "arm", GOARM: "6", Profile: "rpi"},
	{Arch: "arm64", GOARCH: "arm64", Profile: "rpi"},
	{Arch: "amd64", GOARCH: "amd64", Profile: "none"},
}

// Options say what Build builds.
type Options struct {
	// Root is the module's root directory, where ./cmd/gateway and README.md are.
	Root string
	// Out is the directory the packages are written to; it is created.
	Out string
	// Version is the Debian version; empty means the one GitVersion gives for Root.
	Version string
	// Date stamps the files with Version; zero means now. SOURCE_DATE_EPOCH, when set, takes its place.
	Date time.Time
	// Arches limits the packages to these Debian architectures; empty means all of Targets.
	Arches []string
	// Go is the go command; empty means "go".
	Go string
	// Log receives a line per step; nil means none.
	Log io.Writer
}

// Package is one package written.
type Package struct {
	Target
	Path string
}

// Build builds the gateway for each target and writes its package. It returns the version and the packages.
func Build(ctx context.Context, o Options) (version string, pkgs []Package, err error) {
	if o.Go == "" {
		o.Go = "go"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Root, err = filepath.Abs(o.Root); err != nil {
		return "", nil, err
	}
	describe := o.Version
	version, date := o.Version, o.Date
	if version == "" {
		if describe, version, date, err = GitVersion(ctx, o.Root); err != nil {
			return "", nil, err
		}
	} else if !debianRE.MatchString(version) {
		return "", nil, fmt.Errorf("packaging: version %q is not a Debian version of a native package", version)
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("packaging: SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		date = time.Unix(sec, 0)
	}
	if date.IsZero() {
		date = time.Now()
	}
	date = date.UTC().Truncate(time.Second)

	targets, err := selectTargets(o.Arches)
	if err != nil {
		return "", nil, err
	}
	work, err := os.MkdirTemp("", "mkdeb-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(work)
	goroot, err := output(ctx, o.Root, nil, o.Go, "env", "GOROOT")
	if err != nil {
		return "", nil, err
	}
	goroot = strings.TrimSpace(goroot)

	// The binaries, and one this machine runs, to write the man page.
	bins := map[string]string{}
	host := ""
	for _, t := range targets {
		bin := filepath.Join(work, t.Arch, "gateway")
		fmt.Fprintf(o.Log, "mkdeb: building the gateway %s for %s\n", version, t.Arch)
		if err := goBuild(ctx, o.Go, o.Root, version, bin, "linux", t.GOARCH, t.GOARM); err != nil {
			return "", nil, err
		}
		bins[t.Arch] = bin
		if runtime.GOOS == "linux" && runtime.GOARCH == t.GOARCH {
			host = bin
		}
	}
	if host == "" {
		host = filepath.Join(work, "host", "gateway")
		if err := goBuild(ctx, o.Go, o.Root, version, host, "", "", ""); err != nil {
			return "", nil, err
		}
	}
	epoch := "SOURCE_DATE_EPOCH=" + strconv.FormatInt(date.Unix(), 10)
	man, err := output(ctx, work, []string{epoch}, host, "manpage")
	if err != nil {
		return "", nil, fmt.Errorf("packaging: the man page: %w", err)
	}

	// The files every package ships alike.
	common := filepath.Join(work, "common")
	readme, err := os.ReadFile(filepath.Join(o.Root, "README.md"))
	if err != nil {
		return "", nil, fmt.Errorf("packaging: %w", err)
	}
	manGz, err := gzipped([]byte(man))
	if err != nil {
		return "", nil, err
	}
	logGz, err := gzipped([]byte(changelog(version, describe, date)))
	if err != nil {
		return "", nil, err
	}
	put := func(dir, name string, b []byte) (string, error) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		return p, os.WriteFile(p, b, 0o644)
	}
	src := map[string]string{}
	for name, b := range map[string][]byte{"README.md": readme, "gateway.1.gz": manGz, "changelog.gz": logGz} {
		if src[name], err = put(common, name, b); err != nil {
			return "", nil, err
		}
	}
	for _, name := range []string{"scangate.service", "60-scangate.rules", "lintian-overrides", "postinst", "prerm", "postrm"} {
		b, err := shipped.ReadFile("files/" + name)
		if err != nil {
			return "", nil, err
		}
		if src[name], err = put(common, name, b); err != nil {
			return "", nil, err
		}
	}

	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return "", nil, err
	}
	for _, t := range targets {
		dir := filepath.Join(work, t.Arch)
		conf, err := SampleConfig(t.Profile)
		if err != nil {
			return "", nil, err
		}
		confPath, err := put(dir, "gateway.toml", conf)
		if err != nil {
			return "", nil, err
		}
		cr, err := copyrightFile(ctx, o.Go, o.Root, goroot, bins[t.Arch])
		if err != nil {
			return "", nil, err
		}
		crPath, err := put(dir, "copyright", []byte(cr))
		if err != nil {
			return "", nil, err
		}
		file := func(from, to string, mode os.FileMode) *files.Content {
			return &files.Content{Source: from, Destination: to, Type: files.TypeFile,
				FileInfo: &files.ContentFileInfo{Owner: "root", Group: "root", Mode: mode, MTime: date}}
		}
		doc := "/usr/share/doc/" + Name + "/"
		contents := files.Contents{
			file(bins[t.Arch], "/usr/bin/gateway", 0o755),
			file(src["scangate.service"], "/lib/systemd/system/"+Unit, 0o644),
			file(src["60-scangate.rules"], "/lib/udev/rules.d/60-scangate.rules", 0o644),
			file(src["README.md"], doc+"README.md", 0o644),
			file(crPath, doc+"copyright", 0o644),
			file(src["changelog.gz"], doc+"changelog.gz", 0o644),
			file(src["gateway.1.gz"], "/usr/share/man/man1/gateway.1.gz", 0o644),
			file(src["lintian-overrides"], "/usr/share/lintian/overrides/"+Name, 0o644),
		}
		// The settings are a conffile: dpkg keeps an admin's changes on upgrade and remove, and deletes the
		// file on purge. The postinst gives it to the group scangate, which does not exist yet at unpack.
		cf := file(confPath, "/etc/scangate/gateway.toml", 0o640)
		cf.Type = files.TypeConfig
		contents = append(contents, cf)

		info := nfpm.WithDefaults(&nfpm.Info{
			Name:          Name,
			Arch:          t.Arch,
			Platform:      "linux",
			Version:       version,
			VersionSchema: "none", // the version is Debian's already (see version.go)
			Section:       "mail",
			Priority:      "optional",
			Maintainer:    Maintainer,
			Description:   description,
			MTime:         date,
			Overridables: nfpm.Overridables{
				Depends:    []string{"adduser"}, // the postinst makes the system user with it
				Recommends: []string{"systemd"}, // runs the service; the binary works without it
				Contents:   contents,
				Scripts:    nfpm.Scripts{PostInstall: src["postinst"], PreRemove: src["prerm"], PostRemove: src["postrm"]},
				Deb:        nfpm.Deb{Arch: t.Arch},
			},
		})
		path := filepath.Join(o.Out, fmt.Sprintf("%s_%s_%s.deb", Name, version, t.Arch))
		if err := writePackage(info, path); err != nil {
			return "", nil, err
		}
		fmt.Fprintf(o.Log, "mkdeb: wrote %s\n", path)
		pkgs = append(pkgs, Package{Target: t, Path: path})
	}
	return version, pkgs, nil
}

// writePackage writes the package to a temporary file beside path and renames it into place, so that a failed
// build leaves no half package under the final name.
func writePackage(info *nfpm.Info, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".mkdeb-*.deb")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		return fmt.Errorf("packaging: %s: %w", filepath.Base(path), err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func selectTargets(arches []string) ([]Target, error) {
	if len(arches) == 0 {
		return Targets, nil
	}
	var ts []Target
	for _, a := range arches {
		found := false
		for _, t := range Targets {
			if t.Arch == a {
				ts, found = append(ts, t), true
			}
		}
		if !found {
			return nil, fmt.Errorf("packaging: no target %q (armhf, arm64, amd64)", a)
		}
	}
	return ts, nil
}

// SampleConfig returns the commented sample settings the package installs, for a board profile.
func SampleConfig(profile string) ([]byte, error) {
	t, err := template.ParseFS(shipped, "files/gateway.toml.tmpl")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct{ Profile string }{profile}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// goBuild builds ./cmd/gateway the way the packages ship it: static, without local paths, stripped, with the
// version stamped in. An empty goos builds for this machine.
func goBuild(ctx context.Context, goCmd, root, version, out, goos, goarch, goarm string) error {
	env := []string{"CGO_ENABLED=0"}
	if goos != "" {
		env = append(env, "GOOS="+goos, "GOARCH="+goarch, "GOARM="+goarm)
	}
	_, err := output(ctx, root, env, goCmd, "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", out, "./cmd/gateway")
	return err
}

// output runs a command in dir with extra environment and returns its standard output; a failure names the
// command and quotes its standard error.
func output(ctx context.Context, dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("packaging: %s %s: %w\n%s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
