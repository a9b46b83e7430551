package paneltest

import (
	"slices"
	"testing"

	"periph.io/x/conn/v3/display"

	"github.com/scangate/gateway/board/simlcd"
)

var (
	_ display.TextDisplay = (*Display)(nil)
	_ *simlcd.Display     = NewDisplay(1, 1)
)

// TestDisplay checks that the fake is the memory LCD, blank and switched
// on; board/simlcd tests the model itself.
func TestDisplay(t *testing.T) {
	d := NewDisplay(16, 2)
	if d.Cols() != 16 || d.Rows() != 2 {
		t.Fatalf("size %dx%d, want 16x2", d.Cols(), d.Rows())
	}
	if err := d.MoveTo(1, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WriteString("ok"); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Lines(), []string{"                ", "  ok            "}; !slices.Equal(got, want) {
		t.Errorf("Lines() = %q, want %q", got, want)
	}
}
