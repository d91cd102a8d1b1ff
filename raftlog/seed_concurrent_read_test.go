package raftlog

// Go counterpart of the seed's src/tests/test_concurrent_read.rs (SPEC 8.3):
// many goroutines reading entries from the chunk files at once. The seed's
// bug was a shared file cursor (seek, then read), so a reader could get the
// bytes another reader sought to; reads must be positional. Run it with
// -race.

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// test_concurrent_read_race_condition
func TestSeedConcurrentReadRaceCondition(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys func(t *testing.T) (fs.FS, string)
	}{
		// Real files: the case the seed's bug hit.
		{"os", func(t *testing.T) (fs.FS, string) { return fs.OS(), t.TempDir() }},
		{"mem", func(t *testing.T) (fs.FS, string) { return fs.NewMem(), seedDir }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, dir := tc.fsys(t)
			// CacheMaxItems < 0 means a cache of 0 items: every durable
			// entry is evicted, so every read below goes to a chunk file.
			cfg := Config{FS: fsys, ChunkMaxRecords: 5, CacheMaxItems: -1}
			const numEntries = 50
			payload := func(i uint64) string { return fmt.Sprintf("payload_%04d", i) }

			l, err := Open(dir, cfg)
			require.NoError(t, err)
			for i := uint64(0); i < numEntries; i++ {
				seedAppend(t, l, se(1, i, payload(i)))
			}
			require.NoError(t, l.Sync())
			require.NoError(t, l.Close())

			l, err = Open(dir, cfg)
			require.NoError(t, err)
			defer l.Close()
			l.DrainCacheEvictable()
			st := l.Stat()
			require.Equal(t, 0, st.CacheItems, "nothing may be cached: every read must hit a file")
			require.GreaterOrEqual(t, len(st.WAL.Closed), 10, "50 entries in 5-record chunks span many chunk files")

			const goroutines, iterations = 8, 100
			var errs, mismatches, read atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for iter := 0; iter < iterations; iter++ {
						from := uint64((g + iter) % numEntries)
						to := min(from+5, numEntries)
						want := from
						for en, err := range l.Read(from, to) {
							if err != nil {
								errs.Add(1)
								firstErr.CompareAndSwap(nil, err.Error())
								break
							}
							read.Add(1)
							if en.ID != slid(1, want) || string(en.Payload) != payload(want) {
								mismatches.Add(1)
								firstErr.CompareAndSwap(nil, fmt.Sprintf("expected %v %s, got %v %s", slid(1, want), payload(want), en.ID, en.Payload))
							}
							want++
						}
						if want != to {
							mismatches.Add(1)
							firstErr.CompareAndSwap(nil, fmt.Sprintf("Read(%d, %d) ended at %d", from, to, want))
						}
					}
				}()
			}
			wg.Wait()

			require.Zero(t, errs.Load()+mismatches.Load(), "%d errors, %d mismatches; first: %v", errs.Load(), mismatches.Load(), firstErr.Load())
			// Every window is 5 entries except those starting at 46..49.
			var want int64
			for g := 0; g < goroutines; g++ {
				for iter := 0; iter < iterations; iter++ {
					from := (g + iter) % numEntries
					want += int64(min(from+5, numEntries) - from)
				}
			}
			require.Equal(t, want, read.Load(), "entries read")
			st = l.Stat()
			require.Equal(t, uint64(want), st.CacheMisses, "every entry must come from disk")
			require.Zero(t, st.CacheHits)
		})
	}
}
