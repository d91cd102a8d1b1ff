package raftlog

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// repairFixture is a cleanly closed log of 60 entries (each synced in its
// own batch) over several chunks, with a vote and a commit at 55.
func repairFixture(t *testing.T) (*fs.Mem, map[uint64]wal.Position, Stat[LogID]) {
	t.Helper()
	m := fs.NewMem()
	l, err := Open("/log", Config{FS: m, ChunkMaxBytes: 800})
	require.NoError(t, err)
	_, err = l.SaveVote(Vote{Term: 3, NodeID: 1, Committed: true})
	require.NoError(t, err)
	pos := map[uint64]wal.Position{}
	for i := uint64(1); i <= 60; i++ {
		p, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 3, Index: i}, Payload: fmt.Appendf(nil, "payload-%03d", i)})
		require.NoError(t, err)
		pos[i] = p
		if i == 55 {
			_, err = l.Commit(LogID{Term: 3, Index: 55})
			require.NoError(t, err)
		}
		require.NoError(t, l.Sync())
	}
	st := l.Stat()
	require.GreaterOrEqual(t, len(st.WAL.Closed), 3)
	require.NoError(t, l.Close())
	return m, pos, st
}

// files returns the names in dir.
func files(t *testing.T, m *fs.Mem) []string {
	t.Helper()
	names, err := m.ReadDir("/log")
	require.NoError(t, err)
	return names
}

// requireRepaired opens the damaged log: a full check (ReadAll) refuses it,
// the Repair mode opens it with entries 1..keep, and afterwards the default
// mode opens it with nothing to cut. It returns the repair's report.
func requireRepaired(t *testing.T, m *fs.Mem, keep uint64) RecoveryReport[LogID, Vote, []byte] {
	t.Helper()
	_, err := Open("/log", Config{FS: m, ReadAll: true})
	require.ErrorIs(t, err, ErrCorrupt, "a full check refuses the damage")

	l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	rep := l.Recovery()
	require.Equal(t, wal.Repair, rep.Mode)
	require.Equal(t, Some(LogID{Term: 3, Index: keep}), l.State().Last)
	require.Equal(t, Some(Vote{Term: 3, NodeID: 1, Committed: true}), l.State().Vote, "the vote survives a repair")
	require.Equal(t, l.State(), rep.State)
	n := uint64(0)
	for e, err := range l.Read(1, keep+1) {
		require.NoError(t, err)
		n++
		require.Equal(t, fmt.Sprintf("payload-%03d", e.ID.Index), string(e.Payload))
	}
	require.Equal(t, keep, n)
	// It takes writes again.
	_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 4, Index: keep + 1}, Payload: []byte("after")})
	require.NoError(t, err)
	require.NoError(t, l.Close())

	l, err = Open("/log", Config{FS: m})
	require.NoError(t, err, "after a repair, the log opens in the default mode")
	require.Empty(t, l.Recovery().Cuts, "and there is nothing left to cut")
	require.Equal(t, Some(LogID{Term: 4, Index: keep + 1}), l.State().Last)
	require.NoError(t, l.Close())
	return rep
}

// requireBackup checks that a cut kept a backup holding the original bytes.
func requireBackup(t *testing.T, m *fs.Mem, c Cut, original []byte) {
	t.Helper()
	require.NotEmpty(t, c.Backup, "%+v", c)
	require.True(t, strings.HasPrefix(c.Backup, c.File+".broken"), c.Backup)
	b, err := fs.ReadFile(m, c.Backup)
	require.NoError(t, err)
	require.Equal(t, original, b, "the backup of %s holds its bytes as they were", c.File)
	require.True(t, c.Durable)
}

