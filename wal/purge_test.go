package wal

import (
	"fmt"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// purgeFixture is a synced log of 5 chunks (checkpoint + 3 records each,
// the last one open) on fs.Mem.
func purgeFixture(t *testing.T, manual bool) (*fs.Mem, *testLog, []string, []Position, Stat) {
	t.Helper()
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: manual})
	l.append(recs("p", 14)...)
	l.sync()
	st := l.w.Stat()
	require.Len(t, st.Closed, 4)
	return m, l, slices.Clone(l.sm.recs), slices.Clone(l.sm.pos), st
}

// requireSuffix checks a recovered testSM against the model: the records
// from its base on, at the same positions.
func requireSuffix(t *testing.T, sm *testSM, all []string, pos []Position, base int, msg string) {
	t.Helper()
	require.Equal(t, base, sm.base, "first record kept: %s", msg)
	require.Equal(t, all[base:], sm.recs, "records: %s", msg)
	require.Equal(t, pos[base:], sm.pos, "positions: %s", msg)
}

func TestRemoveBefore(t *testing.T) {
	for _, manual := range []bool{true, false} {
		t.Run(fmt.Sprintf("manual=%v", manual), func(t *testing.T) {
			m, l, all, pos, st := purgeFixture(t, manual)
			dir := l.cfg.Dir
			allNames := chunkNames(t, m, dir)
			require.Len(t, allNames, 5)

			ids, err := l.w.RemoveBefore(st.Closed[1].End) // = chunk 2's id
			require.NoError(t, err)
			require.Equal(t, []uint64{st.Closed[0].ID, st.Closed[1].ID}, ids)
			st2 := l.w.Stat()
			require.Equal(t, st.Closed[2:], st2.Closed, "removed chunks leave Stat at once")
			require.Equal(t, st2.Open.End-st.Closed[2].ID, st2.Bytes)
			for i, p := range pos {
				got, err := l.w.Load(p)
				if p.Chunk < st.Closed[2].ID {
					require.ErrorIs(t, err, ErrChunkRemoved, "Load of record %d at %+v in a removed chunk", i, p)
				} else {
					require.NoError(t, err, "Load of record %d at %+v", i, p)
					require.Equal(t, all[i], got)
				}
			}
			// Nothing removed from disk before a synced flush.
			require.Equal(t, allNames, chunkNames(t, m, dir), "files must stay until the trim record is durable")
			if manual {
				// A crash right now keeps every file and the full state.
				for seed := uint64(1); seed <= 32; seed++ {
					c := l.on(t, m.Crash(newRand(seed), fs.CrashOrdered))
					msg := fmt.Sprintf("crash ordered seed %d right after RemoveBefore", seed)
					require.Equal(t, allNames, chunkNames(t, c.fs, dir), msg)
					require.NoError(t, c.reopen(), msg)
					requireSuffix(t, c.sm, all, pos, 0, msg)
					c.close()
				}
			}
			// An unsynced flush writes the trim record but removes nothing.
			require.NoError(t, l.w.WaitIdle())
			require.Equal(t, allNames, chunkNames(t, m, dir), "files must stay until the trim record is durable")
			for seed := uint64(1); seed <= 32; seed++ {
				for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
					c := l.on(t, m.Crash(newRand(seed), mode))
					msg := fmt.Sprintf("crash %s seed %d after RemoveBefore and an unsynced flush", mode, seed)
					require.Equal(t, allNames, chunkNames(t, c.fs, dir), msg)
					require.NoError(t, c.reopen(), msg)
					requireSuffix(t, c.sm, all, pos, 0, msg)
					c.close()
				}
			}

			l.sync()
			// The files go once the trim record is durable: in the round
			// of a WaitIdle, or of the worker after a Sync that ran its
			// own round (it does not wait for the unlinking).
			require.NoError(t, l.w.WaitIdle())
			kept := allNames[2:]
			require.Equal(t, kept, chunkNames(t, m, dir), "after a synced flush the removed chunks' files are gone")
			for _, p := range pos[:6] {
				_, err := l.w.Load(p)
				require.ErrorIs(t, err, ErrChunkRemoved)
			}
			for seed := uint64(1); seed <= 32; seed++ {
				for _, mode := range []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered} {
					c := l.on(t, m.Crash(newRand(seed), mode))
					msg := fmt.Sprintf("crash %s seed %d after the purge", mode, seed)
					require.Equal(t, kept, chunkNames(t, c.fs, dir), msg)
					require.NoError(t, c.reopen(), msg)
					requireSuffix(t, c.sm, all, pos, 6, msg)
					c.close()
				}
			}
			l.append("after")
			l.close()
			require.NoError(t, l.reopen())
			require.Equal(t, 6, l.sm.base, "reopen after the purge")
			require.Equal(t, append(slices.Clone(all[6:]), "after"), l.sm.recs, "reopen after the purge")
			require.Equal(t, pos[6:], l.sm.pos[:len(pos)-6], "reopen after the purge")
			requireLoads(t, l.w, l.sm.pos, l.sm.recs, "after reopen")
			require.Equal(t, st.Closed[2:], l.w.Stat().Closed)
			l.close()
		})
	}
}

