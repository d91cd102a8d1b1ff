package wal

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestIOFailurePoisons makes one write, fsync, chunk creation or directory
// sync fail. The flush that hit it reports an error matching ErrPoisoned and
// the cause; from then on every write and flush fails with ErrPoisoned, no
// I/O is attempted, Close returns the error and releases the lock, and a new
// Open recovers every acknowledged record.
func TestIOFailurePoisons(t *testing.T) {
	type fi = faultinject.Rule
	cases := []struct {
		name       string
		rule       fi
		maxRecords int
	}{
		// The first Sync (batch 1) does: create chunk 0, write its head,
		// fsync it, syncdir, write META (not a chunk: it does not match
		// the rules' paths), write the records, fsync. Batch 2 then
		// writes and fsyncs once more.
		{"fsync", fi{Op: faultinject.OpSync, Path: "*.wal", Nth: 3}, 0},
		{"first-fsync", fi{Op: faultinject.OpSync, Path: "*.wal", Nth: 1}, 0},
		{"short-write", fi{Op: faultinject.OpWrite, Path: "*.wal", Nth: 3, ShortWrite: 5}, 0},
		// With 4 records a chunk, batch 2 rotates: write chunk 0's new
		// records and fsync them (Nth 3), create chunk 1, write its head
		// and fsync it (Nth 4), syncdir, write chunk 0's seal and fsync it
		// (Nth 5), write chunk 1's records and fsync them.
		{"fsync-before-create", fi{Op: faultinject.OpSync, Path: "*.wal", Nth: 3}, 4},
		{"fsync-of-new-head", fi{Op: faultinject.OpSync, Path: "*.wal", Nth: 4}, 4},
		{"fsync-of-seal", fi{Op: faultinject.OpSync, Path: "*.wal", Nth: 5}, 4},
		{"short-write-at-rotation", fi{Op: faultinject.OpWrite, Path: "*.wal", Nth: 3, ShortWrite: 5}, 4},
		{"short-write-of-seal", fi{Op: faultinject.OpWrite, Path: "*.wal", Nth: 5, ShortWrite: 5}, 4},
		{"create", fi{Op: faultinject.OpCreate, Path: "*.wal", Nth: 2}, 4},
		{"syncdir", fi{Op: faultinject.OpSyncDir, Path: "/wal", Nth: 3}, 4},
	}
	for _, tc := range cases {
		for _, manual := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/manual=%v", tc.name, manual), func(t *testing.T) {
				mem := fs.NewMem()
				ffs := faultinject.New(mem, faultinject.Options{Seed: 1}, tc.rule)
				// No zeros written ahead: the rules count the writes of
				// records (TestZeroFillFailurePoisons covers those).
				l := openTest(t, ffs, Config{ChunkMaxRecords: tc.maxRecords, ManualWorker: manual, PreallocateBytes: -1})
				replay := func() string { return fmt.Sprintf("rule %+v, faults %v", tc.rule, ffs.Injected()) }
				var acked []string
				if tc.name != "first-fsync" {
					l.append("a", "b")
					l.sync()
					acked = slices.Clone(l.sm.recs)
				}
				l.append("c", "d", "e")
				all := slices.Clone(l.sm.recs)

				got := make(chan error, 1)
				require.NoError(t, l.w.Flush(true, func(err error) { got <- err }))
				if manual {
					require.True(t, l.w.Step())
				}
				err := <-got
				require.Error(t, err, "the flush that hit the fault must fail: %s", replay())
				require.ErrorIs(t, err, ErrPoisoned, replay())
				require.ErrorIs(t, err, syscall.EIO, replay())
				require.ErrorIs(t, err, faultinject.ErrInjected, replay())
				require.Len(t, ffs.Injected(), 1, replay())
				require.ErrorIs(t, l.w.Err(), ErrPoisoned)
				require.Less(t, l.w.Durable(), l.w.End(), "nothing past the failure is durable")

				// From now on: no I/O, every write and flush refused.
				calls := map[faultinject.Op]int{}
				for _, op := range []faultinject.Op{faultinject.OpWrite, faultinject.OpSync, faultinject.OpSyncDir, faultinject.OpOpen, faultinject.OpRemove} {
					calls[op] = ffs.Calls(op)
				}
				_, aerr := l.w.Append("f")
				require.ErrorIs(t, aerr, ErrPoisoned, "Append after poisoning")
				called := false
				ferr := l.w.Flush(true, func(error) { called = true })
				require.ErrorIs(t, ferr, ErrPoisoned, "Flush after poisoning")
				require.ErrorIs(t, l.w.Flush(false, nil), ErrPoisoned)
				require.ErrorIs(t, l.w.Sync(), ErrPoisoned, "Sync after poisoning")
				require.ErrorIs(t, l.w.WaitIdle(), ErrPoisoned, "WaitIdle after poisoning")
				require.ErrorIs(t, l.w.WaitIdle(), syscall.EIO, "WaitIdle returns the cause")
				_, rerr := l.w.RemoveBefore(l.w.End())
				require.ErrorIs(t, rerr, ErrPoisoned, "RemoveBefore after poisoning")
				if manual {
					require.False(t, l.w.Step(), "a poisoned Step with nothing queued has nothing to do")
				}
				cerr := l.w.Close()
				require.ErrorIs(t, cerr, ErrPoisoned, "Close returns the poisoning error")
				require.ErrorIs(t, cerr, syscall.EIO)
				require.ErrorIs(t, l.w.Close(), ErrClosed, "second Close")
				require.False(t, called, "a refused Flush must never call its callback")
				for op, n := range calls {
					require.Equal(t, n, ffs.Calls(op), "%s calls after poisoning: no I/O may be retried: %s", op, replay())
				}

				// Power-loss images of the moment of failure.
				var images []*fs.Mem
				var imageNames []string
				for seed := uint64(1); seed <= 16; seed++ {
					for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
						images = append(images, mem.Crash(newRand(seed), mode))
						imageNames = append(imageNames, fmt.Sprintf("crash %s seed %d after the fault", mode, seed))
					}
				}

				// The lock is released: a new Open (on the Mem, without
				// faults) succeeds and has every acknowledged record.
				r := l.on(t, mem)
				require.NoError(t, r.reopen(), "reopen after a poisoned Close: %s", replay())
				requirePrefixOf(t, r.sm.recs, acked, all, replay())
				r.append("alive")
				r.sync()
				r.close()
				// So does every power-loss image.
				for i, img := range images {
					c := l.on(t, img)
					msg := imageNames[i] + "; " + replay()
					require.NoError(t, c.reopen(), msg)
					requirePrefixOf(t, c.sm.recs, acked, all, msg)
					require.NoError(t, c.w.Close())
				}
			})
		}
	}
}

