// Quickstart writes a Raft log on disk, crashes a process in the middle of
// writing it, reopens it, and reads it back.
//
//	go run ./examples/quickstart [-dir DIR]
//
// Without -dir it works in a new temporary directory and removes it at the
// end; with -dir it keeps the log there and says so, for the raftlog tool
// to inspect. The crash is real: a child process (this program again) appends
// entries, syncs some of them, appends more without syncing, and exits
// without closing the log. Every entry acknowledged by a sync must survive.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/raftlog/raftlog/raftlog"
)

const (
	firstSession = 100 // entries written and closed cleanly
	acked        = 25  // entries the crashing child syncs
	unacked      = 25  // entries it appends without syncing
)

func main() {
	dir := flag.String("dir", "", "log directory (default: a new temporary directory)")
	child := flag.Bool("child", false, "internal: run the crashing writer")
	flag.Parse()
	log.SetFlags(0)

	if *child {
		crashingWriter(*dir)
		return
	}
	keep := *dir != ""
	if keep {
		abs, err := filepath.Abs(*dir) // to name it from anywhere
		check(err)
		*dir = abs
	} else {
		d, err := os.MkdirTemp("", "raftlog-quickstart-")
		check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	fmt.Printf("log directory: %s\n\n", *dir)

	// 1. Open, save a vote, append, commit, sync, close.
	l, err := raftlog.Open(*dir, raftlog.Config{})
	check(err)
	// A log kept by an earlier run (-dir) goes on where it ended, in a
	// new term: terms never go back.
	start, term := uint64(1), uint64(1)
	if last, ok := l.State().Last.Get(); ok {
		start, term = last.Index+1, last.Term+1
	}
	_, err = l.SaveVote(raftlog.Vote{Term: term, NodeID: 1, Committed: true})
	check(err)
	for i := uint64(0); i < firstSession; i += 10 {
		batch := make([]raftlog.Entry[raftlog.LogID, []byte], 10)
		for j := range batch {
			idx := start + i + uint64(j)
			batch[j] = raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: term, Index: idx}, Payload: fmt.Appendf(nil, "set key%d=value%d", idx, idx)}
		}
		_, err = l.Append(batch...)
		check(err)
	}
	last := start + firstSession - 1
	_, err = l.Commit(raftlog.LogID{Term: term, Index: last})
	check(err)
	check(l.Sync())
	check(l.Close())
	fmt.Printf("session 1: appended [%d, %d], committed %d, synced and closed\n", start, last, last)

	// 2. A child process appends more, syncs part of it, and dies.
	cmd := exec.Command(exe(), "-child", "-dir", *dir)
	cmd.Stderr = os.Stderr
	err = cmd.Run()
	fmt.Printf("session 2: a child appended %d entries, synced the first %d, then crashed (%v)\n", acked+unacked, acked, err)

	// 3. Reopen: recovery keeps every synced entry and repairs the tail.
	l, err = raftlog.Open(*dir, raftlog.Config{})
	check(err)
	st := l.State()
	fmt.Printf("session 3: reopened; state: %v\n", st)
	n, lastSeen := 0, raftlog.LogID{}
	for e, err := range l.Read(start, st.Last.Value().Index+1) {
		check(err)
		n++
		lastSeen = e.ID
	}
	want := last + acked
	fmt.Printf("read %d entries, the last %v (%q)\n", n, lastSeen, mustEntry(l, lastSeen.Index))
	if lastSeen.Index < want {
		log.Fatalf("lost acknowledged entries: the last is %d, want at least %d", lastSeen.Index, want)
	}
	fmt.Printf("every acknowledged entry survived (up to %d; %d unsynced ones also made it to the page cache)\n\n", want, lastSeen.Index-want)
	s := l.Stat()
	fmt.Printf("on disk: %d chunk(s), %d bytes; recovery cut %d bytes of torn tail\n", len(s.WAL.Closed)+1, s.WAL.Bytes, s.WAL.Dropped)
	check(l.Close())
	if keep {
		fmt.Printf("\nthe log is kept in %s; inspect it with\n  go run -C cmd/raftlog . stat %s\n", *dir, *dir)
	} else {
		fmt.Printf("\nremoved %s (pass -dir DIR to keep the log)\n", *dir)
	}
}

// crashingWriter is the child: it appends, syncs some, appends more, and exits
// without closing, as a crashing process would.
func crashingWriter(dir string) {
	l, err := raftlog.Open(dir, raftlog.Config{})
	check(err)
	last := l.State().Last.Value()
	next := last.Index + 1
	for i := 0; i < acked+unacked; i++ {
		id := raftlog.LogID{Term: last.Term + 1, Index: next + uint64(i)}
		_, err = l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: id, Payload: fmt.Appendf(nil, "set key%d=crash", id.Index)})
		check(err)
		if i == acked-1 {
			check(l.Sync()) // acknowledged: must survive
		}
	}
	check(l.Flush(false, nil)) // handed to the OS, not synced: may survive
	check(l.WaitIdle())
	os.Exit(3)
}

func mustEntry(l *raftlog.DefaultLog, i uint64) string {
	for e, err := range l.Read(i, i+1) {
		check(err)
		return string(e.Payload)
	}
	return ""
}

func exe() string {
	p, err := os.Executable()
	check(err)
	return p
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
