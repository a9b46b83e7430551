package panel

import "strings"

// view is one screen of the menu. The menu is a stack of views: opening an
// item pushes one, back pops it, and popping the last returns to the ready
// screen.
type view interface {
	// key handles a key press; it may push or pop views.
	key(p *Panel, k Key) Request
	// rows lays the view out for p's display.
	rows(p *Panel) []row
}

func (p *Panel) push(v view) {
	p.stack = append(p.stack, v)
	p.ticks = 0
}

// pop removes the top n views; with none left the menu closes.
func (p *Panel) pop(n int) {
	p.stack = p.stack[:max(len(p.stack)-n, 0)]
	p.ticks = 0
	if len(p.stack) == 0 {
		p.closeMenu()
	}
}

// replace puts v in the place of the top view.
func (p *Panel) replace(v view) {
	p.stack[len(p.stack)-1] = v
	p.ticks = 0
}

func (p *Panel) top() view {
	if len(p.stack) == 0 {
		return nil
	}
	return p.stack[len(p.stack)-1]
}

// item is one line of a list. An item with a value takes two rows: the
// label, and the value below it.
type item struct {
	label  string
	value  string
	valued bool
	open   func(p *Panel) Request // nil: nothing to open
}

// listView is a list of items with a cursor: up and down move it (wrapping),
// ok or right opens the item, back or left leaves.
type listView struct {
	title string                // shown above the items when not empty
	items func(p *Panel) []item // the items as they are now
	empty string                // shown when there are no items
	back  func(p *Panel) Request
	sel   int
	first int // the first item shown
}

func (v *listView) key(p *Panel, k Key) Request {
	items := v.items(p)
	n := len(items)
	switch k {
	case KeyUp, KeyDown:
		if n > 0 {
			step := 1
			if k == KeyUp {
				step = n - 1
			}
			v.sel = (min(v.sel, n-1) + step) % n
		}
	case KeyOK, KeyRight:
		if n > 0 {
			v.sel = min(v.sel, n-1)
			if open := items[v.sel].open; open != nil {
				return open(p)
			}
		}
	case KeyBack, KeyLeft:
		if v.back != nil {
			return v.back(p)
		}
		p.pop(1)
	}
	return Request{}
}

func (v *listView) rows(p *Panel) []row {
	var out []row
	if v.title != "" {
		out = append(out, row{text: v.title})
	}
	items := v.items(p)
	if len(items) == 0 {
		return append(out, row{text: v.empty})
	}
	height := 1
	for _, it := range items {
		if it.valued {
			height = 2
		}
	}
	room := max((p.rows-len(out))/height, 1)
	v.sel = min(v.sel, len(items)-1)
	v.first = min(v.first, v.sel, len(items)-room)
	v.first = max(v.first, v.sel-room+1, 0)
	for i := v.first; i < min(len(items), v.first+room); i++ {
		mark := " "
		if i == v.sel {
			mark = ">"
		}
		out = append(out, row{text: mark + items[i].label})
		if height == 2 {
			out = append(out, row{text: " " + items[i].value, scroll: i == v.sel})
		}
	}
	return out
}

// infoView is a title over text that is wrapped to the display's width:
// up and down scroll it, ok, back or left leave.
type infoView struct {
	title string
	lines []string
	pops  int // views to pop when leaving, counting this one
	top   int // the first line shown
}

// message returns an info view that shows what happened; leaving it pops
// pops views.
func message(title string, pops int, lines ...string) *infoView {
	return &infoView{title: title, lines: lines, pops: pops}
}

func (v *infoView) key(p *Panel, k Key) Request {
	switch k {
	case KeyUp:
		v.top = max(v.top-1, 0)
	case KeyDown:
		v.top++ // rows clamps it
	case KeyOK, KeyBack, KeyLeft:
		p.pop(v.pops)
	}
	return Request{}
}

func (v *infoView) rows(p *Panel) []row {
	var text []string
	for _, l := range v.lines {
		text = append(text, wrap(toASCII(l), p.cols)...)
	}
	v.top = max(min(v.top, len(text)-(p.rows-1)), 0)
	out := []row{{text: v.title}}
	for _, l := range text[v.top:] {
		out = append(out, row{text: l})
	}
	return out
}

// confirmView asks a yes/no question: ok says yes, any other key no.
type confirmView struct {
	question string
	yes      func(p *Panel) Request
}

func (v *confirmView) key(p *Panel, k Key) Request {
	p.pop(1)
	if k == KeyOK {
		return v.yes(p)
	}
	return Request{}
}

func (v *confirmView) rows(*Panel) []row {
	return []row{{text: v.question}, {text: "OK=yes Back=no"}}
}

// waitView waits for the Answer to a request and then puts the view done
// makes in its place. Back or left leaves it unless it must stay (a save
// in progress).
type waitView struct {
	text string
	kind RequestKind
	stay bool
	done func(p *Panel, a Answer) view
}

func (v *waitView) key(p *Panel, k Key) Request {
	switch {
	case v.stay:
		p.setHint(hintWait)
	case k == KeyBack || k == KeyLeft:
		p.pop(1)
	}
	return Request{}
}

func (v *waitView) rows(*Panel) []row { return []row{{text: v.text}} }

// wrap breaks ASCII text into lines of at most w characters at spaces,
// cutting words longer than a line.
func wrap(s string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for len(word) > w {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			lines = append(lines, word[:w])
			word = word[w:]
		}
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
