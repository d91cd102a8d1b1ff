package raftlog

import (
	"runtime"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// cxMallocsPerRun is testing.AllocsPerRun without its integer division:
// the mean number of heap allocations per call of f, as a fraction.
func cxMallocsPerRun(runs int, f func()) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm-up, as AllocsPerRun does
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}

// TestAllocAppendAmortisedZero: appending a batch of 64 pre-built entries
// allocates nothing per entry once warm; what remains is amortised growth
// (an index block every 4096 entries, the cache slice and the WAL buffer
// doubling), well under 0.05 allocations per entry.
func TestAllocAppendAmortisedZero(t *testing.T) {
	if cxRaceEnabled() {
		t.Skip("the race detector allocates on its own")
	}
	const (
		batch = 64
		runs  = 2000
	)
	l, err := Open("/log", Config{FS: fs.NewMem(), ManualFlush: true, CacheMaxItems: 1 << 30})
	require.NoError(t, err)
	defer l.Close()
	payload := make([]byte, 100)
	entries := make([]cxEntry, batch)
	next := uint64(1)
	appendBatch := func() {
		for k := range entries {
			entries[k] = cxEntry{ID: LogID{Term: 1, Index: next}, Payload: payload}
			next++
		}
		if _, err := l.Append(entries...); err != nil {
			panic(err)
		}
	}
	for range 100 { // warm up: first blocks, buffers
		appendBatch()
	}
	// AllocsPerRun rounds down to whole allocations per call; the exact
	// mean comes from the malloc counter.
	rounded := testing.AllocsPerRun(runs, appendBatch)
	perCall := cxMallocsPerRun(runs, appendBatch)
	perEntry := perCall / batch
	t.Logf("Append of %d entries: %.4f allocs per call (AllocsPerRun: %.0f), %.5f per entry (%d entries in the log)",
		batch, perCall, rounded, perEntry, next-1)
	require.Zero(t, rounded)
	require.Less(t, perEntry, 0.05)
}

// TestAllocReadCached: reading a cached entry does no allocation besides the
// iterator that Read returns (a closure capturing the log and the range).
func TestAllocReadCached(t *testing.T) {
	if cxRaceEnabled() {
		t.Skip("the race detector allocates on its own")
	}
	l, err := Open("/log", Config{FS: fs.NewMem(), ManualFlush: true})
	require.NoError(t, err)
	defer l.Close()
	const n = 1000
	cxAppendEach(t, l, cxEnts(1, 1, n)...)
	i := uint64(0)
	var sink int
	perRead := cxMallocsPerRun(5000, func() {
		i = i%n + 1
		for e, err := range l.Read(i, i+1) {
			if err != nil {
				panic(err)
			}
			sink += len(e.Payload)
		}
	})
	// A window of 64 entries: the iterator's cost is paid once.
	perWindow := cxMallocsPerRun(1000, func() {
		for e, err := range l.Read(100, 164) {
			if err != nil {
				panic(err)
			}
			sink += len(e.Payload)
		}
	})
	st := l.Stat()
	t.Logf("cached Read(i, i+1): %.3f allocs; Read of 64 cached entries: %.3f allocs (%.4f per entry); hits %d, misses %d",
		perRead, perWindow, perWindow/64, st.CacheHits, st.CacheMisses)
	require.Zero(t, st.CacheMisses)
	require.LessOrEqual(t, perRead, 1.0, "one allocation at most: the iterator")
	require.LessOrEqual(t, perWindow, 1.0, "no allocation per entry")
	require.NotZero(t, sink)
}
