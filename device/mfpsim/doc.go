// Package mfpsim simulates the office fax/MFP for `gateway demo` and for
// tests: the machine's end of a pseudo-terminal pair, serving scanned
// documents with the transfer protocols of package device.
//
// Start opens the pair and waits for the gateway to pull: the gateway opens
// PortPath with device.OpenSerial, as it would open the machine's serial
// port, and starts a transfer as the receiver ('C' for YMODEM, ZRINIT for
// ZMODEM; the ZMODEM machine stays silent until then). The machine answers with all
// its documents as one batch, named scan0001.tif, scan0002.tif, ... so that
// every pull delivers new file names, and then waits for the next pull. A
// failed or cancelled pull delivers nothing; the next one gets the same
// names.
//
// SamplePages is the embedded sample scan: a three-page CCITT Group 4 TIFF
// at fax "fine" resolution (204x196 dpi, 1728 dots wide, A4 length) with a
// cover sheet, an order confirmation and a delivery form. It is rendered by
// sample/make-sample.sh from sample/scan.ps with Ghostscript; the TIFF is
// committed so that the demo needs nothing but Go.
//
// OpenPTY gives the raw pseudo-terminal pair alone, for tests that put
// another program on the machine's end. The pair is in raw mode (no echo,
// no line editing, no CR/LF translation) and its master is non-blocking so
// that read timeouts work on it; the slave stays open for the life of the
// pair, so the master keeps working while the gateway opens and closes its
// end.
package mfpsim
