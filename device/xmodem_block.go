package device

import "errors"

// XMODEM blocks come in two framings: with a one-byte arithmetic checksum
// (the original protocol, asked for with NAK) or with the CRC-16 of YMODEM
// (asked for with 'C').

// checksumOverhead is the framing of a checksum block: start byte, block
// number, its complement and the checksum.
const checksumOverhead = 4

// checksum8 is the arithmetic sum of the payload modulo 256.
func checksum8(payload []byte) byte {
	var sum byte
	for _, b := range payload {
		sum += b
	}
	return sum
}

// frameLen is the length of a whole frame with an n-byte payload.
func frameLen(n int, crc bool) int {
	if crc {
		return n + blockOverhead
	}
	return n + checksumOverhead
}

// encodeXBlock frames payload (128 or 1024 bytes) as block seq, with a CRC
// or a checksum.
func encodeXBlock(seq byte, payload []byte, crc bool) []byte {
	if crc {
		return encodeBlock(seq, payload)
	}
	start := byte(soh)
	if len(payload) > shortBlock {
		start = stx
	}
	frame := make([]byte, 0, len(payload)+checksumOverhead)
	frame = append(frame, start, seq, ^seq)
	frame = append(frame, payload...)
	return append(frame, checksum8(payload))
}

// errBlockSum reports a checksum block whose sum does not match.
var errBlockSum = errors.New("checksum mismatch")
