package document_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/scangate/gateway/document"
)

// Convert turns scanned TIFF, JPEG and PBM files into one PDF at out, atomically.
func ExampleConvert() {
	pages, err := document.Convert(context.Background(), "/var/spool/scangate/out/job-42.pdf",
		[]string{"/var/spool/scangate/jobs/42/page-1.tif", "/var/spool/scangate/jobs/42/photo.jpg"},
		document.Info{Title: "Scan from reception", Producer: "Scangate", Created: time.Now()})
	if err != nil {
		log.Fatal(err) // e.g. "document: /var/spool/.../page-1.tif page 2: unsupported compression 5"
	}
	fmt.Println(pages, "pages")
}

// The streaming writer takes pages one at a time from any io.ReaderAt.
func ExampleNewPDF() {
	f, err := os.Open("testdata/fax-g4.tif") // one letter page from a Ghostscript fax device
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	pages, err := document.ReadTIFF(f, st.Size())
	if err != nil {
		log.Fatal(err)
	}

	var out bytes.Buffer
	pdf := document.NewPDF(&out, document.Info{Title: "Sample fax", Producer: "Scangate"})
	for _, pg := range pages {
		fmt.Printf("page %d: %dx%d pixels at %gx%g dpi, compression %d: %.2f x %.2f in\n",
			pg.Number, pg.Width, pg.Height, pg.XRes, pg.YRes, pg.Compression,
			float64(pg.Width)/pg.XRes, float64(pg.Height)/pg.YRes)
		if err := pdf.AddPage(f, pg); err != nil {
			log.Fatal(err)
		}
	}
	if err := pdf.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s, %d bytes of fax data in a %d-byte PDF\n",
		bytes.SplitN(out.Bytes(), []byte("\n"), 2)[0], pages[0].Strips[0].Length, out.Len())
	// Output:
	// page 1: 1728x2156 pixels at 204x196 dpi, compression 4: 8.47 x 11.00 in
	// %PDF-1.4, 2894 bytes of fax data in a 3841-byte PDF
}
