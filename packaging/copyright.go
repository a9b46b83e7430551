package packaging

import (
	"bufio"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The copyright file (/usr/share/doc/scangate/copyright, machine-readable, DEP-5) states the project's own terms
// and those of everything else linked into /usr/bin/gateway: the Go standard library and the modules that
// "go version -m" lists for that very binary. Each module's license is known from the table below, written
// by reading the module's LICENSE file; at every build the file in the module cache must still read as that
// license, and a module the table lacks stops the build, so that no package claims a license nobody checked.
// The texts of the BSD and MIT licenses, which ask to be reproduced with the binary, are copied from the
// modules' own files; Apache-2.0 points to Debian's copy in /usr/share/common-licenses.

// projectLicense is the project's own: the repository has no license file, so nothing is granted.
const projectLicense = `All rights reserved. The source repository of Scangate carries no license:
no right to copy, modify or redistribute the program is granted here beyond
what its copyright holders grant in writing.`

// license is what is known of one module's license.
type license struct {
	name string // DEP-5 short name
	// holders is the Copyright field when the license file names nobody (Apache-2.0 files carry only the
	// license); otherwise the file's own "Copyright" lines are used, or its NOTICE file's.
	holders string
	// notice is the module's NOTICE file, which the Apache License asks to pass on with the binary.
	notice string
}

// Short names, as DEP-5 and Debian spell them (Expat is the MIT license of the modules here).
const (
	expat     = "Expat"
	bsd3      = "BSD-3-clause"
	apache2   = "Apache-2.0"
	goAuthors = "2009 The Go Authors"
)

// licenses lists, by module path, the license of each module the gateway links.
var licenses = map[string]license{
	"github.com/coreos/go-systemd/v22": {name: apache2}, // holders from its NOTICE
	"github.com/BurntSushi/toml":       {name: expat},
	"github.com/creack/pty":            {name: expat},
	"github.com/emersion/go-message":   {name: expat},
	"github.com/emersion/go-sasl":      {name: expat},
	"github.com/emersion/go-smtp":      {name: expat},
	"github.com/skip2/go-qrcode":       {name: expat},
	"github.com/xdg-go/scram":          {name: apache2, holders: "David A. Golden"},
	"github.com/xdg-go/stringprep":     {name: apache2, holders: "David A. Golden"},
	"go.bug.st/serial":                 {name: bsd3},
	"golang.org/x/oauth2":              {name: bsd3},
	"golang.org/x/sys":                 {name: bsd3},
	"golang.org/x/term":                {name: bsd3},
	"golang.org/x/text":                {name: bsd3},
	"periph.io/x/conn/v3":              {name: apache2, holders: "The Periph Authors (its AUTHORS file lists them)"},
	"periph.io/x/host/v3":              {name: apache2, holders: "The Periph Authors (its AUTHORS file lists them)"},
}

// fingerprints are phrases that a license's text holds, to tell that a file still reads as the table says.
var fingerprints = map[string][]string{
	expat:   {"Permission is hereby granted, free of charge", "The above copyright notice and this permission notice shall be included"},
	bsd3:    {"Redistribution and use in source and binary forms", "Neither the name of"},
	apache2: {"Apache License", "Version 2.0, January 2004"},
}

// module is one module linked into a binary, with where its source is.
type module struct {
	Path, Version, Dir string
}

// linkedModules lists the modules in the binary at bin, as go version -m does, with their directories in the
// module cache (asked of the go command in root, which downloads one that is missing).
func linkedModules(ctx context.Context, goCmd, root, bin string) (goVersion string, mods []module, err error) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "", nil, fmt.Errorf("packaging: %w", err)
	}
	var args []string
	for _, d := range bi.Deps {
		if d.Replace != nil {
			d = d.Replace
		}
		mods = append(mods, module{Path: d.Path, Version: d.Version})
		args = append(args, d.Path+"@"+d.Version)
	}
	if len(args) == 0 {
		return bi.GoVersion, nil, nil
	}
	out, err := output(ctx, root, nil, goCmd, append([]string{"mod", "download", "-json"}, args...)...)
	if err != nil {
		return "", nil, err
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dirs := map[string]string{}
	for {
		var m struct{ Path, Version, Dir, Error string }
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", nil, fmt.Errorf("packaging: go mod download: %w", err)
		}
		if m.Error != "" {
			return "", nil, fmt.Errorf("packaging: go mod download %s: %s", m.Path, m.Error)
		}
		dirs[m.Path+"@"+m.Version] = m.Dir
	}
	for i := range mods {
		if mods[i].Dir = dirs[mods[i].Path+"@"+mods[i].Version]; mods[i].Dir == "" {
			return "", nil, fmt.Errorf("packaging: no source directory for %s %s", mods[i].Path, mods[i].Version)
		}
	}
	return bi.GoVersion, mods, nil
}

