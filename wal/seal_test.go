package wal

import (
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestSealAfterDroppedChunk: recovery drops a last chunk that holds no
// checkpoint (a crash right after a rotation); the previous chunk becomes the
// open one again, and a Close that writes nothing must still seal it, so
// that rot in a record acknowledged before the crash is reported, not cut as
// a torn tail. (Found in review: the dropped chunk's marker once counted as
// vouching for the previous chunk.)
func TestSealAfterDroppedChunk(t *testing.T) {
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
	second := "/wal/" + names[1]
	resize(t, img, second, ChunkHeaderSize+markerSize) // the checkpoint never landed

	c := l.on(t, img)
	require.NoError(t, c.reopen())
	require.Equal(t, []string{"r1", "r2", "r3"}, c.sm.recs)
	require.Equal(t, int64(ChunkHeaderSize+markerSize), c.w.Stat().Dropped, "the dropped chunk's bytes are reported")
	c.close()

	flipBit(t, img, "/wal/"+names[0], int64(pos[2].Offset)+6, 3) // inside r3, acknowledged
	c = l.on(t, img)
	err := c.reopen()
	require.ErrorIs(t, err, ErrCorrupt, "rot in an acknowledged record of a sealed log")
}

// TestStrictKeepsEmptyLastChunk: Strict recovery refuses a last chunk with no
// checkpoint instead of removing it, and modifies nothing.
func TestStrictKeepsEmptyLastChunk(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
	l.append("r1", "r2", "r3")
	l.sync()
	l.append("r4")
	require.NoError(t, l.w.Flush(false, nil))
	l.w.Step()
	img := clone(m)
	names := chunkNames(t, img, "/wal")
	resize(t, img, "/wal/"+names[1], ChunkHeaderSize)
	c := l.on(t, img)
	c.cfg.Recovery = Strict
	require.ErrorIs(t, c.reopen(), ErrTornTail)
	require.Equal(t, names, chunkNames(t, img, "/wal"), "Strict recovery removes nothing")
	require.Equal(t, int64(ChunkHeaderSize), fileSize(t, img, "/wal/"+names[1]))
}
