package wal

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestReopenAfterEachOperation reopens a log after each kind of operation and
// requires the same records at the same positions, and Load of every
// position returned by Append, before and after the reopen.
func TestReopenAfterEachOperation(t *testing.T) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, l *testLog)
	}{
		{"append-only", func(t *testing.T, l *testLog) {
			l.append(recs("a", 3)...)
		}},
		{"append-sync", func(t *testing.T, l *testLog) {
			l.append(recs("a", 3)...)
			l.sync()
			l.append(recs("b", 2)...)
			l.sync()
		}},
		{"rotation", func(t *testing.T, l *testLog) {
			l.append(recs("a", 5)...) // checkpoint + 3 per chunk: 2 chunks
			l.sync()
			l.append(recs("b", 6)...) // 2 more rotations in one batch
			l.sync()
			require.Len(t, l.w.Stat().Closed, 3)
		}},
		{"remove-before-sync", func(t *testing.T, l *testLog) {
			l.append(recs("a", 14)...) // 5 chunks
			l.sync()
			st := l.w.Stat()
			require.Len(t, st.Closed, 4)
			ids, err := l.w.RemoveBefore(st.Closed[2].ID)
			require.NoError(t, err)
			require.Equal(t, []uint64{st.Closed[0].ID, st.Closed[1].ID}, ids)
			l.sync()
			l.append("after-trim")
			l.sync()
		}},
		{"close-without-append", func(t *testing.T, l *testLog) {}},
		{"reopened-close-without-append", func(t *testing.T, l *testLog) {
			l.append(recs("a", 5)...)
			l.close()
			require.NoError(t, l.reopen())
			l.close()
			require.NoError(t, l.reopen())
		}},
	}
	for _, sc := range scenarios {
		for _, manual := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/manual=%v", sc.name, manual), func(t *testing.T) {
				m := fs.NewMem()
				l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: manual})
				sc.run(t, l)
				want, wantPos := slices.Clone(l.sm.recs), slices.Clone(l.sm.pos)
				st := l.w.Stat()
				// Records of purged chunks are gone at once; the rest load.
				first := st.Open.ID
				if len(st.Closed) > 0 {
					first = st.Closed[0].ID
				}
				live := 0
				for live < len(wantPos) && wantPos[live].Chunk < first {
					_, err := l.w.Load(wantPos[live])
					require.ErrorIs(t, err, ErrChunkRemoved, "Load(%+v) of a purged record", wantPos[live])
					live++
				}
				requireLoads(t, l.w, wantPos[live:], want[live:], "before close")

				// A process crash now (no Close) loses nothing written.
				require.NoError(t, l.w.WaitIdle())
				c := l.on(t, clone(m))
				require.NoError(t, c.reopen(), "reopen of a process-crash image")
				base := c.sm.base
				require.Equal(t, live, base, "records before the first live chunk")
				require.Equal(t, want[base:], c.sm.recs, "process crash image")
				require.Equal(t, wantPos[base:], c.sm.pos, "process crash image")
				c.close()

				l.close()
				for round := 0; round < 2; round++ {
					require.NoError(t, l.reopen(), "reopen %d", round)
					base := l.sm.base
					require.Equal(t, want[base:], l.sm.recs, "reopen %d: records", round)
					require.Equal(t, wantPos[base:], l.sm.pos, "reopen %d: positions", round)
					requireLoads(t, l.w, wantPos[base:], want[base:], "after reopen %d", round)
					st2 := l.w.Stat()
					require.Equal(t, st.Closed, st2.Closed, "reopen %d: closed chunks", round)
					require.Equal(t, st.Open.ID, st2.Open.ID, "reopen %d: open chunk", round)
					require.Equal(t, st.Open.Records, st2.Open.Records, "reopen %d: open chunk records", round)
					// The first Close appends one synced marker, unless
					// the log was sealed by an earlier one and nothing was
					// written since; a reopen that writes nothing adds
					// nothing.
					extra := uint64(markerSize)
					if sc.name == "reopened-close-without-append" {
						extra = 0
					}
					require.Equal(t, st.Open.End+extra, st2.Open.End, "reopen %d: end", round)
					require.Equal(t, st2.Open.End, st2.Durable, "reopen %d: all durable", round)
					require.Zero(t, st2.Dropped, "reopen %d: nothing torn", round)
					l.close()
				}
				// The reopened log is alive: it appends, syncs and reads back.
				require.NoError(t, l.reopen())
				p := l.append("alive")
				l.sync()
				requireLoads(t, l.w, p, []string{"alive"}, "alive")
				l.close()
			})
		}
	}
}

