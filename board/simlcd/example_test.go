package simlcd_test

import (
	"fmt"

	"github.com/scangate/gateway/board/simlcd"
)

// A 16x2 display: text written past the end of row 0 would run into the
// controller's hidden memory, so the second row is reached with MoveTo.
func Example() {
	d := simlcd.New(16, 2)
	d.WriteString("Ready      12:04")
	d.MoveTo(1, 0)
	d.WriteString("To: Demo inbox")
	fmt.Print(d)
	fmt.Println(d.Overflows(), "bytes written past their row")
	// Output:
	// |Ready      12:04|
	// |To: Demo inbox  |
	// 0 bytes written past their row
}
