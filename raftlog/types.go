package raftlog

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
)

// Types tells a Log how to store and order the caller's types: L the log id,
// P the payload, V the vote and U the user data. Codecs are values, so a
// caller can store types it does not own (protobuf messages, say).
type Types[L, P, V, U any] struct {
	LogID    codec.Codec[L]
	Payload  codec.Codec[P]
	Vote     codec.Codec[V]
	UserData codec.Codec[U]

	// Index returns the log index of a log id.
	Index func(L) uint64
	// CompareLogID orders log ids totally: negative, zero or positive.
	CompareLogID func(a, b L) int
	// CompareVote orders votes partially: ok is false when a and b are
	// incomparable (then neither may replace the other).
	CompareVote func(a, b V) (c int, ok bool)
	// PayloadSize estimates the memory a payload holds, for the cache's
	// byte limit.
	PayloadSize func(P) int
	// WithIndex, if set, returns the log id that id's term (or whatever
	// else besides the index it carries) gives at index i. The index then
	// stores log ids as runs, a few bytes per entry; without it the index
	// keeps every log id.
	WithIndex func(id L, i uint64) L
}

func (t Types[L, P, V, U]) validate() error {
	missing := ""
	switch {
	case t.LogID == nil:
		missing = "LogID codec"
	case t.Payload == nil:
		missing = "Payload codec"
	case t.Vote == nil:
		missing = "Vote codec"
	case t.UserData == nil:
		missing = "UserData codec"
	case t.Index == nil:
		missing = "Index"
	case t.CompareLogID == nil:
		missing = "CompareLogID"
	case t.CompareVote == nil:
		missing = "CompareVote"
	case t.PayloadSize == nil:
		missing = "PayloadSize"
	}
	if missing != "" {
		return &ConfigError{Field: "Types." + missing, Reason: "is required"}
	}
	return nil
}

// LogID is the default log id: a term and an index. Ids order by term, then
// index.
//
// It marshals to JSON as {"term":1,"index":2}, prints as {Term:1 Index:2}
// and logs through log/slog as a group of term and index.
type LogID struct {
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
}

// Compare orders log ids by term, then index.
func (id LogID) Compare(o LogID) int {
	if c := cmp.Compare(id.Term, o.Term); c != 0 {
		return c
	}
	return cmp.Compare(id.Index, o.Index)
}

// Vote is the default vote: the term, the node voted for, and whether that
// node's leadership is committed (granted by a quorum).
//
// It marshals to JSON as {"term":1,"node_id":1,"committed":true}, prints as
// {Term:1 NodeID:1 Committed:true} and logs through log/slog as a group of
// term, node_id and committed.
type Vote struct {
	Term      uint64 `json:"term"`
	NodeID    uint64 `json:"node_id"`
	Committed bool   `json:"committed"`
}

// Compare orders votes partially: by term; within a term, votes for the same
// node by Committed (uncommitted first); votes for different nodes in one term
// are incomparable, so neither may replace the other.
func (v Vote) Compare(o Vote) (int, bool) {
	if c := cmp.Compare(v.Term, o.Term); c != 0 {
		return c, true
	}
	if v.NodeID != o.NodeID {
		return 0, false
	}
	switch {
	case v.Committed == o.Committed:
		return 0, true
	case v.Committed:
		return 1, true
	}
	return -1, true
}

var (
	// LogIDCodec stores a LogID as two big-endian uint64s: term, then
	// index (16 bytes).
	LogIDCodec codec.Codec[LogID] = logIDCodec{}
	// VoteCodec stores a Vote as term, node id (big-endian uint64s) and a
	// committed byte.
	VoteCodec codec.Codec[Vote] = voteCodec{}
)

// logIDCodec is LogIDCodec: written by hand rather than with codec.Struct,
// as every entry's record holds a log id.
type logIDCodec struct{}

func (logIDCodec) Append(dst []byte, id LogID) ([]byte, error) {
	dst = binary.BigEndian.AppendUint64(dst, id.Term)
	return binary.BigEndian.AppendUint64(dst, id.Index), nil
}

func (logIDCodec) Decode(src []byte) (LogID, int, error) {
	if len(src) < 16 {
		return LogID{}, 0, fmt.Errorf("%w: log id needs 16 bytes, have %d: %w", codec.ErrInvalid, len(src), io.ErrUnexpectedEOF)
	}
	return LogID{Term: binary.BigEndian.Uint64(src), Index: binary.BigEndian.Uint64(src[8:])}, 16, nil
}

type voteCodec struct{}

func (voteCodec) Append(dst []byte, v Vote) ([]byte, error) {
	dst, _ = codec.Uint64.Append(dst, v.Term)
	dst, _ = codec.Uint64.Append(dst, v.NodeID)
	if v.Committed {
		return append(dst, 1), nil
	}
	return append(dst, 0), nil
}

func (voteCodec) Decode(src []byte) (Vote, int, error) {
	if len(src) < 17 {
		return Vote{}, 0, fmt.Errorf("%w: vote needs 17 bytes, have %d", codec.ErrInvalid, len(src))
	}
	term, _, _ := codec.Uint64.Decode(src)
	node, _, _ := codec.Uint64.Decode(src[8:])
	switch src[16] {
	case 0, 1:
	default:
		return Vote{}, 0, fmt.Errorf("%w: vote committed byte is %d", codec.ErrInvalid, src[16])
	}
	return Vote{Term: term, NodeID: node, Committed: src[16] == 1}, 17, nil
}

// DefaultTypes is the type set of Open: LogID, []byte payloads, Vote and
// []byte user data.
var DefaultTypes = Types[LogID, []byte, Vote, []byte]{
	LogID:        LogIDCodec,
	Payload:      codec.Bytes,
	Vote:         VoteCodec,
	UserData:     codec.Bytes,
	Index:        func(id LogID) uint64 { return id.Index },
	CompareLogID: LogID.Compare,
	CompareVote:  Vote.Compare,
	PayloadSize:  func(p []byte) int { return len(p) },
	WithIndex:    func(id LogID, i uint64) LogID { return LogID{Term: id.Term, Index: i} },
}

// Entry is one log entry.
type Entry[L, P any] struct {
	ID      L
	Payload P
}

// State is the log's state besides its entries: what Raft persists as its
// hard state, plus the bounds of the log and the caller's own data.
//
// It marshals to and from JSON as an object with the keys vote, last,
// committed, purged and user_data, absent fields as null (user data of type
// []byte as base64, as encoding/json does). It prints as
// {Vote:... Last:... Committed:... Purged:... UserData:...} and logs through
// log/slog as a group with the JSON keys.
type State[L, V, U any] struct {
	// Vote is the last vote saved.
	Vote Option[V] `json:"vote"`
	// Last is the id of the last entry (purging beyond the end advances
	// it with no entry behind it).
	Last Option[L] `json:"last"`
	// Committed is the last commit saved.
	Committed Option[L] `json:"committed"`
	// Purged is the id of the last entry removed from the front: every
	// entry up to and including it is gone.
	Purged Option[L] `json:"purged"`
	// UserData is the caller's own data, replaced whole by SaveUserData.
	UserData Option[U] `json:"user_data"`
}
