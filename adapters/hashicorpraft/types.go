package hashicorpraft

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
)

// entry is what the log stores as an entry's payload: every field of a
// raft.Log besides its index and term, which are the entry's log id.
type entry struct {
	typ        raft.LogType
	data       []byte
	extensions []byte
	appendedAt time.Time
}

// entryOverhead estimates the memory of an entry besides its byte slices,
// for the payload cache's byte limit.
const entryOverhead = 64

// entryCodec stores an entry as its type byte, data and extensions (each a
// uvarint length and the bytes) and appendedAt (a length byte and
// time.Time's binary form, or a zero length for the zero time). The binary
// form keeps the instant to the nanosecond and the zone offset; the
// monotonic clock reading and the zone's name are not kept.
type entryCodec struct{}

func (entryCodec) Append(dst []byte, e entry) ([]byte, error) {
	dst = append(dst, byte(e.typ))
	dst = binary.AppendUvarint(dst, uint64(len(e.data)))
	dst = append(dst, e.data...)
	dst = binary.AppendUvarint(dst, uint64(len(e.extensions)))
	dst = append(dst, e.extensions...)
	if e.appendedAt.IsZero() {
		return append(dst, 0), nil
	}
	at := len(dst)
	dst, err := e.appendedAt.AppendBinary(append(dst, 0))
	if err != nil {
		return dst[:at], fmt.Errorf("hashicorpraft: entry appended-at %v: %w", e.appendedAt, err)
	}
	dst[at] = byte(len(dst) - at - 1)
	return dst, nil
}

func (entryCodec) Decode(src []byte) (entry, int, error) {
	var e entry
	if len(src) < 1 {
		return e, 0, fmt.Errorf("%w: entry type: no byte left", codec.ErrInvalid)
	}
	e.typ = raft.LogType(src[0])
	n := 1
	var err error
	if e.data, n, err = decodeBytes(src, n, "entry data"); err != nil {
		return e, 0, err
	}
	if e.extensions, n, err = decodeBytes(src, n, "entry extensions"); err != nil {
		return e, 0, err
	}
	if n >= len(src) {
		return e, 0, fmt.Errorf("%w: entry appended-at: no length byte left", codec.ErrInvalid)
	}
	l := int(src[n])
	n++
	if l == 0 {
		return e, n, nil
	}
	if l > len(src)-n {
		return e, 0, fmt.Errorf("%w: entry appended-at needs %d bytes, have %d", codec.ErrInvalid, l, len(src)-n)
	}
	if err := e.appendedAt.UnmarshalBinary(src[n : n+l]); err != nil {
		return e, 0, fmt.Errorf("%w: entry appended-at: %v", codec.ErrInvalid, err)
	}
	return e, n + l, nil
}

// decodeBytes decodes a uvarint length and that many bytes at src[n:],
// returning a copy (nil when empty, as raft.Log fields usually are) and the
// offset after them.
func decodeBytes(src []byte, n int, what string) ([]byte, int, error) {
	l, k := binary.Uvarint(src[n:])
	if k <= 0 {
		return nil, 0, fmt.Errorf("%w: %s length is not a valid uvarint", codec.ErrInvalid, what)
	}
	n += k
	if l > uint64(len(src)-n) {
		return nil, 0, fmt.Errorf("%w: %s needs %d bytes, have %d", codec.ErrInvalid, what, l, len(src)-n)
	}
	if l == 0 {
		return nil, n, nil
	}
	return slices.Clone(src[n : n+int(l)]), n + int(l), nil
}

// stableMap is the stable store's content: every key set, with its value. A
// saved map is never modified: Set saves a modified copy.
type stableMap map[string][]byte

// stableCodec stores a stableMap as a uvarint count and then each key and
// value (a uvarint length and the bytes), keys in ascending order, so that
// one map always has one encoding.
type stableCodec struct{}

func (stableCodec) Append(dst []byte, m stableMap) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(m)))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = binary.AppendUvarint(dst, uint64(len(k)))
		dst = append(dst, k...)
		dst = binary.AppendUvarint(dst, uint64(len(m[k])))
		dst = append(dst, m[k]...)
	}
	return dst, nil
}

func (stableCodec) Decode(src []byte) (stableMap, int, error) {
	count, n := binary.Uvarint(src)
	if n <= 0 {
		return nil, 0, fmt.Errorf("%w: stable store key count is not a valid uvarint", codec.ErrInvalid)
	}
	// Every key takes at least two bytes: checked before allocating.
	if count > uint64(len(src)-n)/2 {
		return nil, 0, fmt.Errorf("%w: stable store claims %d keys in %d bytes", codec.ErrInvalid, count, len(src)-n)
	}
	m := make(stableMap, count)
	prev := ""
	for i := range count {
		k, next, err := decodeBytes(src, n, "stable store key")
		if err != nil {
			return nil, 0, err
		}
		if i > 0 && cmp.Compare(string(k), prev) <= 0 {
			return nil, 0, fmt.Errorf("%w: stable store key %q is not above the previous key %q", codec.ErrInvalid, k, prev)
		}
		v, next, err := decodeBytes(src, next, "stable store value")
		if err != nil {
			return nil, 0, err
		}
		if v == nil {
			v = []byte{} // a key set to an empty value is present
		}
		prev, n = string(k), next
		m[prev] = v
	}
	return m, n, nil
}

// logTypes are the raftlog types of a Store: the default log id (term,
// index), an entry payload, the default vote (unused: hashicorp/raft keeps
// its vote in the stable store) and the stable map as user data.
var logTypes = raftlog.Types[raftlog.LogID, entry, raftlog.Vote, stableMap]{
	LogID:        raftlog.LogIDCodec,
	Payload:      entryCodec{},
	Vote:         raftlog.VoteCodec,
	UserData:     stableCodec{},
	Index:        func(id raftlog.LogID) uint64 { return id.Index },
	CompareLogID: raftlog.LogID.Compare,
	CompareVote:  raftlog.Vote.Compare,
	PayloadSize:  func(e entry) int { return entryOverhead + len(e.data) + len(e.extensions) },
	WithIndex:    func(id raftlog.LogID, i uint64) raftlog.LogID { return raftlog.LogID{Term: id.Term, Index: i} },
}
