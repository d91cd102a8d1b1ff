// Package simjson is a type set of the kind a user stores in raftlog, every
// type through codec.JSON, with the sim.Gen that makes its values: a struct
// log id, a struct payload (a key-value command with a slice and a large
// sequence number), a vote naming its candidate by a string, and user data
// holding a map. `raftlog sim --types json` runs the crash-simulation
// campaign over it; sim's tests check it and use it as the base of their
// deliberately broken codecs.
package simjson

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/sim"
)

// ID is the log id: a term and an index, ordered by term, then index.
type ID struct {
	Term  uint64 `json:"term"`
	Index uint64 `json:"index"`
}

// Command is the payload: a key-value store's operation.
type Command struct {
	Op    string   `json:"op"`
	Key   string   `json:"key"`
	Value string   `json:"value,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	// Seq is a client's sequence number, any uint64 (JSON keeps all 64
	// bits; a decoder through float64 would not).
	Seq uint64 `json:"seq"`
}

// Ballot is the vote: a term and a candidate's name, and whether the
// candidate won. In one term, a ballot for the same candidate may only go
// from not won to won; ballots for different candidates are incomparable.
type Ballot struct {
	Term      uint64 `json:"term"`
	Candidate string `json:"candidate"`
	Won       bool   `json:"won"`
}

// Meta is the user data: what a state machine applied, and its labels.
type Meta struct {
	Applied uint64            `json:"applied"`
	Members []string          `json:"members"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// Types stores every type through codec.JSON.
var Types = raftlog.Types[ID, Command, Ballot, Meta]{
	LogID:        codec.JSON[ID](),
	Payload:      codec.JSON[Command](),
	Vote:         codec.JSON[Ballot](),
	UserData:     codec.JSON[Meta](),
	Index:        func(id ID) uint64 { return id.Index },
	CompareLogID: func(a, b ID) int { return cmp.Or(cmp.Compare(a.Term, b.Term), cmp.Compare(a.Index, b.Index)) },
	CompareVote:  CompareBallots,
	PayloadSize:  func(c Command) int { return len(c.Op) + len(c.Key) + len(c.Value) + 8 + 16*len(c.Tags) },
	WithIndex:    func(id ID, i uint64) ID { return ID{Term: id.Term, Index: i} },
}

// CompareBallots orders ballots partially: by term; in one term, for the
// same candidate, by Won (not won first); different candidates in one term
// are incomparable.
func CompareBallots(a, b Ballot) (int, bool) {
	if c := cmp.Compare(a.Term, b.Term); c != 0 {
		return c, true
	}
	if a.Candidate != b.Candidate {
		return 0, false
	}
	switch {
	case a.Won == b.Won:
		return 0, true
	case a.Won:
		return 1, true
	}
	return -1, true
}

// Gen makes the values: ids and ballots from the simulator's terms,
// indexes and node numbers (candidate "node-N"), commands and metadata at
// random.
var Gen = sim.Gen[ID, Command, Ballot, Meta]{
	LogID: func(t, i uint64) ID { return ID{Term: t, Index: i} },
	Term:  func(id ID) uint64 { return id.Term },
	Vote: func(t, n uint64, won bool) Ballot {
		return Ballot{Term: t, Candidate: "node-" + strconv.FormatUint(n, 10), Won: won}
	},
	VoteOf: func(b Ballot) (uint64, uint64) {
		n, _ := strconv.ParseUint(strings.TrimPrefix(b.Candidate, "node-"), 10, 64)
		return b.Term, n
	},
	Payload:  NewCommand,
	UserData: NewMeta,
}

// NewCommand returns a command for the entry id: a set, a delete or an
// increment of one of 50 keys, with 0 to 2 tags and a random sequence
// number; a set's value is a few dozen letters, one time in 40 several
// hundred (over the record limit of many seeds).
func NewCommand(rng *rand.Rand, id ID) Command {
	c := Command{Key: fmt.Sprintf("k%d", rng.IntN(50)), Seq: rng.Uint64()}
	switch rng.IntN(3) {
	case 0:
		c.Op = "set"
		n := rng.IntN(40)
		if rng.IntN(40) == 0 {
			n = 200 + rng.IntN(500)
		}
		c.Value = letters(rng, n)
	case 1:
		c.Op = "del"
	default:
		c.Op = "incr"
	}
	for range rng.IntN(3) {
		c.Tags = append(c.Tags, letters(rng, 1+rng.IntN(6)))
	}
	return c
}

// NewMeta returns user data: an applied index, 1 to 3 members and 0 to 3
// labels.
func NewMeta(rng *rand.Rand) Meta {
	m := Meta{Applied: rng.Uint64N(1 << 20)}
	for i := range 1 + rng.IntN(3) {
		m.Members = append(m.Members, fmt.Sprintf("node-%d", i+1))
	}
	for range rng.IntN(4) {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[letters(rng, 1+rng.IntN(4))] = letters(rng, rng.IntN(8))
	}
	return m
}

func letters(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}
