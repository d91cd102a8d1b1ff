package wal

import (
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// interruptedRotation returns a log of two chunks as a crash during a
// rotation leaves it: the new chunk holds head bytes of the given length,
// the old one lacks its seal. The old chunk holds r1..r3 (r3 at pos[2]).
func interruptedRotation(t *testing.T, head int64) (*fs.Mem, *testLog, []Position, []string) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
	pos := l.append("r1", "r2", "r3")
	l.sync()
	l.append("r4") // starts chunk 2
	require.NoError(t, l.w.Flush(false, nil))
	l.w.Step()
	img := clone(m) // a process crash
	names := chunkNames(t, img, "/wal")
	require.Len(t, names, 2)
	first := "/wal/" + names[0]
	resize(t, img, first, fileSize(t, img, first)-sealSize) // the seal never landed
	if head >= 0 {
		resize(t, img, "/wal/"+names[1], head)
	}
	return img, l, pos, names
}

// TestSealAfterDroppedChunk: recovery drops a last chunk that holds nothing
// past its head when its predecessor was never sealed (a crash during a
// rotation); the previous chunk becomes the open one again, and a Close that
// writes nothing must still end it with a marker vouching for it, so that
// rot in a record acknowledged before the crash is reported, not cut as a
// torn tail. (Found in review: the dropped chunk's marker once counted as
// vouching for the previous chunk.)
func TestSealAfterDroppedChunk(t *testing.T) {
	for _, head := range []int64{0, ChunkHeaderSize, ChunkHeaderSize + markerSize, ChunkHeaderSize + markerSize + 3, -1} {
		img, l, pos, names := interruptedRotation(t, head)
		if head < 0 { // the whole head landed: header, marker, checkpoint
			frames := parseChunk(t, readFile(t, img, "/wal/"+names[1]))
			require.Equal(t, kindCheckpoint, frames[1].kind)
			resize(t, img, "/wal/"+names[1], frames[1].end)
		}
		second := "/wal/" + names[1]
		size := fileSize(t, img, second)
		c := l.on(t, img)
		require.NoError(t, c.reopen(), "new chunk with %d bytes", size)
		require.Equal(t, []string{"r1", "r2", "r3"}, c.sm.recs)
		require.Equal(t, size, c.w.Stat().Dropped, "the dropped chunk's bytes are reported")
		require.Len(t, c.w.Report().Cuts, 1)
		require.Equal(t, second, c.w.Report().Cuts[0].File)
		// The unsealed chunk is sealed now; a new one (with a new salt)
		// replaces the dropped one.
		after := chunkNames(t, img, "/wal")
		require.Len(t, after, 2)
		require.Equal(t, names[0], after[0])
		require.Equal(t, c.w.Stat().Open.ID, mustParse(t, after[1]))
		c.close()

		flipBit(t, img, "/wal/"+names[0], int64(pos[2].Offset)+6, 3) // inside r3, acknowledged
		c = l.on(t, img)
		err := c.reopen()
		require.ErrorIs(t, err, ErrCorrupt, "rot in an acknowledged record of a closed log")
	}
}

// TestSealedChunkVouchesForItsSuccessor: once a chunk is sealed, its
// successor's head was durable, so a successor without an intact head is
// corruption, not an interrupted rotation.
func TestSealedChunkVouchesForItsSuccessor(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
	l.append("r1", "r2", "r3", "r4")
	l.sync()
	img := clone(m)
	names := chunkNames(t, img, "/wal")
	require.Len(t, names, 2)
	resize(t, img, "/wal/"+names[1], ChunkHeaderSize+markerSize)
	c := l.on(t, img)
	err := c.reopen()
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptionError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "/wal/"+names[1], ce.File)
	l.close()
}

// TestStrictKeepsEmptyLastChunk: Strict recovery refuses a last chunk with no
// checkpoint instead of removing it, and modifies nothing.
func TestStrictKeepsEmptyLastChunk(t *testing.T) {
	img, l, _, names := interruptedRotation(t, ChunkHeaderSize)
	c := l.on(t, img)
	c.cfg.Recovery = Strict
	require.ErrorIs(t, c.reopen(), ErrTornTail)
	require.Equal(t, names, chunkNames(t, img, "/wal"), "Strict recovery removes nothing")
	require.Equal(t, int64(ChunkHeaderSize), fileSize(t, img, "/wal/"+names[1]))
}

func mustParse(t *testing.T, name string) uint64 {
	t.Helper()
	id, ok := ParseChunkName(name)
	require.True(t, ok, name)
	return id
}
