package ccitt

// The code words of ITU-T T.4 (tables 1, 2 and 3), written as bit strings,
// most significant (first transmitted) bit first. Run-length codes come in
// terminating codes (runs 0-63) and make-up codes (multiples of 64); a run
// is coded as make-up codes followed by one terminating code.

// whiteTerm[n] codes a white run of n pixels, n < 64.
var whiteTerm = [64]string{
	"00110101", "000111", "0111", "1000", "1011", "1100", "1110", "1111",
	"10011", "10100", "00111", "01000", "001000", "000011", "110100", "110101",
	"101010", "101011", "0100111", "0001100", "0001000", "0010111", "0000011", "0000100",
	"0101000", "0101011", "0010011", "0100100", "0011000", "00000010", "00000011", "00011010",
	"00011011", "00010010", "00010011", "00010100", "00010101", "00010110", "00010111", "00101000",
	"00101001", "00101010", "00101011", "00101100", "00101101", "00000100", "00000101", "00001010",
	"00001011", "01010010", "01010011", "01010100", "01010101", "00100100", "00100101", "01011000",
	"01011001", "01011010", "01011011", "01001010", "01001011", "00110010", "00110011", "00110100",
}

// blackTerm[n] codes a black run of n pixels, n < 64.
var blackTerm = [64]string{
	"0000110111", "010", "11", "10", "011", "0011", "0010", "00011",
	"000101", "000100", "0000100", "0000101", "0000111", "00000100", "00000111", "000011000",
	"0000010111", "0000011000", "0000001000", "00001100111", "00001101000", "00001101100", "00000110111", "00000101000",
	"00000010111", "00000011000", "000011001010", "000011001011", "000011001100", "000011001101", "000001101000", "000001101001",
	"000001101010", "000001101011", "000011010010", "000011010011", "000011010100", "000011010101", "000011010110", "000011010111",
	"000001101100", "000001101101", "000011011010", "000011011011", "000001010100", "000001010101", "000001010110", "000001010111",
	"000001100100", "000001100101", "000001010010", "000001010011", "000000100100", "000000110111", "000000111000", "000000100111",
	"000000101000", "000001011000", "000001011001", "000000101011", "000000101100", "000001011010", "000001100110", "000001100111",
}

// whiteMakeup[i] codes a white run of 64*(i+1) pixels, up to 1728.
var whiteMakeup = [27]string{
	"11011", "10010", "010111", "0110111", "00110110", "00110111", "01100100", "01100101",
	"01101000", "01100111", "011001100", "011001101", "011010010", "011010011", "011010100", "011010101",
	"011010110", "011010111", "011011000", "011011001", "011011010", "011011011", "010011000", "010011001",
	"010011010", "011000", "010011011",
}

// blackMakeup[i] codes a black run of 64*(i+1) pixels, up to 1728.
var blackMakeup = [27]string{
	"0000001111", "000011001000", "000011001001", "000001011011", "000000110011", "000000110100", "000000110101", "0000001101100",
	"0000001101101", "0000001001010", "0000001001011", "0000001001100", "0000001001101", "0000001110010", "0000001110011", "0000001110100",
	"0000001110101", "0000001110110", "0000001110111", "0000001010010", "0000001010011", "0000001010100", "0000001010101", "0000001011010",
	"0000001011011", "0000001100100", "0000001100101",
}

// extMakeup[i] codes a run of either colour of 1792+64*i pixels, up to
// 2560 (the extended make-up codes for lines wider than A4).
var extMakeup = [13]string{
	"00000001000", "00000001100", "00000001101", "000000010010", "000000010011", "000000010100", "000000010101",
	"000000010110", "000000010111", "000000011100", "000000011101", "000000011110", "000000011111",
}

// maxMakeup is the longest run a single make-up code can carry.
const maxMakeup = 2560

// The end-of-line code: eleven 0 bits and a 1. No other code has more than
// seven leading zeros, so any run of eleven zeros is the start of an EOL
// (possibly after fill bits).
const (
	eolCode = 0x001
	eolLen  = 12
	eolZero = 11
)

