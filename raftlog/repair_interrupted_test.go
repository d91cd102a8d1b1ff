package raftlog

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// sixtySynced opens a new log of 800-byte chunks in a new fs.Mem and
// appends entries 1 to 60 of term 3, each synced; it returns the log, still
// open, and where each entry's record is.
func sixtySynced(t *testing.T) (*fs.Mem, *DefaultLog, map[uint64]wal.Position) {
	t.Helper()
	m := fs.NewMem()
	l, err := Open("/log", Config{FS: m, ChunkMaxBytes: 800})
	require.NoError(t, err)
	pos := map[uint64]wal.Position{}
	for i := uint64(1); i <= 60; i++ {
		p, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 3, Index: i}, Payload: fmt.Appendf(nil, "payload-%03d", i)})
		require.NoError(t, err)
		pos[i] = p
		require.NoError(t, l.Sync())
	}
	return m, l, pos
}

// crashedFixture is repairFixture's log as a crash leaves it: 60 synced
// entries, never closed, so META says the log is open.
func crashedFixture(t *testing.T) (*fs.Mem, map[uint64]wal.Position) {
	t.Helper()
	m, l, pos := sixtySynced(t)
	crashed := m.Crash(nil, fs.CrashProcess)
	require.NoError(t, l.Close())
	return crashed, pos
}

// named returns the indexes the cuts name as cut, up to 60: a cut with
// First and no Last (an earlier repair's) names every index from First on.
func named(cuts []Cut) map[uint64]bool {
	out := map[uint64]bool{}
	for _, c := range cuts {
		f, ok := c.First.Get()
		if !ok {
			continue
		}
		last := uint64(60)
		if l, ok := c.Last.Get(); ok {
			last = l
		}
		for i := f; i <= last; i++ {
			out[i] = true
		}
	}
	return out
}

// TestACrashDuringARepairIsNeverSilent: a repair halted at any step and
// crashed there (process kill, ordered and reordered power loss), or
// finished and crashed before the log was written or closed, has cut
// acknowledged entries whose report reached no one. The default Open must
// then refuse the log rather than open it shorter without a word (before,
// the log of a process that had crashed opened with entries 1 to 29 after
// 24 of the 39 halting points), and a repair run again must name every
// entry past the log's new end. Both for a log that crashed and one that
// was closed cleanly.
func TestACrashDuringARepairIsNeverSilent(t *testing.T) {
	for _, how := range []string{"crashed", "closed cleanly"} {
		t.Run(how, func(t *testing.T) {
			var damaged *fs.Mem
			var pos map[uint64]wal.Position
			if how == "crashed" {
				damaged, pos = crashedFixture(t)
			} else {
				damaged, pos, _ = repairFixture(t)
			}
			p := pos[30]
			require.NoError(t, damaged.Corrupt("/log/"+wal.ChunkName(p.Chunk), int64(p.Offset-p.Chunk)+20, 0x10))
			refused, images := 0, 0
			for k, finished := uint64(0), false; !finished; k++ {
				img := damaged.Crash(nil, fs.CrashProcess)
				img.HaltAfter(k)
				// The images are taken before any Close: when the repair
				// finished, the process stopped before its caller wrote to
				// the log or closed it.
				l, err := Open("/log", Config{FS: img, Recovery: wal.Repair})
				finished = err == nil && !img.Halted()
				for seed := range uint64(4) {
					for _, mode := range []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered} {
						replay := fmt.Sprintf("halted after %d operations of the repair (finished: %v), %v crash, seed %d", k, finished, mode, seed)
						after := img.Crash(rand.New(rand.NewPCG(k, seed)), mode)
						images++
						d, err := Open("/log", Config{FS: after.Crash(nil, fs.CrashProcess)})
						if err == nil {
							last := d.State().Last.Value().Index
							cuts := d.Recovery().Cuts
							d.Close()
							require.Equal(t, uint64(60), last, "%s: the default Open opened the log with entries 1 to %d and no error (cuts %v)", replay, last, cuts)
							continue
						}
						require.ErrorIs(t, err, ErrCorrupt, replay)
						refused++
						r, err := Open("/log", Config{FS: after, Recovery: wal.Repair})
						require.NoError(t, err, replay)
						last := r.State().Last.Value().Index
						got := named(r.Recovery().Cuts)
						require.NoError(t, r.Close())
						require.Equal(t, uint64(29), last, replay)
						for i := last + 2; i <= 60; i++ { // 30 is the damaged one
							require.True(t, got[i], "%s: entry %d is gone, and the repair run again did not name it: %v", replay, i, got)
						}
						d, err = Open("/log", Config{FS: after})
						require.NoError(t, err, "%s: once repaired and closed, the log opens", replay)
						require.Equal(t, uint64(29), d.State().Last.Value().Index, replay)
						require.NoError(t, d.Close())
					}
				}
				if err == nil {
					l.Close()
				}
			}
			require.Greater(t, refused, images/2, "most images are refused")
		})
	}
}

