package matrix_test

import (
	"testing"

	"github.com/raftlog/raftlog/bench/matrix"
	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/bench/store/raftlogstore"
)

// TestFramedBatch4KIsWhatRaftlogWritesPerBatch: the limit line's loop at
// FramedBatch4K stands for raftlog's batches of row b64-4k only if raftlog
// writes exactly that many bytes for each of them.
func TestFramedBatch4KIsWhatRaftlogWritesPerBatch(t *testing.T) {
	s, err := raftlogstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	written := func() float64 { return s.(store.Counter).Counters()["bytes_written"] }
	next := uint64(1)
	appendBatch := func() {
		es := make([]store.Entry, 64)
		for i := range es {
			es[i] = store.Entry{Index: next, Payload: payload.New(next, 4096)}
			next++
		}
		if err := s.Append(es); err != nil {
			t.Fatal(err)
		}
	}
	appendBatch() // the first round also writes the chunk's head
	for range 3 {
		before := written()
		appendBatch()
		if got := written() - before; got != matrix.FramedBatch4K {
			t.Fatalf("raftlog wrote %.0f bytes for a batch of 64 entries of 4 KiB, FramedBatch4K is %d", got, matrix.FramedBatch4K)
		}
	}
}
