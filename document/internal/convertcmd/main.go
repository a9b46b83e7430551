// Command convertcmd runs document.Convert on the files it is given, as
// "convertcmd [-compact] OUT IN...", and prints the number of pages and the
// process's peak resident memory in KiB (VmHWM, Linux; 0 elsewhere). The
// document package's memory test runs it to measure a conversion in a
// process of its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/scangate/gateway/document"
	"github.com/scangate/gateway/internal/procstat"
)

func main() {
	compact := flag.Bool("compact", false, "recode G3 pages as G4")
	flag.Parse()
	if flag.NArg() < 2 {
		fmt.Fprintln(os.Stderr, "usage: convertcmd [-compact] OUT IN...")
		os.Exit(2)
	}
	pages, err := document.Convert(context.Background(), flag.Arg(0), flag.Args()[1:], document.Info{Compact: *compact})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(pages, procstat.PeakRSS()>>10)
}