func TestRepairBitFlipInClosedChunk(t *testing.T) {
	m, pos, st := repairFixture(t)
	k := uint64(0) // an entry in the second closed chunk
	for i := uint64(1); i <= 60; i++ {
		if pos[i].Chunk == st.WAL.Closed[1].ID {
			k = i + 1
			break
		}
	}
	path := filepath.Join("/log", wal.ChunkName(pos[k].Chunk))
	before, err := fs.ReadFile(m, path)
	require.NoError(t, err)
	laterChunks := map[string][]byte{}
	for _, c := range append(st.WAL.Closed[2:], st.WAL.Open) {
		p := filepath.Join("/log", wal.ChunkName(c.ID))
		laterChunks[p], err = fs.ReadFile(m, p)
		require.NoError(t, err)
	}
	require.NoError(t, m.Corrupt(path, int64(pos[k].Offset-pos[k].Chunk)+20, 0x10))
	damaged, err := fs.ReadFile(m, path)
	require.NoError(t, err)
	_ = before

	rep := requireRepaired(t, m, k-1)
	// One cut per later chunk moved aside, and the damaged chunk cut at
	// entry k.
	var cut *Cut
	found := map[uint64]bool{}
	for i := range rep.Cuts {
		c := rep.Cuts[i]
		if c.File == path {
			cut = &rep.Cuts[i]
			requireBackup(t, m, c, damaged)
			require.Equal(t, int64(pos[k].Offset-pos[k].Chunk), c.Offset)
			require.Equal(t, int64(len(damaged))-c.Offset, c.Bytes)
		} else {
			requireBackup(t, m, c, laterChunks[c.File])
			require.Zero(t, c.Offset)
			require.Equal(t, int64(len(laterChunks[c.File])), c.Bytes)
		}
		if f, ok := c.First.Get(); ok {
			for i := f; i <= c.Last.Value(); i++ {
				found[i] = true
			}
		}
	}
	require.NotNil(t, cut, "the damaged chunk is cut: %+v", rep.Cuts)
	require.Len(t, rep.Cuts, 1+len(laterChunks))
	// Every entry after the damaged one was found in the bytes cut (each
	// was its own batch, so recovery resynchronises at each); the damaged
	// one itself is never named.
	for i := k + 1; i <= 60; i++ {
		require.True(t, found[i], "entry %d dropped but not reported", i)
	}
	require.False(t, found[k])
}

func TestRepairCutLastChunk(t *testing.T) {
	m, pos, st := repairFixture(t)
	path := filepath.Join("/log", wal.ChunkName(st.WAL.Open.ID))
	data, err := fs.ReadFile(m, path)
	require.NoError(t, err)
	// Cut in the middle of the first entry of the open chunk.
	first := uint64(0)
	for i := uint64(60); i >= 1 && pos[i].Chunk == st.WAL.Open.ID; i-- {
		first = i
	}
	require.NotZero(t, first, "the open chunk holds entries")
	at := int64(pos[first].Offset-pos[first].Chunk) + 5
	require.NoError(t, fs.WriteFile(m, path, data[:at], 0o644))

	rep := requireRepaired(t, m, first-1)
	require.Len(t, rep.Cuts, 1, "%+v", rep.Cuts)
	c := rep.Cuts[0]
	require.Equal(t, path, c.File)
	require.Equal(t, int64(pos[first].Offset-pos[first].Chunk), c.Offset)
	require.Equal(t, int64(5), c.Bytes)
	requireBackup(t, m, c, data[:at])
}

func TestRepairMissingNewestChunk(t *testing.T) {
	m, pos, st := repairFixture(t)
	newest := filepath.Join("/log", wal.ChunkName(st.WAL.Open.ID))
	require.NoError(t, m.Remove(newest))
	prev := st.WAL.Closed[len(st.WAL.Closed)-1]
	prevPath := filepath.Join("/log", wal.ChunkName(prev.ID))
	data, err := fs.ReadFile(m, prevPath)
	require.NoError(t, err)
	keep := uint64(0)
	for i := uint64(1); i <= 60; i++ {
		if pos[i].Chunk == prev.ID {
			keep = i
		}
	}

	rep := requireRepaired(t, m, keep)
	require.Len(t, rep.Cuts, 1, "%+v", rep.Cuts)
	c := rep.Cuts[0]
	require.Equal(t, prevPath, c.File)
	require.Contains(t, c.Reason, wal.ChunkName(st.WAL.Open.ID), "the cut names the missing chunk")
	require.Equal(t, int64(len(data))-41, c.Offset, "the seal naming the missing chunk is cut")
	requireBackup(t, m, c, data)
	require.Contains(t, files(t, m), wal.ChunkName(prev.ID)+".broken")
}

// A chunk cut at a record boundary, before its seal, followed by a chunk
// holding only its head: what a rotation that a crash interrupted leaves,
// but the head's marker vouches for the bytes that are gone, so it is damage.
// The default mode refuses it; Repair keeps the cut chunk and moves its
// successor aside (it used to take it for an interrupted rotation and then
// fail on the gap between the two).
func TestRepairCutChunkBeforeHeadOnlySuccessor(t *testing.T) {
	m, pos, st := repairFixture(t)
	prev := st.WAL.Closed[len(st.WAL.Closed)-1]
	var inPrev []uint64
	for i := uint64(1); i <= 60; i++ {
		if pos[i].Chunk == prev.ID {
			inPrev = append(inPrev, i)
		}
	}
	require.GreaterOrEqual(t, len(inPrev), 2)
	keep := inPrev[0]
	prevPath := filepath.Join("/log", wal.ChunkName(prev.ID))
	resize(t, m, prevPath, int64(pos[keep].End()-prev.ID))

	newest := filepath.Join("/log", wal.ChunkName(st.WAL.Open.ID))
	var headEnd int64
	require.NoError(t, wal.Scan(m, "/log", codec.Bytes, func(f wal.Found[[]byte]) error {
		if f.File == newest && f.Kind == wal.KindCheckpoint {
			headEnd = f.Offset + int64(f.Size)
		}
		return nil
	}))
	require.NotZero(t, headEnd)
	resize(t, m, newest, headEnd)

	rep := requireRepaired(t, m, keep)
	require.True(t, slices.ContainsFunc(rep.Cuts, func(c Cut) bool { return c.File == newest && c.Durable && c.Backup != "" }),
		"the successor is moved aside: %+v", rep.Cuts)
}

