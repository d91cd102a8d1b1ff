package faultinject_test

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// A Raft log on a disk whose third fsync of a chunk file fails (the first
// Sync makes the new chunk's head durable, then its entry): the Sync that
// meets it reports the error, the log is poisoned (every later write
// fails too, and no fsync is retried), and the fault log says what was
// injected. Reopened without a crash, the log also holds entry 2: its write
// reached the file before the fsync failed, as a page cache would keep it,
// though it was never reported durable.
func ExampleNew_log() {
	mem := fs.NewMem()
	if err := mem.MkdirAll("/log", 0o755); err != nil {
		panic(err)
	}
	ffs := faultinject.New(mem, faultinject.Options{Seed: 1},
		faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Nth: 3},
	)
	l, err := raftlog.Open("/log", raftlog.Config{FS: ffs})
	if err != nil {
		panic(err)
	}
	entry := func(i uint64) raftlog.Entry[raftlog.LogID, []byte] {
		return raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: i}, Payload: []byte("x")}
	}
	l.Append(entry(1))
	fmt.Println("first sync:", l.Sync())
	l.Append(entry(2))
	err = l.Sync()
	fmt.Println("second sync fails:", errors.Is(err, syscall.EIO), errors.Is(err, faultinject.ErrInjected), errors.Is(err, raftlog.ErrPoisoned))
	_, err = l.Append(entry(3))
	fmt.Println("then writes fail:", errors.Is(err, raftlog.ErrPoisoned))
	l.Close()
	for _, f := range ffs.Injected() {
		fmt.Println(f)
	}

	l, err = raftlog.Open("/log", raftlog.Config{FS: mem})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	fmt.Println("reopened, last:", l.State().Last)
	// Output:
	// first sync: <nil>
	// second sync fails: true true true
	// then writes fail: true
	// #1 sync /log/r-00_000_000_000_000_000_000.wal call 4: error: input/output error
	// reopened, last: {Term:1 Index:2}
}
