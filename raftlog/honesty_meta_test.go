package raftlog

import (
	"fmt"
	"math/rand/v2"
	"path"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// A log of format version 2 writes its META file once its first chunk's
// head is durable, before anything else. Without META, a directory can
// only hold a new log whose first write a crash cut short; anything more
// means META was removed, or that the chunk holds another log's bytes.

// TestANewLogNeverTakesInADeletedLogsEntries deletes a log, creates a new
// one in the same directory, halts the machine at every step of its first
// synced append and loses power there. The new log's first chunk then may
// show the deleted log's first sector (a power loss can leave a freed
// block's old content in a new file whose data never landed), a whole head
// with its own salt, under the same name, whose records verify. Open must
// never return those entries: it opens the new log (empty, or with what it
// acknowledged) or refuses with ErrCorrupt.
func TestANewLogNeverTakesInADeletedLogsEntries(t *testing.T) {
	newEntries := func(n int) []Entry[LogID, []byte] {
		es := make([]Entry[LogID, []byte], n)
		for i := range es {
			es[i] = Entry[LogID, []byte]{ID: LogID{Term: 1, Index: uint64(i + 1)}, Payload: fmt.Appendf(nil, "new-%d", i+1)}
		}
		return es
	}
	refused, opened := 0, 0
	done := false
	for k := uint64(0); !done; k++ {
		m := fs.NewMem()
		old, err := Open(seedDir, Config{FS: m})
		require.NoError(t, err)
		for i := uint64(1); i <= 20; i++ {
			_, err := old.Append(Entry[LogID, []byte]{ID: LogID{Term: 7, Index: i}, Payload: fmt.Appendf(nil, "old-%d", i)})
			require.NoError(t, err)
		}
		require.NoError(t, old.Sync())
		require.NoError(t, old.Close())
		names, err := m.ReadDir(seedDir)
		require.NoError(t, err)
		for _, n := range names {
			require.NoError(t, m.Remove(path.Join(seedDir, n)))
		}
		require.NoError(t, m.SyncDir(seedDir))

		l, err := Open(seedDir, Config{FS: m})
		require.NoError(t, err)
		m.HaltAfter(k)
		_, err = l.Append(newEntries(3)...)
		if err == nil {
			err = l.Sync()
		}
		acked := err == nil && !m.Halted()
		done = acked
		l.Close()
		for seed := range uint64(300) {
			replay := fmt.Sprintf("halted after %d operations of the new log, power loss seed %d", k, seed)
			img := m.Crash(rand.New(rand.NewPCG(k, seed)), fs.CrashReordered)
			l, err := Open(seedDir, Config{FS: img})
			if err != nil {
				require.False(t, acked, "refused a log that acknowledged its entries: %v: %s", err, replay)
				var ce *wal.CorruptionError
				require.ErrorAs(t, err, &ce, replay)
				require.Equal(t, path.Join(seedDir, wal.MetaFileName), ce.File, "%v: %s", err, replay)
				refused++
				continue
			}
			opened++
			st, span := l.State(), l.Stat()
			got, err := seedReadAll(l, span.First, span.End)
			require.NoError(t, err, replay)
			for _, e := range got {
				require.True(t, strings.HasPrefix(string(e.Payload), "new-"), "entry %v of the deleted log: %s", e, replay)
			}
			if acked {
				require.Len(t, got, 3, replay)
			}
			require.True(t, !st.Last.IsSome() || st.Last.Value().Term == 1, "state %+v: %s", st, replay)
			require.NoError(t, l.Close())
		}
	}
	t.Logf("%d crash images opened, %d refused", opened, refused)
}

// TestAMissingMetaIsCorruption removes the META file of a log that holds
// entries (one chunk or several, closed or not): Open must refuse with
// ErrCorrupt rather than open a log whose end nothing vouches for, and
// leave the files; Repair writes a new META, reports it, and keeps every
// entry.
func TestAMissingMetaIsCorruption(t *testing.T) {
	for _, chunkRecords := range []int{0, 2} {
		for _, closed := range []bool{true, false} {
			what := fmt.Sprintf("ChunkMaxRecords=%d closed=%v", chunkRecords, closed)
			m := fs.NewMem()
			l := seedOpen(t, m, Config{ChunkMaxRecords: chunkRecords})
			seedAppend(t, l, cxEnts(1, 1, 5)...)
			require.NoError(t, l.Sync())
			img := m
			if !closed {
				img = m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashProcess)
			}
			require.NoError(t, l.Close())
			metaPath := path.Join(seedDir, wal.MetaFileName)
			require.NoError(t, img.Remove(metaPath))
			before, err := img.ReadDir(seedDir)
			require.NoError(t, err)

			_, err = Open(seedDir, Config{FS: img})
			require.ErrorIs(t, err, ErrCorrupt, what)
			var ce *wal.CorruptionError
			require.ErrorAs(t, err, &ce, what)
			require.Equal(t, metaPath, ce.File, what)
			require.Contains(t, ce.Reason, "META file is missing", what)
			after, err := img.ReadDir(seedDir)
			require.NoError(t, err)
			require.Equal(t, before, after, "%s: a refused Open changed the directory", what)

			l, err = Open(seedDir, Config{FS: img, Recovery: wal.Repair})
			require.NoError(t, err, what)
			cuts := l.Recovery().Cuts
			require.Len(t, cuts, 1, what)
			require.Equal(t, metaPath, cuts[0].File, what)
			got, err := seedReadAll(l, 1, 6)
			require.NoError(t, err, what)
			require.Len(t, got, 5, what)
			_, err = img.Stat(metaPath)
			require.NoError(t, err, "%s: Repair wrote no META", what)
			require.NoError(t, l.Close(), what)
			l, err = Open(seedDir, Config{FS: img})
			require.NoError(t, err, what)
			require.NoError(t, l.Close(), what)
		}
	}
}

// TestAReaderRacingALogsCreationOpensIt: a read-only Open (the tools read
// logs in use) that missed META because the log was being created, then
// found records in its first chunk, must look for META again rather than
// refuse a healthy log.
func TestAReaderRacingALogsCreationOpensIt(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, Config{})
	seedAppend(t, l, cxEnts(1, 1, 3)...)
	require.NoError(t, l.Sync())
	// The first open of META finds none: the reader looked just before
	// the log was created, and read its first chunk just after its first
	// records landed.
	view := faultinject.New(m.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess), faultinject.Options{},
		faultinject.Rule{Op: faultinject.OpOpen, Path: wal.MetaFileName, Nth: 1, Err: fs.ErrNotExist})
	require.NoError(t, l.Close())
	r, err := Open(seedDir, Config{FS: view, MustExist: true})
	require.NoError(t, err)
	require.Len(t, view.Injected(), 1)
	got, err := seedReadAll(r, 1, 4)
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.NoError(t, r.Close())
}