// resize truncates a file of m to size bytes.
func resize(t *testing.T, m *fs.Mem, path string, size int64) {
	t.Helper()
	data, err := fs.ReadFile(m, path)
	require.NoError(t, err)
	require.NoError(t, fs.WriteFile(m, path, data[:size], 0o644))
}

// contents returns every file in /log, name -> bytes.
func contents(t *testing.T, m *fs.Mem) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range files(t, m) {
		b, err := fs.ReadFile(m, "/log/"+n)
		require.NoError(t, err)
		out[n] = b
	}
	return out
}

// metaStates are the ways the refusal tests leave META: as it is, damaged
// or removed. A refused Repair must not replace or write it either.
var metaStates = map[string]func(t *testing.T, m *fs.Mem){
	"META intact":  func(*testing.T, *fs.Mem) {},
	"META damaged": func(t *testing.T, m *fs.Mem) { require.NoError(t, m.Corrupt("/log/"+wal.MetaFileName, 3, 0x01)) },
	"META removed": func(t *testing.T, m *fs.Mem) { require.NoError(t, m.Remove("/log/"+wal.MetaFileName)) },
}

// A log whose start is gone cannot be cut around: Repair still refuses,
// and changes nothing.
func TestRepairRefusesMissingFirstChunk(t *testing.T) {
	for what, meta := range metaStates {
		m, _, _ := repairFixture(t)
		require.NoError(t, m.Remove("/log/"+wal.ChunkName(0)))
		meta(t, m)
		before := contents(t, m)
		_, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
		require.ErrorIs(t, err, ErrMissingChunk, what)
		require.Equal(t, before, contents(t, m), what)
	}
}

// purgedFixture is repairFixture's log, reopened, purged to entry 40 and
// closed: the chunks wholly below the purge are removed. It returns the
// bytes of every chunk file from before the purge and the ids of the chunk
// files left, oldest first.
func purgedFixture(t *testing.T) (m *fs.Mem, before map[string][]byte, left []uint64) {
	t.Helper()
	m, _, _ = repairFixture(t)
	before = map[string][]byte{}
	for _, n := range files(t, m) {
		if _, ok := wal.ParseChunkName(n); ok {
			b, err := fs.ReadFile(m, "/log/"+n)
			require.NoError(t, err)
			before[n] = b
		}
	}
	l, err := Open("/log", Config{FS: m})
	require.NoError(t, err)
	_, err = l.Purge(LogID{Term: 3, Index: 40})
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	for _, n := range files(t, m) {
		if id, ok := wal.ParseChunkName(n); ok {
			left = append(left, id)
		}
	}
	require.GreaterOrEqual(t, len(before)-len(left), 2, "the purge removed chunks")
	require.GreaterOrEqual(t, len(left), 3)
	return m, before, left
}

// A chunk between the purge point and the purge's record is lost while
// every chunk the purge removed is still there (its removals had not
// begun): the cut undoes the purge, and Repair opens the log up to the
// damage, every entry from 1 on readable. (When the removals had begun,
// see repair_purged_test.go.)
func TestRepairCutBeforeAPurgeWithItsChunksUndoesIt(t *testing.T) {
	m, before, left := purgedFixture(t)
	for n, b := range before {
		if id, _ := wal.ParseChunkName(n); !slices.Contains(left, id) {
			require.NoError(t, fs.WriteFile(m, "/log/"+n, b, 0o644))
		}
	}
	require.NoError(t, m.Remove("/log/"+wal.ChunkName(left[len(left)-2])))

	l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	st := l.State()
	require.False(t, st.Purged.IsSome(), "the purge is undone: %v", st)
	last, ok := st.Last.Get()
	require.True(t, ok)
	require.Greater(t, last.Index, uint64(40))
	n := uint64(0)
	for e, err := range l.Read(1, last.Index+1) {
		require.NoError(t, err)
		n++
		require.Equal(t, fmt.Sprintf("payload-%03d", e.ID.Index), string(e.Payload))
	}
	require.Equal(t, last.Index, n)
	require.NoError(t, l.Close())
}

