package wal

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/internal/bugs"
)

// The chunk file format. Integers are little-endian. docs/format.md says the
// same in prose.
//
//	chunk  := header record* [seal]
//	header := magic[8] version:u16 flags:u16 start:u64 salt:u64 crc:u32
//	record := codec frame (length:u32 kind:u8 body crc32c:u32)
//
// start is the chunk's id: the global offset of its first byte, also in the
// file name. In version 1 the salt field is reserved (zero) and a record's
// crc covers its length, kind and body. In version 2 the salt is a random
// number drawn when the chunk is created, and a record's crc is seeded with
// the salt and the record's global offset (see recordSeed): a record is
// intact only in the file and at the place where it was written, so stale
// bytes (an older record of this or another log that a power loss leaves
// inside the file's length) fail their checksum instead of being replayed.
//
// Record kinds:
//
//	1 record      a caller's record (codec.Codec[R] body)
//	2 checkpoint  a caller's checkpoint record; the first caller record of
//	              every chunk, so a chunk can be replayed without the ones
//	              before it
//	3 synced      body value:u64 at:u64. Every byte before global offset
//	              value was made durable by an fsync that completed before
//	              this record was written. The flush worker starts every
//	              write batch with one, which is how recovery knows where
//	              durability ends. value == at closes the log (Close).
//	4 trim        body value:u64 at:u64. Chunks starting before global
//	              offset value are obsolete; their files may be removed once
//	              this record is durable.
//	6 seal        (version 2) body next:u64 salt:u64 start:u64 records:u32
//	              reserved:u32. The last record of every chunk but the
//	              newest: the next chunk starts at global offset next (where
//	              this record ends) and has the given salt; start is the
//	              log's first offset (the largest trim so far); records
//	              counts the chunk's caller records, checkpoint included. It
//	              is written only once the next chunk exists durably, so a
//	              sealed chunk proves that its successor must exist.
//
// at is the marker's own global offset. Recovery looks for synced markers
// past a damaged record by scanning raw bytes, so a marker must prove it
// sits where it was written: in version 1 by naming its own position, in
// version 2 also by its seeded checksum.
const (
	// FormatVersion is the chunk format this code writes. It reads every
	// version from 1 to FormatVersion.
	FormatVersion = 2
	// ChunkHeaderSize is the size of a chunk's header in every version.
	ChunkHeaderSize = 32
)

const formatV1 = 1

var magic = [8]byte{'R', 'A', 'F', 'T', 'L', 'O', 'G', 0}

// Record kinds on disk.
const (
	kindRecord     codec.Kind = 1
	kindCheckpoint codec.Kind = 2
	kindSynced     codec.Kind = 3
	kindTrim       codec.Kind = 4
	kindSeal       codec.Kind = 6
)

// markerBody and markerSize are the body and framed size of a synced or
// trim record; sealBody and sealSize those of a seal.
const (
	markerBody = 16
	markerSize = codec.Overhead + markerBody
	sealBody   = 32
	sealSize   = codec.Overhead + sealBody
)

// readLimit bounds a record's length when reading: the limit it was written
// under may have been larger than today's MaxRecordBytes, so reading trusts
// any length that fits in what is left of the file (checked before any
// allocation) up to what an int holds everywhere.
const readLimit = math.MaxInt32

// Kind is what a record found by Scan holds.
type Kind int

// Kinds of records found by Scan.
const (
	// KindRecord is a caller's record.
	KindRecord Kind = iota + 1
	// KindCheckpoint is a caller's checkpoint record.
	KindCheckpoint
	// KindSynced states how far the log was durable when it was written.
	KindSynced
	// KindTrim states below which offset chunks are obsolete.
	KindTrim
	// KindSeal ends a chunk and names its successor.
	KindSeal
)

