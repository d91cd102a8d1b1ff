package raftlog_test

import (
	"cmp"
	"fmt"
	"log"
	"os"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
)

// A caller's own types: a log id that is a single sequence number, a
// struct payload stored as JSON, a term as the vote, and string user data.
type (
	seq     uint64
	command struct {
		Key, Value string
	}
)

var myTypes = raftlog.Types[seq, command, uint64, string]{
	LogID: codec.Struct(codec.F(codec.Uvarint,
		func(s seq) uint64 { return uint64(s) }, func(s *seq, v uint64) { *s = seq(v) })),
	Payload:      codec.JSON[command](),
	Vote:         codec.Uint64,
	UserData:     codec.String,
	Index:        func(s seq) uint64 { return uint64(s) },
	CompareLogID: func(a, b seq) int { return cmp.Compare(a, b) },
	CompareVote:  func(a, b uint64) (int, bool) { return cmp.Compare(a, b), true },
	PayloadSize:  func(c command) int { return len(c.Key) + len(c.Value) },
	// No WithIndex: the index then keeps every log id.
}

func ExampleOpenWith() {
	dir, err := os.MkdirTemp("", "raftlog-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := raftlog.OpenWith(dir, myTypes, raftlog.Config{})
	if err != nil {
		log.Fatal(err)
	}
	l.SaveVote(7)
	l.Append(
		raftlog.Entry[seq, command]{ID: 1, Payload: command{"x", "1"}},
		raftlog.Entry[seq, command]{ID: 2, Payload: command{"y", "2"}},
	)
	l.SaveUserData(raftlog.Some("applied through 2"))
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}

	l, err = raftlog.OpenWith(dir, myTypes, raftlog.Config{CacheMaxItems: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	for e, err := range l.Read(1, 3) { // from disk: the cache keeps nothing durable
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.ID, e.Payload.Key, e.Payload.Value)
	}
	fmt.Println(l.State())
	// Output:
	// 1 x 1
	// 2 y 2
	// {Vote:7 Last:2 Committed:<none> Purged:<none> UserData:"applied through 2"}
}