// TestAnInterruptedRepairSaysSo: a repair that finished, after which the
// process stopped before it wrote to the log or closed it: the default
// Open returns *wal.InterruptedRepairError naming where the cut began and
// where the log ended; Repair reports the earlier cut (wal.Cut.Earlier)
// with every entry past the log's end; once the log is written, it opens
// as usual.
func TestAnInterruptedRepairSaysSo(t *testing.T) {
	m, pos := crashedFixture(t)
	p := pos[30]
	require.NoError(t, m.Corrupt("/log/"+wal.ChunkName(p.Chunk), int64(p.Offset-p.Chunk)+20, 0x10))
	l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	first := l.Recovery().Cuts
	stopped := m.Crash(nil, fs.CrashProcess)
	require.NoError(t, l.Close())

	_, err = Open("/log", Config{FS: stopped})
	var ie *wal.InterruptedRepairError
	require.True(t, errors.As(err, &ie), "%v", err)
	require.Equal(t, p.Offset, ie.From)
	require.Greater(t, ie.End, ie.From)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = Open("/log", Config{FS: stopped, Recovery: wal.Strict})
	require.True(t, errors.As(err, &ie), "%v", err)

	r, err := Open("/log", Config{FS: stopped, Recovery: wal.Repair})
	require.NoError(t, err)
	cuts := r.Recovery().Cuts
	require.Len(t, cuts, 1, "%v", cuts)
	require.True(t, cuts[0].Earlier, "%v", cuts[0])
	require.Equal(t, Some(uint64(30)), cuts[0].First)
	require.False(t, cuts[0].Last.IsSome())
	require.Equal(t, wal.ChunkName(p.Chunk), wal.ChunkName(cuts[0].Chunk))
	require.Equal(t, int64(p.Offset-p.Chunk), cuts[0].Offset)
	require.NotEmpty(t, first)
	stopped = stopped.Crash(nil, fs.CrashProcess) // still nothing written
	require.NoError(t, r.Close())

	_, err = Open("/log", Config{FS: stopped})
	require.True(t, errors.As(err, &ie), "a repair run again reports, and still needs a write: %v", err)
	stopped = repairThenWrite(t, stopped, 30) // written: the report was had
	d, err := Open("/log", Config{FS: stopped})
	require.NoError(t, err)
	require.Equal(t, uint64(30), d.State().Last.Value().Index)
	require.Empty(t, d.Recovery().Cuts)
	require.NoError(t, d.Close())
}

// repairThenWrite repairs the log on fsys, appends the entry (4, index)
// and syncs it, the write that ends a repair's mark, and returns the disk
// as a process crash after that Sync leaves it.
func repairThenWrite(t *testing.T, fsys *fs.Mem, index uint64) *fs.Mem {
	t.Helper()
	r, err := Open("/log", Config{FS: fsys, Recovery: wal.Repair})
	require.NoError(t, err)
	_, err = r.Append(Entry[LogID, []byte]{ID: LogID{Term: 4, Index: index}, Payload: []byte("again")})
	require.NoError(t, err)
	require.NoError(t, r.Sync())
	written := fsys.Crash(nil, fs.CrashProcess)
	require.NoError(t, r.Close())
	return written
}

