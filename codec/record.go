package codec

import (
	"encoding/binary"
	"hash/crc32"
)

// Sizes of the record frame.
const (
	// HeaderSize is the length and kind that precede a body.
	HeaderSize = 5
	// TrailerSize is the checksum that follows a body.
	TrailerSize = 4
	// Overhead is the frame's total size around a body.
	Overhead = HeaderSize + TrailerSize
	// DefaultMaxBody is the body limit used when a caller passes 0.
	DefaultMaxBody = 64 << 20
	// MaxBodyLimit is the largest body the frame can describe.
	MaxBodyLimit = 1<<32 - 1
)

// Kind tells the records of a log apart; its meaning belongs to the caller.
type Kind uint8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C of b.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// UpdateChecksum returns the CRC-32C of the bytes that gave crc followed by
// b: Checksum(x+b) == UpdateChecksum(Checksum(x), b).
func UpdateChecksum(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }

// AppendRecord appends a framed record holding body to dst. It does not
// allocate when dst has room.
func AppendRecord(dst []byte, kind Kind, body []byte) []byte {
	dst, start := StartRecord(dst, kind)
	dst = append(dst, body...)
	return FinishRecord(dst, start)
}

// StartRecord appends a record header with a placeholder length, so that a
// body can be encoded straight after it, and returns where the record starts.
// FinishRecord(dst, start) completes it.
func StartRecord(dst []byte, kind Kind) (_ []byte, start int) {
	start = len(dst)
	return append(dst, 0, 0, 0, 0, byte(kind)), start
}

// BodyLen returns the length of the body appended since StartRecord returned
// start.
func BodyLen(dst []byte, start int) int { return len(dst) - start - HeaderSize }

// FinishRecord fills in the length of the record started at start and appends
// its checksum. The body must fit in a uint32 (check BodyLen against the
// limit before calling).
func FinishRecord(dst []byte, start int) []byte { return FinishRecordSeed(dst, start, 0) }

// FinishRecordSeed is FinishRecord with a checksum seeded by seed: the
// CRC-32C of whatever bytes gave seed, followed by the record's length, kind
// and body. A seed binds a record to something outside it (a log writes the
// CRC-32C of its file's identity and the record's position there), so that
// an intact record copied anywhere else fails its checksum. Seed 0 is
// FinishRecord.
func FinishRecordSeed(dst []byte, start int, seed uint32) []byte {
	binary.LittleEndian.PutUint32(dst[start:], uint32(BodyLen(dst, start)))
	return binary.LittleEndian.AppendUint32(dst, UpdateChecksum(seed, dst[start:]))
}

// ParseHeader reads the length and kind at the start of src. It fails with an
// *IncompleteError when src is shorter than a header and with a
// *TooLargeError when the length is over max (DefaultMaxBody when max is 0),
// before anything is allocated or read.
func ParseHeader(src []byte, max int) (bodyLen int, kind Kind, err error) {
	if len(src) < HeaderSize {
		return 0, 0, &IncompleteError{Need: HeaderSize, Have: len(src)}
	}
	if max <= 0 {
		max = DefaultMaxBody
	}
	n := binary.LittleEndian.Uint32(src)
	if uint64(n) > uint64(max) {
		return 0, 0, &TooLargeError{Length: uint64(n), Max: max}
	}
	return int(n), Kind(src[4]), nil
}

// RecordSize is the framed size of a record with a body of bodyLen bytes.
func RecordSize(bodyLen int) int { return bodyLen + Overhead }

// DecodeRecord decodes the record at the start of src, verifying its
// checksum. It returns the record's kind, its body (a sub-slice of src, not a
// copy) and its framed size. Errors: *IncompleteError when src ends before
// the record does, *TooLargeError when the length is over max (DefaultMaxBody
// when max is 0), *ChecksumError when the checksum does not match.
func DecodeRecord(src []byte, max int) (kind Kind, body []byte, n int, err error) {
	return DecodeRecordSeed(src, max, 0)
}

// DecodeRecordSeed is DecodeRecord for a record framed by FinishRecordSeed
// with the same seed; any other seed fails with a *ChecksumError.
func DecodeRecordSeed(src []byte, max int, seed uint32) (kind Kind, body []byte, n int, err error) {
	bodyLen, kind, err := ParseHeader(src, max)
	if err != nil {
		return 0, nil, 0, err
	}
	n = RecordSize(bodyLen)
	if len(src) < n {
		return 0, nil, 0, &IncompleteError{Need: n, Have: len(src)}
	}
	end := HeaderSize + bodyLen
	stored := binary.LittleEndian.Uint32(src[end:])
	if computed := UpdateChecksum(seed, src[:end]); computed != stored {
		return 0, nil, 0, &ChecksumError{Stored: stored, Computed: computed}
	}
	return kind, src[HeaderSize:end:end], n, nil
}
