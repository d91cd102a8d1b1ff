package wal_test

import (
	"fmt"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// op is the record of a WAL that keeps a running total: Add adds N, and a
// checkpoint (Set) states the total.
type op struct {
	Set bool `json:"set,omitempty"`
	N   int  `json:"n"`
}

// total is the state machine: Open replays every record into it, and it
// supplies the checkpoint that starts each chunk.
type total struct{ n int }

func (t *total) Apply(r op, _ wal.Position) error {
	if r.Set {
		t.n = r.N
	} else {
		t.n += r.N
	}
	return nil
}

func (t *total) Checkpoint(pending []op) op {
	n := t.n
	for _, r := range pending {
		n += r.N
	}
	return op{Set: true, N: n}
}

// A WAL of a caller's own records: append, make durable with a callback,
// read one back, reopen and replay.
func Example() {
	mem := fs.NewMem()
	if err := mem.MkdirAll("/wal", 0o755); err != nil {
		panic(err)
	}
	cfg := wal.Config{Dir: "/wal", FS: mem, ChunkMaxRecords: 3}
	sm := &total{}
	w, err := wal.Open(cfg, codec.JSON[op](), sm)
	if err != nil {
		panic(err)
	}
	var positions []wal.Position
	for _, n := range []int{5, 10, 20, 40} {
		pos, err := w.Append(op{N: n})
		if err != nil {
			panic(err)
		}
		sm.Apply(op{N: n}, pos) // the caller applies what the WAL accepted
		positions = append(positions, pos)
	}
	done := make(chan error, 1)
	if err := w.Flush(true, func(err error) { done <- err }); err != nil {
		panic(err)
	}
	fmt.Println("durable:", <-done)
	r, err := w.Load(positions[2])
	fmt.Printf("record 2: %+v %v\n", r, err)
	st := w.Stat()
	fmt.Println("chunks:", len(st.Closed)+1)
	if err := w.Close(); err != nil {
		panic(err)
	}

	replayed := &total{}
	w, err = wal.Open(cfg, codec.JSON[op](), replayed)
	if err != nil {
		panic(err)
	}
	defer w.Close()
	fmt.Println("total after replay:", replayed.n)
	// Output:
	// durable: <nil>
	// record 2: {Set:false N:20} <nil>
	// chunks: 2
	// total after replay: 75
}
