// Command mkdeb writes the Debian packages of the gateway: dist/scangate_VERSION_ARCH.deb for armhf, arm64 and
// amd64 (make package runs it from the repository's root). The version comes from git describe, turned into a
// Debian version as packaging/version.go says.
//
//	go run ./packaging/mkdeb [-out dist] [-arch armhf,arm64,amd64] [-version V]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/scangate/gateway/packaging"
)

func main() {
	out := flag.String("out", "dist", "directory for the packages")
	arch := flag.String("arch", "", "comma-separated Debian architectures (default: armhf,arm64,amd64)")
	version := flag.String("version", "", "Debian version (default: from git describe --tags --always --dirty)")
	root := flag.String("root", ".", "the repository's root")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "mkdeb: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	var arches []string
	if *arch != "" {
		arches = strings.Split(*arch, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, _, err := packaging.Build(ctx, packaging.Options{Root: *root, Out: *out, Version: *version, Arches: arches, Log: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
}