// licenseFile returns the text of the license file in a module's directory.
func licenseFile(dir string) (string, error) {
	for _, name := range []string{"LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "LICENCE"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			return string(b), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no license file in %s", dir)
}

// copyrightRE picks the holders out of a license file's "Copyright (c) 2013 TOML authors" lines.
var copyrightRE = regexp.MustCompile(`^\s*Copyright\s+(?:\([cC]\)\s*|©\s*)?(.+?)\.?\s*$`)

// holdersOf returns the copyright holders that a license text names, one a line.
func holdersOf(text string) []string {
	var hs []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if m := copyrightRE.FindStringSubmatch(sc.Text()); m != nil && !strings.Contains(m[1], "[yyyy]") &&
			!strings.HasPrefix(strings.ToLower(m[1]), "notice") {
			hs = append(hs, strings.TrimSuffix(m[1], ","))
		}
	}
	return hs
}

// copyrightFile writes the DEP-5 copyright file for the binary at bin, built by goroot's Go.
func copyrightFile(ctx context.Context, goCmd, root, goroot, bin string) (string, error) {
	goVersion, mods, err := linkedModules(ctx, goCmd, root, bin)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: scangate
Upstream-Contact: %s
Comment: /usr/bin/gateway is a statically linked Go program. Besides Scangate's
 own code it holds the Go standard library (%s) and the Go modules that
 "go version -m /usr/bin/gateway" lists; the Files paragraphs after the first
 name each of them by its module path, with the version linked.

Files: *
Copyright: 2026 The Scangate authors
License: proprietary
`, Maintainer, goVersion)
	b.WriteString(indent(projectLicense))

	stdText, err := os.ReadFile(filepath.Join(goroot, "LICENSE"))
	if err != nil {
		return "", fmt.Errorf("packaging: the Go standard library's license: %w", err)
	}
	if err := paragraph(&b, "go/*", goVersion, license{name: bsd3}, string(stdText)); err != nil {
		return "", fmt.Errorf("packaging: the Go standard library: %w", err)
	}
	for _, m := range mods {
		l, ok := licenses[m.Path]
		if !ok {
			return "", fmt.Errorf("packaging: the gateway now links %s %s, whose license nobody has checked: read its license file in %s and add it to the licenses table in packaging/copyright.go", m.Path, m.Version, m.Dir)
		}
		text, err := licenseFile(m.Dir)
		if err != nil {
			return "", fmt.Errorf("packaging: %s: %w", m.Path, err)
		}
		notice, err := os.ReadFile(filepath.Join(m.Dir, "NOTICE"))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("packaging: %s: %w", m.Path, err)
		}
		l.notice = string(notice)
		if err := paragraph(&b, m.Path+"/*", m.Version, l, text); err != nil {
			return "", fmt.Errorf("packaging: %s %s: %w", m.Path, m.Version, err)
		}
	}
	if strings.Contains(b.String(), "\nLicense: "+apache2+"\n") {
		b.WriteString(`
License: Apache-2.0
 On Debian systems the full text of the Apache License, Version 2.0, is in
 /usr/share/common-licenses/Apache-2.0.
`)
	}
	return b.String(), nil
}

// paragraph writes the Files paragraph of one component after checking that its license text reads as l.
func paragraph(b *strings.Builder, files, version string, l license, text string) error {
	for _, f := range fingerprints[l.name] {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), f) {
			return fmt.Errorf("the license file does not read as %s any more (it lacks %q): check it and correct the licenses table in packaging/copyright.go", l.name, f)
		}
	}
	holders := holdersOf(text)
	if len(holders) == 0 {
		holders = holdersOf(l.notice)
	}
	if l.holders != "" {
		holders = []string{l.holders}
	}
	if len(holders) == 0 {
		return errors.New("its license file names no copyright holder: name them in the licenses table in packaging/copyright.go")
	}
	fmt.Fprintf(b, "\nFiles: %s\nCopyright: %s\n", files, strings.Join(holders, "\n "))
	fmt.Fprintf(b, "Comment: version %s\n", version)
	if l.notice != "" {
		b.WriteString(" .\n Its NOTICE file:\n .\n" + indent(l.notice))
	}
	fmt.Fprintf(b, "License: %s\n", l.name)
	if l.name != apache2 { // the BSD and MIT texts name their holders and ask to be passed on
		b.WriteString(indent(text))
	}
	return nil
}

// indent writes text as the continuation lines of a DEP-5 field: each line after one space, an empty line
// as " .".
func indent(text string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n")), "\n")
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			b.WriteString(" .\n")
			continue
		}
		b.WriteString(" " + l + "\n")
	}
	return b.String()
}

// knownModules lists the table's modules, for the tests.
func knownModules() []string {
	var ms []string
	for m := range licenses {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return ms
}
