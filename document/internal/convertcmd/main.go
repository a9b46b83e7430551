// Command convertcmd runs document.Convert on the files it is given, as
// "convertcmd [-compact] OUT IN...", and prints the number of pages and the
// process's peak resident memory in KiB (VmHWM, Linux; 0 elsewhere). The
// document package's memory test runs it to measure a conversion in a
// process of its own.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/scangate/gateway/document"
)

func main() {
	compact := flag.Bool("compact", false, "recode G3 pages as G4")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: convertcmd [-compact] OUT IN...")
		os.Exit(2)
	}
	pages, err := document.Convert(flag.Arg(0), flag.Args()[1:], document.Info{Compact: *compact})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(pages, peakKiB())
}

// peakKiB returns the process's peak resident set size from
// /proc/self/status. Unlike the rusage a parent reads, it does not start
// from the parent's memory at the fork.
func peakKiB() int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if f := bytes.Fields(sc.Bytes()); len(f) >= 2 && string(f[0]) == "VmHWM:" {
			v, _ := strconv.Atoi(string(f[1]))
			return v
		}
	}
	return 0
}