// TestASyncAfterARepairKeepsItsMark: a purge past every entry a repair
// keeps (its record, after the damage, is written again) leaves a log
// holding no entry, and Open schedules the removal of the chunks before
// its newest one: a trim, in the buffer. A Sync of the caller's with
// nothing of its own written flushed it and marked META open, so that a
// crash then left a log that opened without a word of the five synced
// entries the repair had cut. Markers and removals now leave the mark; the
// caller's first record ends it.
func TestASyncAfterARepairKeepsItsMark(t *testing.T) {
	m, pos, st := repairFixture(t)
	first := uint64(0) // the newest chunk's first entry
	for i := uint64(60); pos[i].Chunk == st.WAL.Open.ID; i-- {
		first = i
	}
	l, err := Open("/log", Config{FS: m})
	require.NoError(t, err)
	_, err = l.Purge(LogID{Term: 3, Index: 60})
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	for i := uint64(61); i <= 65; i++ {
		_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 3, Index: i}, Payload: []byte("acknowledged")})
		require.NoError(t, err)
	}
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	p := pos[first]
	require.NoError(t, m.Corrupt("/log/"+wal.ChunkName(p.Chunk), int64(p.Offset-p.Chunk)+10, 0x10))

	l, err = Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	require.Equal(t, Some(LogID{Term: 3, Index: 60}), l.State().Last)
	require.NoError(t, l.Sync())
	require.NoError(t, l.WaitIdle())
	stopped := m.Crash(nil, fs.CrashProcess)
	require.NoError(t, l.Close())
	_, err = Open("/log", Config{FS: stopped})
	var ie *wal.InterruptedRepairError
	require.True(t, errors.As(err, &ie), "a Sync with nothing written ended the repair's mark: %v", err)

	// The caller's first record ends it.
	d, err := Open("/log", Config{FS: repairThenWrite(t, stopped, 61)})
	require.NoError(t, err)
	require.Equal(t, Some(LogID{Term: 4, Index: 61}), d.State().Last)
	require.NoError(t, d.Close())
}

// TestAnEarlierCutNamesEntriesWrittenAgainAtLowerIndexes: the bytes a
// repair cut held a truncation to 30 and entries 30 to 35 of a new term,
// all synced; the log it leaves holds the old term's entries there. The
// first repair names 30 on; a repair run after the process stopped, its
// report lost, must name them too, which it cannot read any more: META's
// mark keeps the lowest index the cut named (it named 45 on before, from
// the log's last index).
func TestAnEarlierCutNamesEntriesWrittenAgainAtLowerIndexes(t *testing.T) {
	m, l, pos := sixtySynced(t)
	_, err := l.Truncate(30)
	require.NoError(t, err)
	for i := uint64(30); i <= 35; i++ {
		_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 4, Index: i}, Payload: []byte("term 4")})
		require.NoError(t, err)
	}
	require.NoError(t, l.Sync())
	crashed := m.Crash(nil, fs.CrashProcess)
	require.NoError(t, l.Close())
	p := pos[45]
	require.NoError(t, crashed.Corrupt("/log/"+wal.ChunkName(p.Chunk), int64(p.Offset-p.Chunk)+20, 0x10))

	r, err := Open("/log", Config{FS: crashed, Recovery: wal.Repair})
	require.NoError(t, err)
	require.True(t, named(r.Recovery().Cuts)[30], "the first repair names entry 30 of term 4: %v", r.Recovery().Cuts)
	id, err := r.LogIDAt(30)
	require.NoError(t, err)
	require.Equal(t, uint64(3), id.Term, "the log it leaves holds term 3's entry 30")
	stopped := crashed.Crash(nil, fs.CrashProcess) // before any write or Close
	require.NoError(t, r.Close())

	r, err = Open("/log", Config{FS: stopped, Recovery: wal.Repair})
	require.NoError(t, err)
	got := named(r.Recovery().Cuts)
	require.NoError(t, r.Close())
	for i := uint64(30); i <= 35; i++ {
		require.True(t, got[i], "the repair run again does not name entry %d of term 4: %v", i, got)
	}
}
