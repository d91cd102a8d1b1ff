package wal

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestZeroFillAhead: the open chunk's file is extended with zeros ahead of
// its records, on every file system: first by minZeroFill, then by as much
// as the chunk holds, at most PreallocateBytes. Close cuts the zeros off,
// and a reopen finds every record and cuts nothing.
func TestZeroFillAhead(t *testing.T) {
	const step = 64 << 10
	for _, name := range []string{"mem", "os"} {
		t.Run(name, func(t *testing.T) {
			var fsys fs.FS = fs.NewMem()
			cfg := Config{PreallocateBytes: step}
			if name == "os" {
				fsys, cfg.Dir = fs.OS(), t.TempDir()
			}
			l := openTest(t, fsys, cfg)
			l.append("a", "b")
			l.sync()
			// The first step goes minZeroFill past the chunk's head (the
			// records of the round are then written over the zeros).
			size := fileSize(t, fsys, l.path(0))
			require.Greater(t, size, int64(l.w.End()))
			require.LessOrEqual(t, size, int64(l.w.End())+minZeroFill)
			require.Greater(t, size, int64(minZeroFill))
			zeros := l.w.Stat().Flush.ZeroFilled
			require.EqualValues(t, size-fileHead(t, fsys, l.path(0)), zeros, "zeros from the head's end to the file's")

			l.append(strings.Repeat("x", 20<<10)) // past the first step
			l.sync()
			end := int64(l.w.End())
			size = fileSize(t, fsys, l.path(0))
			require.Greater(t, size, end+minZeroFill, "the second step doubles with the chunk")
			require.LessOrEqual(t, size, 2*end)

			big := strings.Repeat("x", 40<<10)
			for range 3 {
				l.append(big)
				l.sync()
			}
			end = int64(l.w.End())
			size = fileSize(t, fsys, l.path(0))
			require.Greater(t, size, end)
			require.LessOrEqual(t, size, end+step, "never more than PreallocateBytes ahead")
			want := slices.Clone(l.sm.recs)

			l.close()
			requireFilesMatch(t, l) // the zeros are gone
			require.NoError(t, l.reopen())
			require.Equal(t, want, l.sm.recs)
			require.Empty(t, l.w.Report().Cuts)
			l.close()
		})
	}
}

// TestLargeWriteGrowsTheFile: a round that writes largeWrite bytes or more
// extends the file itself, with no zeros ahead (they would double the bytes
// written); the next small round writes zeros ahead again, and a reopen
// finds every record.
func TestLargeWriteGrowsTheFile(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{PreallocateBytes: 1 << 20})
	l.append("a")
	l.sync()
	zeros := l.w.Stat().Flush.ZeroFilled
	require.NotZero(t, zeros)

	big := strings.Repeat("x", largeWrite)
	l.append(big, "b")
	l.sync()
	require.Equal(t, zeros, l.w.Stat().Flush.ZeroFilled, "no zeros ahead of a large write")
	require.EqualValues(t, l.w.End(), fileSize(t, m, l.path(0)), "the write grew the file")

	l.append("c")
	l.sync()
	require.Greater(t, l.w.Stat().Flush.ZeroFilled, zeros, "zeros ahead of the next small write")
	require.Greater(t, fileSize(t, m, l.path(0)), int64(l.w.End()))
	want := slices.Clone(l.sm.recs)

	img := m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashOrdered) // a power loss after the Sync
	l.close()
	c := l.on(t, img)
	require.NoError(t, c.reopen())
	require.Equal(t, want, c.sm.recs)
	require.Empty(t, c.w.Report().Cuts)
	c.close()
}

// fileHead is the file offset where the head of the chunk file path ends:
// its header, first marker and checkpoint.
func fileHead(t *testing.T, fsys fs.FS, path string) int64 {
	frames := parseChunk(t, readFile(t, fsys, path))
	require.GreaterOrEqual(t, len(frames), 2)
	require.Equal(t, kindCheckpoint, frames[1].kind)
	return frames[1].end
}

// TestZeroFillStopsAtChunkMax: the zeros never reach past ChunkMaxBytes, and
// a chunk closed by rotation is cut to its seal: only the open chunk's file
// holds zeros.
func TestZeroFillStopsAtChunkMax(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxBytes: 100 << 10, PreallocateBytes: 64 << 10})
	rec := strings.Repeat("r", 10<<10)
	for range 7 { // 70 KiB in small rounds: into the second step
		l.append(rec)
		l.sync()
	}
	require.EqualValues(t, 100<<10, fileSize(t, m, l.path(0)), "capped at ChunkMaxBytes")
	for range 4 { // past ChunkMaxBytes: a rotation
		l.append(rec)
		l.sync()
	}
	st := l.w.Stat()
	require.Len(t, st.Closed, 1)
	require.EqualValues(t, st.Closed[0].Bytes(), fileSize(t, m, l.path(0)), "the closed chunk ends at its seal")
	require.Greater(t, fileSize(t, m, l.path(st.Open.ID)), int64(st.Open.Bytes()), "the open chunk has zeros ahead")
	want := slices.Clone(l.sm.recs)
	l.close()
	requireFilesMatch(t, l)
	require.NoError(t, l.reopen())
	require.Equal(t, want, l.sm.recs)
	l.close()
}

