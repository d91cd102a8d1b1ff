// Follower shows what a Raft follower does with entries that conflict with
// its log: it truncates its log at the first conflicting index, then
// appends the leader's entries, of a higher term.
//
//	go run ./examples/follower
//
// The follower holds entries 1-5 of term 1, of which 1-3 are committed. A
// new leader of term 2 never received 4 and 5: it sends its own entries 4-6
// of term 2. Appending them as they are is refused (the log's last id is
// {Term:1 Index:5}); the follower finds the first index where the terms differ,
// truncates there, and appends.
package main

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/raftlog/raftlog/raftlog"
)

type entry = raftlog.Entry[raftlog.LogID, []byte]

func ent(term, index uint64, payload string) entry {
	return entry{ID: raftlog.LogID{Term: term, Index: index}, Payload: []byte(payload)}
}

func main() {
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "raftlog-follower-")
	check(err)
	defer os.RemoveAll(dir)
	l, err := raftlog.Open(dir, raftlog.Config{})
	check(err)
	defer l.Close()

	// The follower's log: 1-5 at term 1, committed through 3.
	_, err = l.Append(ent(1, 1, "a"), ent(1, 2, "b"), ent(1, 3, "c"), ent(1, 4, "d"), ent(1, 5, "e"))
	check(err)
	_, err = l.Commit(raftlog.LogID{Term: 1, Index: 3})
	check(err)
	check(l.Sync())
	show(l, "before")

	// The leader of term 2 sends 4-6, after (1, 3).
	fromLeader := []entry{ent(2, 4, "D"), ent(2, 5, "E"), ent(2, 6, "F")}
	_, err = l.Append(fromLeader...)
	var gap *raftlog.NonConsecutiveError[raftlog.LogID]
	fmt.Printf("appending them as they are: refused (%v): %v\n", errors.As(err, &gap), err)

	// Raft's rule: find the first entry whose term differs from ours,
	// remove ours from there on, append the rest of the leader's.
	// An index past our last entry is no conflict: it is new.
	last := l.State().Last.Value()
	conflict := len(fromLeader)
	for i, e := range fromLeader {
		if e.ID.Index > last.Index {
			conflict = i
			break
		}
		ours, err := l.LogIDAt(e.ID.Index)
		check(err)
		if ours != e.ID {
			fmt.Printf("first conflict: our %v, the leader's %v\n", ours, e.ID)
			conflict = i
			break
		}
	}
	if conflict < len(fromLeader) {
		at := fromLeader[conflict].ID.Index
		if at <= last.Index {
			_, err = l.Truncate(at)
			check(err)
			fmt.Printf("truncated from index %d on\n", at)
		}
		_, err = l.Append(fromLeader[conflict:]...)
		check(err)
	}
	_, err = l.Commit(raftlog.LogID{Term: 2, Index: 6})
	check(err)
	check(l.Sync()) // only now may the follower acknowledge the entries
	show(l, "after")
}

// show prints the state and every entry.
func show(l *raftlog.DefaultLog, when string) {
	st := l.State()
	fmt.Printf("%s: last %v, committed %v\n", when, st.Last, st.Committed)
	for e, err := range l.Read(1, st.Last.Value().Index+1) {
		check(err)
		fmt.Printf("  %v %s\n", e.ID, e.Payload)
	}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
