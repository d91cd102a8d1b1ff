package wal

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/raftlog/raftlog/codec"
)

// The chunk file format (version 1). Integers are little-endian.
//
//	chunk  := header record*
//	header := magic[8] version:u16 flags:u16 start:u64 reserved:u64 crc:u32
//	record := codec frame (length:u32 kind:u8 body crc32c:u32)
//
// start is the chunk's id: the global offset of its first byte, also in the
// file name. Record kinds:
//
//	1 record      a caller's record (codec.Codec[R] body)
//	2 checkpoint  a caller's checkpoint record; the first caller record of
//	              every chunk, so a chunk can be replayed without the ones
//	              before it
//	3 synced      body value:u64 at:u64. Every byte before global offset
//	              value was made durable by an fsync that completed before
//	              this record was written. The flush worker starts every
//	              write batch with one, which is how recovery knows where
//	              durability ends.
//	4 trim        body value:u64 at:u64. Chunks starting before global
//	              offset value are obsolete; their files may be removed once
//	              this record is durable.
//
// at is the marker's own global offset. Recovery looks for synced markers
// past a damaged record by scanning raw bytes, so a marker must prove it
// sits where it was written: a marker-shaped frame inside a payload (say,
// another log's bytes stored as an entry) would have to name its own
// position in this log to be believed.
const (
	// FormatVersion is the chunk format this code writes and reads.
	FormatVersion = 1
	// ChunkHeaderSize is the size of a chunk's header.
	ChunkHeaderSize = 32
)

var magic = [8]byte{'R', 'A', 'F', 'T', 'L', 'O', 'G', 0}

// Record kinds on disk.
const (
	kindRecord     codec.Kind = 1
	kindCheckpoint codec.Kind = 2
	kindSynced     codec.Kind = 3
	kindTrim       codec.Kind = 4
)

// markerBody and markerSize are the body and framed size of a synced or
// trim record.
const (
	markerBody = 16
	markerSize = codec.Overhead + markerBody
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
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

func appendHeader(dst []byte, start uint64) []byte {
	dst = append(dst, magic[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, FormatVersion)
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, start)
	dst = binary.LittleEndian.AppendUint64(dst, 0)
	return binary.LittleEndian.AppendUint32(dst, codec.Checksum(dst[len(dst)-28:]))
}

// headerError says why a header is unusable; badVersion is set when the
// header is intact but from a format this code cannot read.
type headerError struct {
	reason     string
	badVersion bool
	version    uint16
}

func parseHeader(b []byte, wantStart uint64) *headerError {
	if len(b) < ChunkHeaderSize {
		return &headerError{reason: fmt.Sprintf("header cut short: %d of %d bytes", len(b), ChunkHeaderSize)}
	}
	if [8]byte(b[:8]) != magic {
		return &headerError{reason: "bad magic"}
	}
	if got, want := binary.LittleEndian.Uint32(b[28:]), codec.Checksum(b[:28]); got != want {
		return &headerError{reason: fmt.Sprintf("header checksum mismatch: stored %08x, computed %08x", got, want)}
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != FormatVersion {
		return &headerError{reason: "unsupported version", badVersion: true, version: v}
	}
	if start := binary.LittleEndian.Uint64(b[12:]); start != wantStart {
		return &headerError{reason: fmt.Sprintf("header says the chunk starts at %d, its name says %d", start, wantStart)}
	}
	return nil
}

// appendMarker appends a synced or trim record stating v, which will sit at
// global offset at.
func appendMarker(dst []byte, kind codec.Kind, v, at uint64) []byte {
	dst, start := codec.StartRecord(dst, kind)
	dst = binary.LittleEndian.AppendUint64(dst, v)
	dst = binary.LittleEndian.AppendUint64(dst, at)
	return codec.FinishRecord(dst, start)
}

// patchMarker rewrites the value of the marker framed at b[0:markerSize].
func patchMarker(b []byte, v uint64) {
	binary.LittleEndian.PutUint64(b[codec.HeaderSize:], v)
	end := codec.HeaderSize + markerBody
	binary.LittleEndian.PutUint32(b[end:], codec.Checksum(b[:end]))
}

// markerValue returns the value of a marker found at global offset at,
// checking that it names that offset and states nothing beyond it.
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