// Two-dimensional mode codes (T.4 table 4, T.6 table 1).
type mode uint8

const (
	modeInvalid mode = iota
	modePass
	modeHoriz
	modeV0
	modeVR1
	modeVR2
	modeVR3
	modeVL1
	modeVL2
	modeVL3
	modeExt // 0000001xxx: an extension; 0000001111 enters uncompressed mode
)

// modeCodes are the mode code words; the vertical modes' offsets a1-b1 are
// in vDelta.
var modeCodes = [...]struct {
	m    mode
	code string
}{
	{modePass, "0001"}, {modeHoriz, "001"}, {modeV0, "1"},
	{modeVR1, "011"}, {modeVR2, "000011"}, {modeVR3, "0000011"},
	{modeVL1, "010"}, {modeVL2, "000010"}, {modeVL3, "0000010"},
	{modeExt, "0000001"},
}

// vDelta is a1-b1 for each vertical mode.
var vDelta = [...]int{modeV0: 0, modeVR1: 1, modeVR2: 2, modeVR3: 3, modeVL1: -1, modeVL2: -2, modeVL3: -3}

// code is a parsed code word, right-aligned in bits.
type code struct {
	bits uint32
	len  uint8
}

func parseCode(s string) code {
	var c code
	for i := 0; i < len(s); i++ {
		c.bits = c.bits<<1 | uint32(s[i]-'0')
		c.len++
	}
	return c
}

// Lookup tables for decoding. A run-length table is indexed by the next
// runBits bits of input (every run code is at most 13 bits long); the mode
// table by the next modeBits bits.
const (
	runBits  = 13
	modeBits = 7
)

// runEntry is what the next runBits bits of input start with: a code of
// len bits for a run of run pixels, a make-up code when makeup is set.
// len 0 means no valid code starts there.
type runEntry struct {
	run    uint16
	len    uint8
	makeup bool
}

type modeEntry struct {
	m   mode
	len uint8
}

// Run-length codes for encoding, by colour (0 white, 1 black).
var (
	termCodes   [2][64]code
	makeupCodes [2][maxMakeup / 64]code // index run/64-1
)

// Decoding tables, by colour.
var (
	runTable  [2][1 << runBits]runEntry
	modeTable [1 << modeBits]modeEntry
)

func init() {
	for color, terms := range [2]*[64]string{&whiteTerm, &blackTerm} {
		for n, s := range terms {
			termCodes[color][n] = parseCode(s)
		}
		for i, s := range [2]*[27]string{&whiteMakeup, &blackMakeup}[color] {
			makeupCodes[color][i] = parseCode(s)
		}
		for i, s := range extMakeup {
			makeupCodes[color][27+i] = parseCode(s)
		}
	}
	buildTables(&runTable, &modeTable)
}

// buildTables fills decoding tables from the code words and returns the
// number of table entries that two codes both claimed, which is 0 for
// prefix-free code sets (the tests check it).
func buildTables(runs *[2][1 << runBits]runEntry, modes *[1 << modeBits]modeEntry) (conflicts int) {
	for color := range 2 {
		t := &runs[color]
		put := func(c code, e runEntry) {
			e.len = c.len
			shift := runBits - uint(c.len)
			first := c.bits << shift
			for i := range uint32(1) << shift {
				if t[first+i].len != 0 {
					conflicts++
				}
				t[first+i] = e
			}
		}
		for n, c := range termCodes[color] {
			put(c, runEntry{run: uint16(n)})
		}
		for i, c := range makeupCodes[color] {
			put(c, runEntry{run: uint16(64 * (i + 1)), makeup: true})
		}
	}
	for _, mc := range modeCodes {
		c := parseCode(mc.code)
		shift := modeBits - uint(c.len)
		for i := range uint32(1) << shift {
			e := &modes[c.bits<<shift+i]
			if e.len != 0 {
				conflicts++
			}
			*e = modeEntry{mc.m, c.len}
		}
	}
	return conflicts
}