// requirePrefixOf checks that got is a prefix of all that includes acked.
func requirePrefixOf(t *testing.T, got, acked, all []string, msg string) {
	t.Helper()
	require.GreaterOrEqual(t, len(got), len(acked), "lost acknowledged records: got %q, acknowledged %q: %s", got, acked, msg)
	require.LessOrEqual(t, len(got), len(all), "got %q, appended %q: %s", got, all, msg)
	require.True(t, slices.Equal(all[:len(got)], got), "recovered records %q must be a prefix of those appended %q: %s", got, all, msg)
}

// TestOpenFailsOnIOError: an I/O error during Open (lock, listing, opening
// or reading a chunk) is returned as itself, never as corruption, and the
// lock is released.
func TestOpenFailsOnIOError(t *testing.T) {
	mem := fs.NewMem()
	l := openTest(t, mem, Config{ManualWorker: true})
	l.append(recs("x", 3)...)
	l.close()
	for _, rule := range []faultinject.Rule{
		{Op: faultinject.OpLock},
		{Op: faultinject.OpReadDir},
		{Op: faultinject.OpOpen, Path: "*.wal"},
		{Op: faultinject.OpRead, Path: "*.wal"},
	} {
		ffs := faultinject.New(mem, faultinject.Options{Seed: 1}, rule)
		c := l.on(t, ffs)
		err := c.reopen()
		require.Error(t, err, "rule %+v", rule)
		require.ErrorIs(t, err, syscall.EIO, "rule %+v", rule)
		require.False(t, errors.Is(err, ErrCorrupt), "an I/O error is not corruption: rule %+v: %v", rule, err)
		// The lock was released (or never taken).
		ok := l.on(t, mem)
		require.NoError(t, ok.reopen(), "rule %+v", rule)
		require.Equal(t, recs("x", 3), ok.sm.recs)
		ok.close()
	}
}