// TestCrashKeepsZeroFilledChunk: after a crash, the zeros past the last
// record are the unwritten tail, not a torn write: Open cuts nothing,
// reports nothing, does not rotate, and the next records go where the zeros
// start.
func TestCrashKeepsZeroFilledChunk(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{})
	l.append("a", "b")
	l.sync()
	img := clone(m) // a process crash right after the Sync
	l.close()

	c := l.on(t, img)
	require.NoError(t, c.reopen())
	require.Equal(t, []string{"a", "b"}, c.sm.recs)
	require.Empty(t, c.w.Report().Cuts)
	require.Empty(t, c.w.Stat().Closed, "no rotation")
	size := fileSize(t, img, c.path(0))
	require.Greater(t, size, int64(c.w.End()), "the zeros are still there")
	end := c.w.End()
	c.append("c")
	c.sync()
	require.Equal(t, size, fileSize(t, img, c.path(0)), "written over the zeros, not after them")
	frames := parseChunk(t, readFile(t, img, c.path(0))[:c.w.End()])
	require.Equal(t, end, uint64(frames[len(frames)-2].off), "the new batch's marker starts where the records ended")

	img2 := clone(img)
	c.close()
	d := c.on(t, img2)
	require.NoError(t, d.reopen())
	require.Equal(t, []string{"a", "b", "c"}, d.sm.recs)
	require.Empty(t, d.w.Report().Cuts)
	d.close()
}

// TestPowerLossWithZeroFill: power losses of both kinds, many times over,
// at a point where records are written over zeros but not yet synced: every
// acknowledged record survives, and what is cut is reported.
func TestPowerLossWithZeroFill(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{PreallocateBytes: 4 << 10})
	for i := range 20 {
		l.append(recs(fmt.Sprintf("s%d-", i), 5)...)
		l.sync()
	}
	acked := slices.Clone(l.sm.recs)
	l.append(recs("unsynced", 40)...)
	require.NoError(t, l.w.Flush(false, nil))
	require.NoError(t, l.w.WaitIdle())
	for seed := range uint64(200) {
		mode := []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered}[seed%2]
		img := m.Crash(newRand(seed), mode)
		c := l.on(t, img)
		require.NoError(t, c.reopen(), "seed %d, %v", seed, mode)
		require.GreaterOrEqual(t, len(c.sm.recs), len(acked), "seed %d, %v", seed, mode)
		require.Equal(t, acked, c.sm.recs[:len(acked)], "seed %d, %v", seed, mode)
		require.Equal(t, l.sm.recs[:len(c.sm.recs)], c.sm.recs, "a prefix, seed %d, %v", seed, mode)
		if len(c.w.Report().Cuts) > 0 {
			require.NotEmpty(t, c.w.Stat().Closed, "a cut starts a new chunk, seed %d", seed)
		}
		c.close()
	}
	l.close()
}

// TestTornRecordBeforeZeros: bytes of a record that a crash tore, followed
// by zeros, are a torn write: cut, reported, and the chunk sealed so that
// new records go to a new chunk with a new salt.
func TestTornRecordBeforeZeros(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{})
	l.append("a", "b")
	l.sync()
	end := int64(l.w.End())
	img := clone(m)
	l.close()
	patch(t, img, l.path(0), end, []byte{0x30, 0, 0, 0, 1, 'x', 'y'}) // a record cut short

	c := l.on(t, img)
	require.NoError(t, c.reopen())
	require.Equal(t, []string{"a", "b"}, c.sm.recs)
	cuts := c.w.Report().Cuts
	require.Len(t, cuts, 1)
	require.Equal(t, end, cuts[0].Offset)
	require.Len(t, c.w.Stat().Closed, 1, "the torn chunk is sealed; a new one starts")
	c.close()
}

// TestZerosAfterCleanClose: a cleanly closed log ends where its files do;
// zeros found after it later are damage, even though a crashed log's zeros
// would be its unwritten tail. Repair cuts them.
func TestZerosAfterCleanClose(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{})
	l.append("a", "b")
	l.close()
	size := fileSize(t, m, l.path(0))
	patch(t, m, l.path(0), size, make([]byte, 100))

	err := l.reopen()
	var ce *CorruptionError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, size, ce.Offset)
	require.Contains(t, ce.Reason, "zero bytes follow the end of a log that was closed cleanly")

	l.cfg.Recovery = Repair
	require.NoError(t, l.reopen())
	require.Equal(t, []string{"a", "b"}, l.sm.recs)
	cuts := l.w.Report().Cuts
	require.Len(t, cuts, 1)
	require.Equal(t, size, cuts[0].Offset)
	require.EqualValues(t, 100, cuts[0].Bytes)
	l.close()
}

// TestZeroFillFailurePoisons: a failed write of zeros ahead is a failed
// write: the flush fails, the log is poisoned, and a reopen finds every
// acknowledged record.
func TestZeroFillFailurePoisons(t *testing.T) {
	mem := fs.NewMem()
	ffs := faultinject.New(mem, faultinject.Options{Seed: 1})
	l := openTest(t, ffs, Config{PreallocateBytes: 4 << 10})
	l.append("a")
	l.sync()
	acked := slices.Clone(l.sm.recs)
	ffs.Add(faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Nth: 1})
	l.append(strings.Repeat("z", 5<<10)) // past the zeros: the round writes zeros first
	err := l.w.Sync()
	require.ErrorIs(t, err, ErrPoisoned)
	require.ErrorIs(t, err, faultinject.ErrInjected)
	require.Contains(t, err.Error(), "zeros ahead")
	require.ErrorIs(t, l.w.Close(), ErrPoisoned)

	c := l.on(t, mem)
	require.NoError(t, c.reopen())
	require.Equal(t, acked, c.sm.recs)
	c.close()
}

// TestNoZeroFill: with PreallocateBytes negative, files hold their records
// and nothing else.
func TestNoZeroFill(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{PreallocateBytes: -1})
	l.append("a", "b")
	l.sync()
	requireFilesMatch(t, l)
	require.Zero(t, l.w.Stat().Flush.ZeroFilled)
	l.close()
}