// String names the value for logs and traces.
func (k Kind) String() string {
	switch k {
	case KindRecord:
		return "record"
	case KindCheckpoint:
		return "checkpoint"
	case KindSynced:
		return "synced"
	case KindTrim:
		return "trim"
	case KindSeal:
		return "seal"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// recordSeed is the checksum seed of a record at global offset at in a chunk
// of the given version and salt: 0 in version 1; in version 2 the low 32
// bits of the SplitMix64 finaliser of salt + at*0x9E3779B97F4A7C15. CRC-32C
// is linear, so two different seeds give two different checksums for the
// same bytes: a record checks out only with its own seed
// (or, by chance, one in 2^32 others).
func recordSeed(version uint16, salt, at uint64) uint32 {
	if version == formatV1 || bugs.On(bugs.UnboundRecords) {
		return 0
	}
	z := salt + at*0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return uint32(z ^ z>>31)
}

func appendHeader(dst []byte, version uint16, start, salt uint64) []byte {
	dst = append(dst, magic[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, version)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, start)
	dst = binary.LittleEndian.AppendUint64(dst, salt)
	return binary.LittleEndian.AppendUint32(dst, codec.Checksum(dst[len(dst)-28:]))
}

// headerError says why a header is unusable; badVersion is set when the
// header is intact but from a format this code cannot read.
type headerError struct {
	reason     string
	badVersion bool
	version    uint16
}

// header is what a chunk's header says.
type header struct {
	version uint16
	salt    uint64
}

func parseHeader(b []byte, wantStart uint64) (header, *headerError) {
	if len(b) < ChunkHeaderSize {
		return header{}, &headerError{reason: fmt.Sprintf("header cut short: %d of %d bytes", len(b), ChunkHeaderSize)}
	}
	if [8]byte(b[:8]) != magic {
		return header{}, &headerError{reason: "bad magic"}
	}
	if got, want := binary.LittleEndian.Uint32(b[28:]), codec.Checksum(b[:28]); got != want {
		return header{}, &headerError{reason: fmt.Sprintf("header checksum mismatch: stored %08x, computed %08x", got, want)}
	}
	v := binary.LittleEndian.Uint16(b[8:])
	if v < formatV1 || v > FormatVersion {
		return header{}, &headerError{reason: "unsupported version", badVersion: true, version: v}
	}
	if start := binary.LittleEndian.Uint64(b[12:]); start != wantStart {
		return header{}, &headerError{reason: fmt.Sprintf("header says the chunk starts at %d, its name says %d", start, wantStart)}
	}
	h := header{version: v, salt: binary.LittleEndian.Uint64(b[20:])}
	if v == formatV1 {
		h.salt = 0
	}
	return h, nil
}

// appendMarker appends a synced or trim record stating v, which will sit at
// global offset at in a chunk whose records are seeded by seed(at).
func appendMarker(dst []byte, kind codec.Kind, v, at uint64, seed uint32) []byte {
	dst, start := codec.StartRecord(dst, kind)
	dst = binary.LittleEndian.AppendUint64(dst, v)
	dst = binary.LittleEndian.AppendUint64(dst, at)
	return codec.FinishRecordSeed(dst, start, seed)
}

// patchMarker rewrites the value of the marker framed at b[0:markerSize].
func patchMarker(b []byte, v uint64, seed uint32) {
	binary.LittleEndian.PutUint64(b[codec.HeaderSize:], v)
	end := codec.HeaderSize + markerBody
	binary.LittleEndian.PutUint32(b[end:], codec.UpdateChecksum(seed, b[:end]))
}

// markerValue returns the value of a marker found at global offset at,
// checking that it names that offset.
func markerValue(body []byte, at uint64) (uint64, error) {
	if len(body) != markerBody {
		return 0, fmt.Errorf("marker body is %d bytes, want %d", len(body), markerBody)
	}
	v, own := binary.LittleEndian.Uint64(body), binary.LittleEndian.Uint64(body[8:])
	if own != at {
		return 0, fmt.Errorf("marker says it is at offset %d, found at %d", own, at)
	}
	return v, nil
}

// seal is the body of a seal record.
type seal struct {
	next    uint64 // global offset of the next chunk: where the seal ends
	salt    uint64 // the next chunk's salt
	start   uint64 // the log's first offset when the chunk was sealed
	records uint32 // caller records in the chunk, checkpoint included
}

func appendSeal(dst []byte, s seal, seed uint32) []byte {
	dst, start := codec.StartRecord(dst, kindSeal)
	dst = binary.LittleEndian.AppendUint64(dst, s.next)
	dst = binary.LittleEndian.AppendUint64(dst, s.salt)
	dst = binary.LittleEndian.AppendUint64(dst, s.start)
	dst = binary.LittleEndian.AppendUint32(dst, s.records)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return codec.FinishRecordSeed(dst, start, seed)
}

// parseSeal decodes the body of a seal found at global offset at.
func parseSeal(body []byte, at uint64) (seal, error) {
	if len(body) != sealBody {
		return seal{}, fmt.Errorf("seal body is %d bytes, want %d", len(body), sealBody)
	}
	s := seal{
		next:    binary.LittleEndian.Uint64(body),
		salt:    binary.LittleEndian.Uint64(body[8:]),
		start:   binary.LittleEndian.Uint64(body[16:]),
		records: binary.LittleEndian.Uint32(body[24:]),
	}
	if s.next != at+sealSize {
		return seal{}, fmt.Errorf("seal names the next chunk at %d, it ends at %d", s.next, at+sealSize)
	}
	return s, nil
}
