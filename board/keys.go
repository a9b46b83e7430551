package board

import "github.com/scangate/gateway/panel"

// input is one decoded key press of the interactive sim: a panel key, or the
// request to quit.
type input struct {
	key  panel.Key
	quit bool
}

// maxCSI is the longest run of parameter and intermediate bytes accepted in
// a control sequence; a longer one is skipped as garbage.
const maxCSI = 16

// arrows maps the final byte of an arrow key's sequence to its key.
var arrows = map[byte]panel.Key{'A': panel.KeyUp, 'B': panel.KeyDown, 'C': panel.KeyRight, 'D': panel.KeyLeft}

// plainKeys maps single bytes to inputs.
var plainKeys = map[byte]input{
	'\r': {key: panel.KeyOK}, '\n': {key: panel.KeyOK},
	0x7f: {key: panel.KeyBack}, 0x08: {key: panel.KeyBack},
	's': {key: panel.KeySend}, 'S': {key: panel.KeySend},
	'x': {key: panel.KeyStop}, 'X': {key: panel.KeyStop}, ' ': {key: panel.KeyStop},
	'q': {quit: true}, 'Q': {quit: true}, 0x03: {quit: true}, 0x04: {quit: true},
}

// decodeKeys decodes raw terminal input into key presses and returns them
// with the number of bytes of buf it used.
//
// Arrows arrive as CSI sequences (ESC [ A, also with parameters such as
// ESC [ 1 ; 5 A) or SS3 sequences (ESC O A, in application cursor mode);
// other sequences (function keys, Home, Delete...) and other bytes are
// skipped. A lone ESC is the back key; "\r\n" is one Enter. When buf ends
// in what may be the start of a longer sequence (ESC, ESC [ ..., ESC O, or
// CR that a LF may follow) those bytes are left unused unless final is set,
// so the caller can wait a moment for the rest; with final set every byte is
// used.
func decodeKeys(buf []byte, final bool) (ins []input, used int) {
	i := 0
	for i < len(buf) {
		b := buf[i]
		switch {
		case b == 0x1b:
			n, in, ok := escape(buf[i:], final)
			if n == 0 {
				return ins, i
			}
			if ok {
				ins = append(ins, in)
			}
			i += n
		case b == '\r':
			if i+1 == len(buf) && !final {
				return ins, i
			}
			ins = append(ins, input{key: panel.KeyOK})
			i++
			if i < len(buf) && buf[i] == '\n' {
				i++
			}
		default:
			if in, ok := plainKeys[b]; ok {
				ins = append(ins, in)
			}
			i++
		}
	}
	return ins, i
}

// escape decodes the sequence at the start of buf, which starts with ESC. It
// returns the number of bytes the sequence takes (0 when it may be
// incomplete and final is not set) and its input, if it is a key.
func escape(buf []byte, final bool) (n int, in input, ok bool) {
	back := input{key: panel.KeyBack}
	if len(buf) == 1 {
		if !final {
			return 0, in, false
		}
		return 1, back, true
	}
	switch buf[1] {
	case 'O': // SS3: one final byte
		if len(buf) == 2 {
			if !final {
				return 0, in, false
			}
			return 2, in, false
		}
		if k, isArrow := arrows[buf[2]]; isArrow {
			return 3, input{key: k}, true
		}
		if buf[2] == 'M' { // keypad Enter
			return 3, input{key: panel.KeyOK}, true
		}
		return 3, in, false
	case '[': // CSI: parameters and intermediates 0x20-0x3F, final 0x40-0x7E
		j := 2
		for j < len(buf) && j-2 < maxCSI && buf[j] >= 0x20 && buf[j] <= 0x3f {
			j++
		}
		switch {
		case j-2 >= maxCSI:
			return j, in, false
		case j == len(buf):
			if !final {
				return 0, in, false
			}
			return j, in, false
		case buf[j] < 0x40 || buf[j] > 0x7e:
			return j, in, false // broken off: the next byte starts afresh
		}
		if k, isArrow := arrows[buf[j]]; isArrow {
			return j + 1, input{key: k}, true
		}
		return j + 1, in, false
	}
	return 1, back, true // ESC followed by anything else: a lone Esc
}