// TestRemoveBeforeCrashDuringPurge halts the machine at every operation of
// the synced flush that makes the trim record durable and removes the
// files: every crash image holds every chunk that was not removed, and
// recovers either the full state or the purged one.
func TestRemoveBeforeCrashDuringPurge(t *testing.T) {
	m, l, all, pos, st := purgeFixture(t, true)
	base := clone(m)
	l.close()
	dir := l.cfg.Dir
	allNames := chunkNames(t, base, dir)

	run := func(img *fs.Mem, k uint64) error {
		h := l.on(t, img)
		require.NoError(t, h.reopen())
		ids, err := h.w.RemoveBefore(st.Closed[1].End)
		require.NoError(t, err)
		require.Len(t, ids, 2)
		if k > 0 {
			img.HaltAfter(k - 1)
		}
		err = h.w.Sync()
		h.w.Close()
		return err
	}
	probe := clone(base)
	before := probe.Ops()
	require.NoError(t, run(probe, 0))
	n := probe.Ops() - before // reopen + the purge's Sync + Close
	require.Equal(t, allNames[2:], chunkNames(t, probe, dir))

	for k := uint64(1); k <= n; k++ {
		img := clone(base)
		serr := run(img, k)
		for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
			for seed := uint64(1); seed <= 6; seed++ {
				msg := fmt.Sprintf("halted after %d ops (sync err %v), crash %s seed %d", k-1, serr, mode, seed)
				c := l.on(t, img.Crash(newRand(seed), mode))
				names := chunkNames(t, c.fs, dir)
				require.Subset(t, names, allNames[2:], "a chunk that was not removed is missing: %s", msg)
				require.NoError(t, c.reopen(), msg)
				// Replay starts at the oldest chunk still on disk: its
				// checkpoint stands for the records before it.
				first := c.sm.base
				require.Contains(t, []int{0, 3, 6}, first, msg)
				requireSuffix(t, c.sm, all, pos, first, msg)
				c.append("alive")
				c.sync()
				c.close()
				// Recovery finishes an interrupted purge.
				require.NoError(t, c.reopen(), msg)
				if first != 0 {
					requireSuffix(t, c.sm, append(slices.Clone(all), "alive"), append(slices.Clone(pos), c.sm.pos[len(c.sm.pos)-1]), 6, msg)
				}
				if c.sm.base != 0 {
					require.Equal(t, allNames[2:], chunkNames(t, c.fs, dir)[:3], "after recovery the purge is finished: %s", msg)
				} else {
					require.Equal(t, allNames, chunkNames(t, c.fs, dir)[:5], "no trim durable: every chunk stays: %s", msg)
				}
				c.close()
			}
		}
	}
}

// TestRemoveBeforeBounds: only closed chunks that end at or before the
// offset go; the open chunk never does; repeated purges queue up and Close
// finishes them.
func TestRemoveBeforeBounds(t *testing.T) {
	m, l, all, pos, st := purgeFixture(t, true)
	ids, err := l.w.RemoveBefore(0)
	require.NoError(t, err)
	require.Empty(t, ids, "offset 0: nothing ends before it")
	ids, err = l.w.RemoveBefore(st.Closed[0].End - 1)
	require.NoError(t, err)
	require.Empty(t, ids, "one byte short of chunk 0's end")
	ids, err = l.w.RemoveBefore(st.Closed[0].End + 1)
	require.NoError(t, err)
	require.Equal(t, []uint64{st.Closed[0].ID}, ids, "chunk 0 ends before the offset, chunk 1 does not")
	ids, err = l.w.RemoveBefore(st.Closed[0].End)
	require.NoError(t, err)
	require.Empty(t, ids, "already scheduled")
	ids, err = l.w.RemoveBefore(1 << 62)
	require.NoError(t, err)
	require.Equal(t, []uint64{st.Closed[1].ID, st.Closed[2].ID, st.Closed[3].ID}, ids, "every closed chunk, never the open one")
	st2 := l.w.Stat()
	require.Empty(t, st2.Closed)
	require.Equal(t, st.Open.ID, st2.Open.ID)
	require.Equal(t, statNames(st), chunkNames(t, m, l.cfg.Dir), "nothing removed before a synced flush")
	l.close() // Close syncs: the purges complete
	require.Equal(t, []string{ChunkName(st.Open.ID)}, chunkNames(t, m, l.cfg.Dir))
	require.NoError(t, l.reopen())
	requireSuffix(t, l.sm, all, pos, 12, "reopen with only the open chunk left")
	l.append("more")
	l.close()
}
