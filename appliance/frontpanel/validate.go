package frontpanel

import (
	"errors"

	"github.com/scangate/gateway/appliance"
	"github.com/scangate/gateway/board"
	"github.com/scangate/gateway/config"
	"github.com/scangate/gateway/panel"
)

// Validate is appliance.Validate with the rules of the parts the front panel drives: the board's profile,
// display and pins (package board) and the panel's PIN (package panel).
func Validate(cfg *config.Config, account bool) error {
	return appliance.Validate(cfg, account, checkBoard, checkPIN)
}

// BoardOptions are the board settings as package board takes them; the caller adds the terminal and the
// logger.
func BoardOptions(b config.Board) board.Options {
	return board.Options{Cols: b.Cols, Rows: b.Rows, I2CBus: b.I2CBus, LCDAddress: b.LCDAddress, KeyPins: b.KeyPins,
		LEDPins: b.LEDPins, Watchdog: b.Watchdog}
}

func checkBoard(c *config.Config, bad config.Bad) {
	err := BoardOptions(c.Board).Validate(c.Board.Profile)
	var joined interface{ Unwrap() []error }
	errs := []error{err}
	if errors.As(err, &joined) {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		var se *board.SettingError
		switch {
		case e == nil:
		case errors.As(e, &se):
			bad(se.Setting, "%s", se.Problem)
		default:
			bad("board", "%v", e)
		}
	}
}

func checkPIN(c *config.Config, bad config.Bad) {
	if pin := c.Panel.PIN; pin != "" && !panel.ValidPIN(pin) {
		bad("panel.pin", "must be %d to %d digits", panel.MinPIN, panel.MaxPIN)
	}
}
