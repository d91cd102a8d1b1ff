// Customcodec stores a Raft log of your own types: a log id with a codec
// written by hand, and a payload and a vote stored as JSON.
//
//	go run ./examples/customcodec [-dir DIR]
//
// It writes a few entries, reopens the log and reads them back. Without
// -dir it works in a new temporary directory and removes it at the end.
package main

import (
	"cmp"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
)

// EntryID is the log id: a 32-bit term and the index.
type EntryID struct {
	Term  uint32
	Index uint64
}

// String prints t<term>.<index>: a type's own String is what the log's
// String forms and the raftlog tool show.
func (id EntryID) String() string { return fmt.Sprintf("t%d.%d", id.Term, id.Index) }

// Command is the payload: a key-value store's operation.
type Command struct {
	Op    string `json:"op"`
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Ballot is the vote: whom this node voted for in a term, and whether that
// candidate won (a committed vote).
type Ballot struct {
	Term      uint32 `json:"term"`
	Candidate string `json:"candidate"`
	Won       bool   `json:"won"`
}

// String prints "t3:node-b" or "t3:node-b(won)".
func (b Ballot) String() string {
	if b.Won {
		return fmt.Sprintf("t%d:%s(won)", b.Term, b.Candidate)
	}
	return fmt.Sprintf("t%d:%s", b.Term, b.Candidate)
}

// entryIDCodec is the hand-written codec: the term as 4 bytes big-endian,
// then the index as a uvarint. Decode checks every length, so a damaged
// record is an error matching codec.ErrInvalid, never a panic.
type entryIDCodec struct{}

func (entryIDCodec) Append(dst []byte, id EntryID) ([]byte, error) {
	dst = binary.BigEndian.AppendUint32(dst, id.Term)
	return binary.AppendUvarint(dst, id.Index), nil
}

func (entryIDCodec) Decode(src []byte) (EntryID, int, error) {
	if len(src) < 4 {
		return EntryID{}, 0, fmt.Errorf("%w: entry id needs 4 bytes of term, have %d", codec.ErrInvalid, len(src))
	}
	index, n := binary.Uvarint(src[4:])
	if n <= 0 {
		return EntryID{}, 0, fmt.Errorf("%w: entry id has no valid index", codec.ErrInvalid)
	}
	return EntryID{Term: binary.BigEndian.Uint32(src), Index: index}, 4 + n, nil
}

// types tells the log how to store and order the types.
var types = raftlog.Types[EntryID, Command, Ballot, string]{
	LogID:    entryIDCodec{},
	Payload:  codec.JSON[Command](),
	Vote:     codec.JSON[Ballot](),
	UserData: codec.String,

	Index: func(id EntryID) uint64 { return id.Index },
	CompareLogID: func(a, b EntryID) int {
		return cmp.Or(cmp.Compare(a.Term, b.Term), cmp.Compare(a.Index, b.Index))
	},
	// Votes in different terms order by term; in one term, a vote for
	// the same candidate may only go from not won to won, and votes for
	// different candidates are incomparable: neither may replace the other.
	CompareVote: func(a, b Ballot) (int, bool) {
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
	},
	PayloadSize: func(c Command) int { return len(c.Op) + len(c.Key) + len(c.Value) },
	// With WithIndex the index keeps runs of ids, a few bytes per entry.
	WithIndex: func(id EntryID, i uint64) EntryID { return EntryID{Term: id.Term, Index: i} },
}

func main() {
	dir := flag.String("dir", "", "log directory (default: a new temporary directory, removed at the end)")
	flag.Parse()
	log.SetFlags(0)
	if *dir == "" {
		d, err := os.MkdirTemp("", "raftlog-customcodec-")
		check(err)
		defer os.RemoveAll(d)
		*dir = d
	}

	l, err := raftlog.OpenWith(*dir, types, raftlog.Config{})
	check(err)
	_, err = l.SaveVote(Ballot{Term: 3, Candidate: "node-b"})
	check(err)
	_, err = l.SaveVote(Ballot{Term: 3, Candidate: "node-b", Won: true})
	check(err)
	_, err = l.SaveVote(Ballot{Term: 3, Candidate: "node-c"})
	fmt.Println("a vote for another candidate in the same term:", err)

	_, err = l.Append(
		raftlog.Entry[EntryID, Command]{ID: EntryID{Term: 3, Index: 1}, Payload: Command{Op: "set", Key: "x", Value: "1"}},
		raftlog.Entry[EntryID, Command]{ID: EntryID{Term: 3, Index: 2}, Payload: Command{Op: "set", Key: "y", Value: "2"}},
		raftlog.Entry[EntryID, Command]{ID: EntryID{Term: 3, Index: 3}, Payload: Command{Op: "del", Key: "x"}},
	)
	check(err)
	_, err = l.Commit(EntryID{Term: 3, Index: 3})
	check(err)
	_, err = l.SaveUserData(raftlog.Some("applied through t3.3"))
	check(err)
	check(l.Sync())
	check(l.Close())

	l, err = raftlog.OpenWith(*dir, types, raftlog.Config{})
	check(err)
	defer l.Close()
	st := l.State()
	fmt.Println("reopened:", st)
	for e, err := range l.Read(1, st.Last.Value().Index+1) {
		check(err)
		fmt.Printf("%v %s %s=%q\n", e.ID, e.Payload.Op, e.Payload.Key, e.Payload.Value)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
