// Package panel is the front panel of the gateway: the state machine behind
// the character LCD, the keys and the three LEDs, independent of any real
// screen.
//
// # Driving it
//
// A Panel draws on any periph display.TextDisplay of at least 16x2
// characters. It starts no goroutines: the caller feeds it key presses
// (Key), news from the job flow (Event) and a clock tick every TickInterval
// (Tick), and after each call reads the LEDs to set the lights. Key returns
// a Request, the only way the panel asks for work: send the scan to a
// destination, or stop the job in progress. The time of day comes from an
// injected function so tests control it.
//
// # Screens
//
//	Ready       "Ready      12:04"  device name (or "Ready") and the clock
//	            "To: Accounts"      the selected destination; up/down walk the
//	                                address book, wrapping at its ends
//	Details     "Accounts"          ok or right on Ready; the name and the
//	            "accounts@exampl"   address, scrolling when too long; ok, back
//	                                or left return, up/down keep walking
//	Progress    "Receiving 34%"     after send: Receiving (percent, or a size
//	            "To: Accounts"      when the total is unknown), Queued,
//	                                Converting, Sending; stop asks to stop
//	Sent        "Sent to Accounts"  until any key or about 30 s of ticks
//	Stopped     "Stopped"           like Sent, after a stop
//	Not sent    "Not sent"          Result.Short; the Error LED stays on until
//	            "Wrong password"    ok or back; arrows show Result.Detail
//
// While a job is in progress every key but stop is ignored and a hint says
// so on the last row for a moment. Displays with more rows show more: the
// address on Ready, the page number while busy, the destination and the
// detail of a failure.
//
// # Text
//
// Every row is exactly as wide as the display: text is cut or padded, never
// written past the row's end, and only the changed part of a changed row is
// written. Text is turned into printable ASCII first (accented letters lose
// their accents), which every character LCD shows the same way. Displays
// that show a frame at a time (the simulated boards) implement Flusher and
// are flushed after each update.
package panel
