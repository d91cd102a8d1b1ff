package raftlog

// Go counterpart of the seed's tests/test_massive.rs (SPEC 8.4): three
// sessions of 499 mixed operations each, with a periodic read whose results,
// state and stat go to a golden file, testdata/massive/periodical-read.txt,
// compared byte for byte (rewrite it with -update and review the diff).
//
// It locks down rotation, purge-driven chunk removal, reuse of the last chunk
// on reopen and cache accounting. To make that output a function of the code
// alone it runs on fs.NewMem() with Config.ManualFlush (the flush goroutine
// may write records appended right after a Sync as a batch of their own,
// which moves later offsets), and it prints a deterministic subset of Stat
// (see massiveStat), not Stat.String, whose flush line holds fsync latencies.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// massiveStat renders the parts of a Stat that depend only on the operations
// performed: the live chunks (id, caller records, [start, end), bytes), the
// entries held [First, End), the cache (last evictable entry, items and
// limit, bytes, hits, misses) and the disk (live bytes, durable offset). Left
// out: the index's memory (an implementation detail) and the flush counters
// and fsync latencies.
func massiveStat(s Stat[LogID]) string {
	var b strings.Builder
	b.WriteString("Stat{\n")
	for _, c := range s.WAL.Closed {
		fmt.Fprintf(&b, " closed %v\n", c)
	}
	fmt.Fprintf(&b, " open %v\n", s.WAL.Open)
	fmt.Fprintf(&b, " First:%d End:%d\n", s.First, s.End)
	fmt.Fprintf(&b, " Evictable:%v CacheItems:%d CacheMaxItems:%d CacheBytes:%d CacheHits:%d CacheMisses:%d\n",
		s.Evictable, s.CacheItems, s.CacheMaxItems, s.CacheBytes, s.CacheHits, s.CacheMisses)
	fmt.Fprintf(&b, " Bytes:%d Durable:%d\n}", s.WAL.Bytes, s.WAL.Durable)
	return b.String()
}

// test_massive_load
func TestSeedMassiveLoad(t *testing.T) {
	out := massiveRun(t, Config{FS: fs.NewMem(), CacheMaxItems: 200, ChunkMaxRecords: 100, ManualFlush: true})
	seedRequireGolden(t, "massive/periodical-read.txt", out)

	// With the flush goroutine the offsets may differ (see above), but
	// the states and the entries read may not.
	t.Run("flush goroutine", func(t *testing.T) {
		got := massiveRun(t, Config{FS: fs.NewMem(), CacheMaxItems: 200, ChunkMaxRecords: 100})
		want := massiveStripStats(out)
		require.Equal(t, 63, strings.Count(want, "state: {Vote:"), "the 63 reads' states are kept")
		require.NotContains(t, want, " open {ID:")
		require.Equal(t, want, massiveStripStats(got), "the output without its Stat blocks")
	})
}

// massiveStripStats drops the Stat blocks from massiveRun's output.
func massiveStripStats(out string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(out, "\n") {
		switch {
		case strings.HasSuffix(line, "Stat{\n"):
			in = true
		case in && line == "}\n":
			in = false
		case !in:
			b.WriteString(line)
		}
	}
	return b.String()
}

// massiveRun runs the scenario on the empty cfg.FS and returns its output.
func massiveRun(t *testing.T, cfg Config) string {
	var out strings.Builder
	failed := func(i uint64, what string, err error) {
		if err != nil {
			fmt.Fprintf(&out, "i=%d %s: error: %v\n", i, what, err)
		}
	}

	var logIndex, purgeIndex uint64
	model := map[uint64]string{} // index -> payload of the entry last appended there
	for session := 0; session < 3; session++ {
		l, err := Open(seedDir, cfg)
		require.NoError(t, err, "open for session %d", session)

		for i := uint64(1); i < 500; i++ {
			logIndex++
			id := slid(logIndex, logIndex)
			payload := fmt.Sprintf("data-%d-%d", session, logIndex)
			model[logIndex] = payload
			_, err := l.Append(seedEnt{ID: id, Payload: []byte(payload)})
			require.NoError(t, err, "session %d, i=%d: append %v", session, i, id)

			if i%11 == 0 {
				_, err := l.Commit(id)
				failed(i, fmt.Sprintf("commit %v", id), err)
			}
			if i%13 == 0 {
				// May be a no-op (at or below the purge point); beyond the
				// last entry it empties the log. Either way, no error.
				_, err := l.Purge(slid(purgeIndex, purgeIndex))
				failed(i, fmt.Sprintf("purge %v", slid(purgeIndex, purgeIndex)), err)
				purgeIndex += 7
			}
			if i%17 == 0 {
				_, err := l.SaveVote(Vote{Term: logIndex, NodeID: 1})
				failed(i, "save vote", err)
			}
			if i%29 == 0 {
				_, err := l.Truncate(logIndex - 5)
				failed(i, fmt.Sprintf("truncate %d", logIndex-5), err)
				logIndex -= 6
			}
			if i%23 == 0 {
				require.LessOrEqual(t, purgeIndex, logIndex, "the seed's formula needs purge index <= log index")
				start := purgeIndex + (i*40503)%(logIndex-purgeIndex+1)
				// The seed reads [start, start+6) and silently skips the
				// indexes it does not hold. Our Read fails with ErrPurged
				// or ErrPastEnd instead, so clamp the range to what the
				// log holds, [First, End).
				st := l.Stat()
				from, to := max(start, st.First), min(start+6, st.End)
				var entries []seedEnt
				if from < to {
					entries, err = seedReadAll(l, from, to)
					require.NoError(t, err, "session %d, i=%d: Read(%d, %d)", session, i, from, to)
					require.Len(t, entries, int(to-from))
				}
				fmt.Fprintf(&out, "i=%d read [%d, %d) -> [%d, %d)\n", i, start, start+6, from, to)
				fmt.Fprintf(&out, "state: %v\n", l.State())
				require.NoError(t, l.WaitIdle())
				l.DrainCacheEvictable()
				fmt.Fprintf(&out, "%s\n", massiveStat(l.Stat()))
				for _, en := range entries {
					fmt.Fprintf(&out, "(%v, %q)\n", en.ID, en.Payload)
				}
			}
		}

		require.NoError(t, l.WaitIdle())
		l.DrainCacheEvictable()
		fmt.Fprintf(&out, "sync start: %s\n", massiveStat(l.Stat()))
		require.NoError(t, l.Sync())
		fmt.Fprintf(&out, "sync done: %s\n", massiveStat(l.Stat()))
		// The seed sleeps 200 ms for its worker and drops the log; Close
		// finishes the worker's work and releases the lock.
		require.NoError(t, l.Close())
	}

	// Whatever the golden file says, the final log must reopen holding
	// the entries the scenario wrote last at each index, from just after
	// the last purge point to the last index appended.
	l, err := Open(seedDir, cfg)
	require.NoError(t, err)
	defer l.Close()
	st := l.Stat()
	require.Equal(t, logIndex+1, st.End, "the log ends at the last index appended")
	require.Equal(t, purgeIndex-7+1, st.First, "the log starts after the last purge")
	n := 0
	for en, err := range l.Read(st.First, st.End) {
		require.NoError(t, err)
		require.Equal(t, slid(en.ID.Index, en.ID.Index), en.ID, "every id is (index, index)")
		require.Equal(t, model[en.ID.Index], string(en.Payload), "payload at index %d", en.ID.Index)
		n++
	}
	require.Equal(t, int(st.End-st.First), n)
	return out.String()
}
