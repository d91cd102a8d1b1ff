package wal

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// simModel is what the caller knows: every record Append accepted (with its
// position), how many of them a successful Sync acknowledged, and how far a
// purge may have moved the start of the log.
type simModel struct {
	all     []string
	pos     []Position
	acked   int // records covered by a successful Sync
	maxBase int // records in chunks that RemoveBefore scheduled for removal
}

// TestCrashSimulation drives a ManualWorker log through random appends,
// flushes, steps and purges on fs.Mem, stops the machine after a random
// number of I/O operations, crashes it (process, ordered or reordered) and
// recovers, several times per seed. After every recovery: the records are a
// prefix of those appended, starting at a chunk boundary no later than the
// purge point, including every acknowledged record, at the same positions;
// and the log is alive. Replay a failure with its seed.
func TestCrashSimulation(t *testing.T) {
	seeds := uint64(500)
	if testing.Short() {
		seeds = 50
	}
	var s simStats
	for seed := uint64(1); seed <= seeds; seed++ {
		simulate(t, seed, &s)
	}
	t.Logf("%d seeds: %d recoveries, %d with a torn tail dropped, %d starting past a purge, %d lost unacknowledged records, %d failed by an injected fault first, %d poisoned runs",
		seeds, s.recoveries, s.torn, s.purged, s.lostUnacked, s.failedOpen, s.poisoned)
}

type simStats struct {
	recoveries, torn, purged, lostUnacked, failedOpen, poisoned int
}

func simulate(t *testing.T, seed uint64, s *simStats) {
	rng := newRand(seed)
	cfg := Config{ChunkMaxRecords: 2 + rng.IntN(6), ManualWorker: true}
	if rng.IntN(3) == 0 {
		cfg.ChunkMaxBytes = int64(100 + rng.IntN(300))
	}
	// Half the seeds also suffer random I/O faults (failed or short
	// writes, failed fsyncs, directory syncs, creations and removals),
	// during the run and during recovery.
	faulty := rng.IntN(2) == 0
	wrap := func(m *fs.Mem) fs.FS {
		if !faulty {
			return m
		}
		return faultinject.New(m, faultinject.Options{Seed: seed},
			faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Prob: 0.02, ShortWrite: -1},
			faultinject.Rule{Op: faultinject.OpSync, Prob: 0.02},
			faultinject.Rule{Op: faultinject.OpSyncDir, Path: "/wal", Prob: 0.02},
			faultinject.Rule{Op: faultinject.OpCreate, Path: "*.wal", Prob: 0.05},
			faultinject.Rule{Op: faultinject.OpRemove, Prob: 0.05},
			faultinject.Rule{Op: faultinject.OpTruncate, Prob: 0.2},
		)
	}
	m := fs.NewMem()
	l := openTest(t, wrap(m), cfg)
	var md simModel
	step := 0
	for round := 0; round < 4; round++ {
		if rng.IntN(4) > 0 {
			m.HaltAfter(uint64(rng.IntN(120)))
		}
		for i := 0; i < 30+rng.IntN(40); i++ {
			step++
			simOp(t, rng, l, &md, fmt.Sprintf("seed %d (faults %v), round %d, op %d, config %+v", seed, faulty, round, step, cfg))
		}
		if l.w.Err() != nil {
			s.poisoned++
		}
		mode := fs.CrashMode(rng.IntN(3))
		replay := fmt.Sprintf("seed %d (faults %v), round %d, after op %d, crash %s, config %+v", seed, faulty, round, step, mode, cfg)
		m = m.Crash(rng, mode)
		l = l.on(t, wrap(m))
		if err := l.reopen(); err != nil {
			// An injected fault during recovery fails Open as an I/O
			// error, never as corruption; Open again (without faults)
			// recovers the same way.
			s.failedOpen++
			require.ErrorIs(t, err, faultinject.ErrInjected, replay)
			require.NotErrorIs(t, err, ErrCorrupt, replay)
			l = l.on(t, m)
			require.NoError(t, l.reopen(), "after a failed recovery: %s", replay)
		}
		s.recoveries++
		if l.w.Stat().Dropped > 0 {
			s.torn++
		}
		if l.sm.base > 0 {
			s.purged++
		}
		if l.sm.base+len(l.sm.recs) < len(md.all) {
			s.lostUnacked++
		}
		checkRecovered(t, l, &md, replay)
	}
	if err := l.w.Close(); err != nil {
		require.ErrorIs(t, err, ErrPoisoned, "seed %d", seed)
	}
}