// TestRepairOfADamagedMetaWritesANewOne: Repair keeps a copy of a damaged
// META and must write a new one before Open returns. META is what says a log
// exists: a process that dies after the repair and before its next write
// left a log without one, whose first chunk, were its head then damaged,
// looked like a chunk whose creation a crash cut short.
func TestRepairOfADamagedMetaWritesANewOne(t *testing.T) {
	m := closedLogOf(t, 3)
	require.NoError(t, m.Corrupt(filepath.Join(seedDir, wal.MetaFileName), 3, 0x01))

	l, err := Open(seedDir, Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	killed := m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashProcess) // before any write or Close
	require.NoError(t, l.Close())
	_, err = killed.Stat(filepath.Join(seedDir, wal.MetaFileName))
	require.NoError(t, err, "the repair left no META")

	first := filepath.Join(seedDir, wal.ChunkName(0))
	b, err := fs.ReadFile(killed, first)
	require.NoError(t, err)
	require.NoError(t, killed.Corrupt(first, checkpointEnd(t, b)-2, 0x01))
	_, err = Open(seedDir, Config{FS: killed, MustExist: true})
	require.ErrorIs(t, err, wal.ErrCorrupt, "a log of acknowledged entries opened with its first chunk's checkpoint damaged")
}

// TestAMetaCutNamesNoEntries: when Repair replaces a damaged or missing
// META and also cuts chunk 0, the entries cut are reported once, with the
// chunk's cut; the META cut held none.
func TestAMetaCutNamesNoEntries(t *testing.T) {
	for _, how := range []string{"removed", "damaged"} {
		m := fs.NewMem()
		l := seedOpen(t, m, Config{})
		for i := uint64(1); i <= 5; i++ {
			seedAppend(t, l, cxEnt(1, i))
			require.NoError(t, l.Sync())
		}
		require.NoError(t, l.Close())
		chunk := filepath.Join(seedDir, wal.ChunkName(0))
		b, err := fs.ReadFile(m, chunk)
		require.NoError(t, err)
		at := strings.Index(string(b), "t1-i3")
		require.Positive(t, at)
		require.NoError(t, m.Corrupt(chunk, int64(at), 0x04))
		metaPath := filepath.Join(seedDir, wal.MetaFileName)
		if how == "removed" {
			require.NoError(t, m.Remove(metaPath))
		} else {
			require.NoError(t, m.Corrupt(metaPath, 3, 0x01))
		}

		l, err = Open(seedDir, Config{FS: m, Recovery: wal.Repair})
		require.NoError(t, err, how)
		cuts := l.Recovery().Cuts
		require.Len(t, cuts, 2, "META %s: %v", how, cuts)
		require.True(t, cuts[0].OfMeta(), how)
		require.False(t, cuts[0].First.IsSome(), "META %s: the META cut claims entries %v..%v", how, cuts[0].First, cuts[0].Last)
		require.Equal(t, Some(uint64(4)), cuts[1].First, how) // entry 3 is the damaged record
		require.Equal(t, Some(uint64(5)), cuts[1].Last, how)
		require.NotContains(t, cuts[0].String(), "bytes at offset", how)
		require.NoError(t, l.Close())
	}
}

// TestRepairOfADamagedMetaWithNoChunkLeftChangesNothing: with every chunk
// file gone there is nothing to repair from; Repair fails before it
// replaces META or writes a backup.
func TestRepairOfADamagedMetaWithNoChunkLeftChangesNothing(t *testing.T) {
	m := closedLogOf(t, 3)
	metaPath := filepath.Join(seedDir, wal.MetaFileName)
	require.NoError(t, m.Corrupt(metaPath, 3, 0x01))
	names, err := m.ReadDir(seedDir)
	require.NoError(t, err)
	for _, n := range names {
		if n != wal.MetaFileName {
			require.NoError(t, m.Remove(filepath.Join(seedDir, n)))
		}
	}
	damaged, err := fs.ReadFile(m, metaPath)
	require.NoError(t, err)

	_, err = Open(seedDir, Config{FS: m, Recovery: wal.Repair})
	require.ErrorIs(t, err, ErrMissingChunk)
	after, err := m.ReadDir(seedDir)
	require.NoError(t, err)
	require.Equal(t, []string{wal.MetaFileName}, slices.DeleteFunc(after, func(n string) bool { return n == fs.LockFileName }))
	b, err := fs.ReadFile(m, metaPath)
	require.NoError(t, err)
	require.Equal(t, damaged, b)
}
