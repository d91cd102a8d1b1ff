//go:build failpoint

package wal

import (
	"errors"
	"testing"

	pfp "github.com/pingcap/failpoint"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/internal/failpoint"
	"github.com/stretchr/testify/require"
)

// TestFailpointErrors injects an error ("return(true)") at every marked
// moment of the flush worker, on the real file system: the flush that hits it
// reports the error, the WAL is poisoned (every later write and flush fails
// with ErrPoisoned), Close still releases the lock, and a reopen finds every
// record a successful Sync acknowledged. The crashes ("panic") at the same
// moments run in a child process: sim's TestOSCrashFailpoints.
func TestFailpointErrors(t *testing.T) {
	for _, name := range []string{
		"wal/beforeWrite", "wal/afterWrite", "wal/beforeFsync", "wal/afterFsync",
		"wal/afterChunkCreate", "wal/beforeChunkRemove",
	} {
		t.Run(name, func(t *testing.T) {
			l := openTest(t, fs.OS(), Config{Dir: t.TempDir(), ChunkMaxRecords: 4})
			acked := l.append(recs("a", 9)...) // two rotations
			require.NoError(t, l.w.Sync())

			require.NoError(t, pfp.Enable(failpoint.Name(name), "return(true)"))
			defer pfp.Disable(failpoint.Name(name))
			l.append(recs("b", 4)...) // a rotation: the worker creates a chunk
			_, err := l.w.RemoveBefore(acked[4].Offset)
			require.NoError(t, err)
			err = l.w.Sync()
			if name == "wal/beforeChunkRemove" && err == nil {
				// A Sync that ran the round itself left the removal to
				// the worker goroutine (the purge was durable already):
				// the failure poisons the log there, and the next call
				// that waits for the worker reports it.
				err = l.w.WaitIdle()
			}
			require.ErrorIs(t, err, ErrPoisoned, "the Sync that hit %s", name)
			require.ErrorIs(t, err, failpoint.ErrInjected)

			_, err = l.w.Append("after")
			require.ErrorIs(t, err, ErrPoisoned)
			require.ErrorIs(t, l.w.Flush(true, func(error) { t.Error("callback of a refused flush") }), ErrPoisoned)
			require.ErrorIs(t, l.w.WaitIdle(), ErrPoisoned)
			require.ErrorIs(t, l.w.Close(), ErrPoisoned)
			pfp.Disable(failpoint.Name(name))

			require.NoError(t, l.reopen(), "the lock must be released and the log must open")
			got := l.sm.recs
			require.GreaterOrEqual(t, len(got)+l.sm.base, 9, "records acknowledged before the fault")
			for i, r := range got {
				if i+l.sm.base < 9 {
					require.Equal(t, recs("a", 9)[i+l.sm.base], r)
				}
			}
			require.False(t, errors.Is(l.w.Err(), ErrPoisoned))
			l.close()
		})
	}
}