// TestLoadFromMemory loads records the worker has not written yet: with a
// ManualWorker and no Step, Load serves them from the appender's buffers
// (the open chunk's and those of chunks closed by rotation) and does no
// I/O.
func TestLoadFromMemory(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 3, ManualWorker: true})
	ops := m.Ops()
	in := recs("m", 7) // chunks: ckpt+2, ckpt+2, ckpt+2, ckpt+1, all in memory
	pos := l.append(in...)
	require.Len(t, l.w.Stat().Closed, 3)
	requireLoads(t, l.w, pos, in, "before any Step")
	require.Equal(t, ops, m.Ops(), "Append and Load must do no I/O before a Step")
	require.Empty(t, chunkNames(t, m, l.cfg.Dir), "no chunk file before a Step")
	require.Zero(t, l.w.Durable())

	require.True(t, l.w.Step())
	requireLoads(t, l.w, pos, in, "after a Step without sync")
	more := l.append("m-late")
	requireLoads(t, l.w, more, []string{"m-late"}, "appended after the Step")
	l.sync()
	requireLoads(t, l.w, append(pos, more...), append(in, "m-late"), "after Sync")
	l.close()

	// A position past the end of the log is an error, not a record.
	require.NoError(t, l.reopen())
	end := l.w.End()
	_, err := l.w.Load(Position{Chunk: l.w.Stat().Open.ID, Offset: end, Size: 16})
	require.Error(t, err, "Load past the end")
	l.close()
}

// TestClosed: after Close every call fails with ErrClosed, Load included
// (a closed log's files are closed: that is not corruption).
func TestClosed(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ManualWorker: true})
	pos := l.append("a", "b")
	l.sync()
	l.close()
	_, err := l.w.Append("c")
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, l.w.Flush(true, func(error) { t.Error("callback of a refused Flush") }), ErrClosed)
	require.ErrorIs(t, l.w.Sync(), ErrClosed)
	require.ErrorIs(t, l.w.WaitIdle(), ErrClosed)
	require.ErrorIs(t, l.w.Close(), ErrClosed)
	_, err = l.w.RemoveBefore(l.w.End())
	require.ErrorIs(t, err, ErrClosed)
	_, err = l.w.Load(pos[0])
	require.Error(t, err, "Load after Close")
	require.NotErrorIs(t, err, ErrCorrupt, "Load after Close reports corruption: %v", err)
	require.ErrorIs(t, err, ErrClosed, "Load after Close")
}

// TestCloseWhileBusy closes the log while goroutines append and sync: each
// of them ends with success or ErrClosed, nobody hangs, and every
// acknowledged record is there after reopen.
func TestCloseWhileBusy(t *testing.T) {
	m := fs.NewMem()
	l := logOn(t, m, Config{ChunkMaxRecords: 16})
	require.NoError(t, m.MkdirAll(l.cfg.Dir, 0o755))
	// Concurrent appenders have no order a checkpoint could count: use a
	// state machine that just collects records.
	w, err := Open(l.cfg, codec.String, StateMachine[string](&bagSM{}))
	require.NoError(t, err)
	const g = 8
	acked := make([][]string, g)
	errs := make([]error, g)
	started := make(chan struct{}, g)
	var wg sync.WaitGroup
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				rec := fmt.Sprintf("g%d-%04d", i, n)
				if _, err := w.Append(rec); err != nil {
					errs[i] = err
					return
				}
				if err := w.Sync(); err != nil {
					errs[i] = err
					return
				}
				acked[i] = append(acked[i], rec)
				if n == 3 {
					started <- struct{}{}
				}
			}
		}()
	}
	for i := 0; i < g; i++ {
		<-started
	}
	require.NoError(t, w.Close())
	wg.Wait()
	for i, err := range errs {
		require.ErrorIs(t, err, ErrClosed, "goroutine %d", i)
	}
	bag := &bagSM{}
	w, err = Open(l.cfg, codec.String, StateMachine[string](bag))
	require.NoError(t, err)
	have := map[string]bool{}
	for _, r := range bag.recs {
		have[r] = true
	}
	for i := range acked {
		for _, r := range acked[i] {
			require.True(t, have[r], "acknowledged record %s lost", r)
		}
	}
	require.NoError(t, w.Close())
}
