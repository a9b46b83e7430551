package ccitt_test

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/scangate/gateway/document/ccitt"
)

// Rows go in as packed bits, 1 for black, and come back the same.
func Example() {
	picture := []string{
		"..........",
		"..####....",
		"..#...#...",
		"..####....",
		"..#.......",
		"..........",
	}
	p := ccitt.Params{Width: 10, K: -1} // Group 4, as a TIFF with compression 4 holds it

	var coded bytes.Buffer
	enc := ccitt.NewEncoder(&coded, p)
	for _, line := range picture {
		row := make([]byte, 2)
		for x, c := range line {
			if c == '#' {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		if err := enc.WriteRow(row); err != nil {
			log.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows in %d bytes\n", len(picture), coded.Len())

	dec := ccitt.NewDecoder(&coded, p)
	row := make([]byte, 2)
	for {
		err := dec.ReadRow(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		var b strings.Builder
		for x := range p.Width {
			b.WriteByte(".#"[row[x/8]>>(7-x%8)&1])
		}
		fmt.Println(b.String())
	}
	// Output:
	// 6 rows in 10 bytes
	// ..........
	// ..####....
	// ..#...#...
	// ..####....
	// ..#.......
	// ..........
}