func simOp(t *testing.T, rng *rand.Rand, l *testLog, md *simModel, replay string) {
	t.Helper()
	w := l.w
	switch r := rng.IntN(100); {
	case r < 45:
		for n := 1 + rng.IntN(3); n > 0; n-- {
			rec := fmt.Sprintf("r%d-%s", len(md.all), strings.Repeat("y", rng.IntN(40)))
			p, err := w.Append(rec)
			if err != nil {
				require.ErrorIs(t, err, ErrPoisoned, replay)
				return
			}
			l.sm.add(rec, p)
			md.all = append(md.all, rec)
			md.pos = append(md.pos, p)
		}
	case r < 60:
		n := len(md.all)
		if err := w.Sync(); err == nil {
			md.acked = n
			require.GreaterOrEqual(t, w.Durable(), w.End(), replay)
		} else {
			require.ErrorIs(t, err, ErrPoisoned, replay)
		}
	case r < 70:
		if err := w.Flush(false, nil); err != nil {
			require.ErrorIs(t, err, ErrPoisoned, replay)
		}
	case r < 85:
		w.Step()
	case r < 92:
		st := w.Stat()
		if len(st.Closed) == 0 {
			return
		}
		boundary := st.Closed[rng.IntN(len(st.Closed))].End
		ids, err := w.RemoveBefore(boundary)
		if err != nil {
			require.ErrorIs(t, err, ErrPoisoned, replay)
			return
		}
		require.NotEmpty(t, ids, replay)
		n := 0
		for n < len(md.pos) && md.pos[n].Chunk < boundary {
			n++
		}
		md.maxBase = max(md.maxBase, n)
	default:
		if len(md.pos) == 0 {
			return
		}
		i := rng.IntN(len(md.pos))
		got, err := w.Load(md.pos[i])
		if i < md.maxBase || err != nil {
			// Purged, or a poisoned worker lost the unwritten bytes.
			if err == nil {
				require.Equal(t, md.all[i], got, replay)
			}
			return
		}
		require.Equal(t, md.all[i], got, "Load(%+v): %s", md.pos[i], replay)
	}
}

// checkRecovered checks the recovered log against the model, then makes the
// model the recovered state (everything recovered is durable now).
func checkRecovered(t *testing.T, l *testLog, md *simModel, replay string) {
	t.Helper()
	sm := l.sm
	base, n := sm.base, len(sm.recs)
	require.LessOrEqual(t, base, md.maxBase, "the log starts after the purge point: %s", replay)
	require.LessOrEqual(t, base+n, len(md.all), "more records than appended: %s", replay)
	require.GreaterOrEqual(t, base+n, md.acked, "acknowledged records lost (recovered %d from %d, acked %d): %s", n, base, md.acked, replay)
	require.Equal(t, append([]string{}, md.all[base:base+n]...), append([]string{}, sm.recs...), "records: %s", replay)
	require.Equal(t, append([]Position{}, md.pos[base:base+n]...), append([]Position{}, sm.pos...), "positions: %s", replay)
	st := l.w.Stat()
	// Records of chunks that a durable trim made obsolete are replayed but
	// the chunks are being removed: Load says so. The rest load.
	first := st.Open.ID
	if len(st.Closed) > 0 {
		first = st.Closed[0].ID
	}
	live := 0
	for live < n && sm.pos[live].Chunk < first {
		_, err := l.w.Load(sm.pos[live])
		require.ErrorIs(t, err, ErrChunkRemoved, "Load(%+v) before the first live chunk %d: %s", sm.pos[live], first, replay)
		live++
	}
	requireLoads(t, l.w, sm.pos[live:], sm.recs[live:], "after recovery: %s", replay)
	if len(chunkNames(t, l.fs, l.cfg.Dir)) > 0 {
		// Every recovered byte is durable.
		if n > 0 {
			require.GreaterOrEqual(t, st.Durable, sm.pos[n-1].End(), "recovered content is durable: %s", replay)
		}
	} else {
		require.Zero(t, st.Durable, "a fresh log: %s", replay)
	}
	require.Equal(t, l.w.End(), st.Open.End, replay)
	md.all, md.pos = md.all[:base+n], md.pos[:base+n]
	md.acked = base + n
}
