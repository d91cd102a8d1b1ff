package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/raftlog/raftlog/raftlog"
)

// Gen makes values of the caller's types for the simulator's workload. The
// workload is a Raft node's, decided in terms and indexes (votes at rising
// terms, appends at the current term, a new leader's conflicting entries at
// a higher term or the same one, and invalid operations: a vote or an id going back, a
// gap, a purge naming another term); Gen turns those coordinates into the
// caller's values and back. Every function must be deterministic: the same
// arguments (and the same state of rng) give the same value, so that a seed
// replays.
//
// The simulator never trusts the coordinates to predict the log: its
// reference model decides every outcome with the caller's Types (Index,
// CompareLogID, CompareVote) and compares what the log holds through the
// caller's codecs, byte for byte. A LogID that ignores the term, say, is
// checked as faithfully; the workload then meets more refusals.
type Gen[L, P, V, U any] struct {
	// LogID returns the id of the entry at index in term. For the
	// workload to be mostly valid, ids should sort by term, then index, and
	// Types.Index(LogID(t, i)) should be i.
	LogID func(term, index uint64) L
	// Term returns the term of an id that LogID made.
	Term func(id L) uint64
	// Vote returns a vote in term for node (1 to 3, or one more than a
	// vote's node to make an incomparable vote), committed or not.
	Vote func(term, node uint64, committed bool) V
	// VoteOf returns the term and node of a vote that Vote made.
	VoteOf func(v V) (term, node uint64)
	// Payload returns the payload of the entry id. Encodings should be a
	// few dozen bytes, now and then several hundred: the record limit of
	// a seed is 160 to 560 bytes, and an oversized record checks the
	// log's refusal.
	Payload func(rng *rand.Rand, id L) P
	// UserData returns user data, sized like a payload.
	UserData func(rng *rand.Rand) U
	// Equal, if set, tells whether two values of one of the four types
	// are the same value, for the codec round-trip check. By default
	// values are compared field by field, unexported fields included,
	// with a nil slice or map equal to an empty one; a type with an
	// exported method Equal(T) bool is compared with it.
	Equal func(a, b any) bool
}

// ErrGen is matched by the error of New when a Gen lacks a function.
var ErrGen = errors.New("sim: incomplete Gen")

func (g Gen[L, P, V, U]) validate() error {
	missing := ""
	switch {
	case g.LogID == nil:
		missing = "LogID"
	case g.Term == nil:
		missing = "Term"
	case g.Vote == nil:
		missing = "Vote"
	case g.VoteOf == nil:
		missing = "VoteOf"
	case g.Payload == nil:
		missing = "Payload"
	case g.UserData == nil:
		missing = "UserData"
	}
	if missing != "" {
		return fmt.Errorf("%w: Gen.%s is required", ErrGen, missing)
	}
	return nil
}

// DefaultGen makes the default types' values: LogID{term, index}, Vote{term,
// node, committed}, and byte payloads and user data of a few dozen printable
// bytes (now and then several hundred) that name what they are.
var DefaultGen = Gen[raftlog.LogID, []byte, raftlog.Vote, []byte]{
	LogID: func(t, i uint64) raftlog.LogID { return raftlog.LogID{Term: t, Index: i} },
	Term:  func(id raftlog.LogID) uint64 { return id.Term },
	Vote: func(t, n uint64, c bool) raftlog.Vote {
		return raftlog.Vote{Term: t, NodeID: n, Committed: c}
	},
	VoteOf: func(v raftlog.Vote) (uint64, uint64) { return v.Term, v.NodeID },
	Payload: func(rng *rand.Rand, id raftlog.LogID) []byte {
		return Bytes(rng, fmt.Sprintf("e%d.%d", id.Term, id.Index))
	},
	UserData: func(rng *rand.Rand) []byte { return Bytes(rng, "user") },
}

// Bytes returns a value for a generator: label, a random number and a few
// dozen random letters; one time in 40, 200 to 800 letters (over the record
// limit of many seeds).
func Bytes(rng *rand.Rand, label string) []byte {
	b := fmt.Appendf(nil, "%s-%d-", label, rng.Uint32())
	n := rng.IntN(48)
	if rng.IntN(40) == 0 {
		n = 200 + rng.IntN(600)
	}
	for ; n > 0; n-- {
		b = append(b, byte('a'+rng.IntN(26)))
	}
	return b
}
