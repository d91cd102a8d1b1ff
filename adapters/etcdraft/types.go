package etcdraft

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Vote is the part of etcd's HardState that Raft must never take back:
// the current term and the node voted for in it (0 for none yet).
type Vote struct {
	Term, Node uint64
}

// String renders "(term, node)".
func (v Vote) String() string { return fmt.Sprintf("(%d, %d)", v.Term, v.Node) }

// Compare orders votes as etcd raft moves through them: by term; within a
// term, no vote sorts below any vote, so a node may raise its term with no
// vote and vote later in that term; two votes for different nodes in one
// term are incomparable, so neither may replace the other (raftlog refuses
// it with a *raftlog.VoteReversalError). raftlog.Vote's order differs: it
// makes (term, 0) and (term, n) incomparable.
func (v Vote) Compare(o Vote) (int, bool) {
	switch {
	case v.Term != o.Term:
		return cmp.Compare(v.Term, o.Term), true
	case v.Node == o.Node:
		return 0, true
	case v.Node == 0:
		return -1, true
	case o.Node == 0:
		return 1, true
	}
	return 0, false
}

// entry is an entry's payload: its type and data (its term and index are
// its log id).
type entry struct {
	typ  pb.EntryType
	data []byte
}

// entryOverhead estimates an entry's memory besides its data, for the
// payload cache's byte limit.
const entryOverhead = 48

// entryCodec stores an entry as its type (a uvarint) and its data (a
// uvarint length and the bytes).
type entryCodec struct{}

func (entryCodec) Append(dst []byte, e entry) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(e.typ))
	dst = binary.AppendUvarint(dst, uint64(len(e.data)))
	return append(dst, e.data...), nil
}

func (entryCodec) Decode(src []byte) (entry, int, error) {
	typ, n := binary.Uvarint(src)
	if n <= 0 || typ > 1<<31 {
		return entry{}, 0, fmt.Errorf("%w: entry type is not a valid uvarint", codec.ErrInvalid)
	}
	l, k := binary.Uvarint(src[n:])
	if k <= 0 {
		return entry{}, 0, fmt.Errorf("%w: entry data length is not a valid uvarint", codec.ErrInvalid)
	}
	n += k
	if l > uint64(len(src)-n) {
		return entry{}, 0, fmt.Errorf("%w: entry data needs %d bytes, have %d", codec.ErrInvalid, l, len(src)-n)
	}
	e := entry{typ: pb.EntryType(typ)}
	if l > 0 {
		e.data = slices.Clone(src[n : n+int(l)])
	}
	return e, n + int(l), nil
}

// snapshotCodec stores the latest snapshot (metadata and data) as its
// protobuf encoding, framed by a uvarint length.
type snapshotCodec struct{}

func (snapshotCodec) Append(dst []byte, s pb.Snapshot) ([]byte, error) {
	b, err := s.Marshal()
	if err != nil {
		return dst, fmt.Errorf("etcdraft: encode snapshot %d: %w", s.Metadata.Index, err)
	}
	return codec.Bytes.Append(dst, b)
}

func (snapshotCodec) Decode(src []byte) (pb.Snapshot, int, error) {
	var s pb.Snapshot
	l, n := binary.Uvarint(src)
	if n <= 0 || l > uint64(len(src)-n) {
		return s, 0, fmt.Errorf("%w: snapshot length does not fit in %d bytes", codec.ErrInvalid, len(src))
	}
	if err := s.Unmarshal(src[n : n+int(l)]); err != nil {
		return s, 0, fmt.Errorf("%w: snapshot: %v", codec.ErrInvalid, err)
	}
	return s, n + int(l), nil
}

// voteCodec stores a Vote as two big-endian uint64s.
var voteCodec = codec.Struct(
	codec.F(codec.Uint64, func(v Vote) uint64 { return v.Term }, func(v *Vote, x uint64) { v.Term = x }),
	codec.F(codec.Uint64, func(v Vote) uint64 { return v.Node }, func(v *Vote, x uint64) { v.Node = x }),
)

// logTypes are the raftlog types of a Storage: the default log id (term,
// index), an entry payload, etcd's vote and the latest snapshot as user
// data.
var logTypes = raftlog.Types[raftlog.LogID, entry, Vote, pb.Snapshot]{
	LogID:        raftlog.LogIDCodec,
	Payload:      entryCodec{},
	Vote:         voteCodec,
	UserData:     snapshotCodec{},
	Index:        func(id raftlog.LogID) uint64 { return id.Index },
	CompareLogID: raftlog.LogID.Compare,
	CompareVote:  Vote.Compare,
	PayloadSize:  func(e entry) int { return entryOverhead + len(e.data) },
	WithIndex:    func(id raftlog.LogID, i uint64) raftlog.LogID { return raftlog.LogID{Term: id.Term, Index: i} },
}
