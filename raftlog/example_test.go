package raftlog_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/raftlog/raftlog/raftlog"
)

// The quickstart of the README: open, save a vote, append, commit, sync,
// read, reopen.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "raftlog-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := l.SaveVote(raftlog.Vote{Term: 1, NodeID: 1}); err != nil {
		log.Fatal(err)
	}
	_, err = l.Append(
		raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 1}, Payload: []byte("x=1")},
		raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 2}, Payload: []byte("y=2")},
	)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := l.Commit(raftlog.LogID{Term: 1, Index: 2}); err != nil {
		log.Fatal(err)
	}
	if err := l.Sync(); err != nil { // durable from here on
		log.Fatal(err)
	}
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}

	l, err = raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	for e, err := range l.Read(1, 3) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.ID, string(e.Payload))
	}
	fmt.Println(l.State())
	// Output:
	// {Term:1 Index:1} x=1
	// {Term:1 Index:2} y=2
	// {Vote:{Term:1 NodeID:1 Committed:false} Last:{Term:1 Index:2} Committed:{Term:1 Index:2} Purged:<none> UserData:<none>}
}

// A rejected operation returns a typed error and changes nothing.
func ExampleLog_Append_rejected() {
	dir, _ := os.MkdirTemp("", "raftlog-example-")
	defer os.RemoveAll(dir)
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 1}})
	_, err = l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 3}})
	var gap *raftlog.NonConsecutiveError[raftlog.LogID]
	fmt.Println(errors.As(err, &gap), gap.Last, gap.Attempted)
	fmt.Println(l.State().Last)
	// Output:
	// true {Term:1 Index:1} {Term:1 Index:3}
	// {Term:1 Index:1}
}
