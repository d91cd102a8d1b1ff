package workload

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/raftlog/raftlog/bench/store"
)

// TestEntryMakerCountsWhatMakingTheEntriesAllocates: what an entryMaker
// says its batches allocated is what the heap saw, for full batches and
// the last short one, so that subtracting it leaves the store's own.
func TestEntryMakerCountsWhatMakingTheEntriesAllocates(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may allocate
	for _, p := range []Params{{Batch: 1, N: 50, Size: 128}, {Batch: 64, N: 200, Size: 4096}, {Batch: 16, N: 64, Size: 0}} {
		mk := newEntryMaker(p)
		kept := make([][]store.Entry, 0, p.N)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for next := uint64(1); next <= p.N; {
			es := mk.batch(next, int(min(uint64(p.Batch), p.N-next+1)))
			kept = append(kept, es) // held, as a store may hold them
			next += uint64(len(es))
		}
		runtime.ReadMemStats(&after)
		if got := after.Mallocs - before.Mallocs; got != mk.allocs || mk.allocs == 0 && p.Size > 0 {
			t.Errorf("%+v: the heap saw %d allocations, the maker counted %d", p, got, mk.allocs)
		}
		runtime.KeepAlive(kept)
	}
}
