package document_test

import (
	"fmt"
	"log"
	"os"

	"github.com/scangate/gateway/document"
)

// A TIFF-F file for an Internet fax receiver, from the pages of a scan.
// The output must be seekable: an *os.File, here the null device.
func ExampleNewTIFFF() {
	in, err := os.Open("testdata/fax-g4.tif") // one letter page from a Ghostscript fax device
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		log.Fatal(err)
	}
	pages, err := document.ReadPages(in, st.Size())
	if err != nil {
		log.Fatal(err)
	}

	out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	tf := document.NewTIFFF(out)
	for _, pg := range pages {
		if err := tf.AddPage(in, pg); err != nil {
			log.Fatal(err) // e.g. "document: page 1: strip 1: ccitt: row 17: invalid white code"
		}
		fmt.Printf("page %d: %dx%d pixels at %gx%g dpi, re-coded as G3 1-D\n", pg.Number, pg.Width, pg.Height, pg.XRes, pg.YRes)
	}
	if err := tf.Close(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// page 1: 1728x2156 pixels at 204x196 dpi, re-coded as G3 1-D
}
