package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// flipFixture is a closed log of two chunks of tiny records:
//
//	chunk 0: header, marker, checkpoint, a, b, marker, c   (closed)
//	chunk 1: header, marker, checkpoint, d, e, f, marker    (last; Close's marker)
func flipFixture(t *testing.T) (*fs.Mem, *testLog, []string, []Position, Stat) {
	t.Helper()
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
	l.append("a", "b")
	l.sync()
	l.append("c", "d", "e", "f")
	l.sync()
	in, pos := slices.Clone(l.sm.recs), slices.Clone(l.sm.pos)
	st := l.w.Stat()
	require.Len(t, st.Closed, 1)
	l.close()
	return m, l, in, pos, st
}

// requireCorruptAt checks that err is a corruption of chunk id naming its
// file and the offset of the frame that holds byte p.
func requireCorruptAt(t *testing.T, err error, l *testLog, id uint64, frames []frame, p int64, replay string) {
	t.Helper()
	require.Error(t, err, "Open must fail: %s", replay)
	require.NotErrorIs(t, err, errPanic, replay)
	require.ErrorIs(t, err, ErrCorrupt, replay)
	var ce *CorruptionError
	require.True(t, errors.As(err, &ce), "want a *CorruptionError, got %T %v: %s", err, err, replay)
	require.Equal(t, l.path(id), ce.File, replay)
	require.Equal(t, id, ce.Chunk, replay)
	require.LessOrEqual(t, ce.Offset, p, "the reported offset must not be past the damage: %s", replay)
	require.Equal(t, frameAt(frames, p).off, ce.Offset, "the reported offset is the start of the damaged frame (header: 0): %s", replay)
	require.NotEmpty(t, ce.Reason, replay)
}

// TestBitFlipClosedChunk flips every bit of a closed chunk: Open must fail
// with a corruption error naming the chunk and the damaged frame, never
// panic, never succeed.
//
// A flip in the header's version field is a header checksum failure (the
// checksum covers the version), so it is ErrCorrupt, not ErrVersion.
func TestBitFlipClosedChunk(t *testing.T) {
	m, l, _, _, _ := flipFixture(t)
	path := l.path(0)
	data := readFile(t, m, path)
	frames := parseChunk(t, data)
	for p := int64(0); p < int64(len(data)); p++ {
		for bit := uint(0); bit < 8; bit++ {
			replay := fmt.Sprintf("bit %d of byte %d of %s (%d bytes, closed chunk)", bit, p, ChunkName(0), len(data))
			img := clone(m)
			flipBit(t, img, path, p, bit)
			c := l.on(t, img)
			err := c.reopen()
			if err == nil {
				c.close()
			}
			requireCorruptAt(t, err, l, 0, frames, p, replay)
			require.NotErrorIs(t, err, ErrVersion, replay)
		}
	}
}

// TestBitFlipLastChunk flips every bit of the last chunk of a log closed by
// Close, which ends it with a synced marker stating that everything before
// it is durable and records in the META file where the log ends. A flip
// anywhere, the final marker included, is corruption: nothing of a cleanly
// closed log is ever cut as a torn tail.
func TestBitFlipLastChunk(t *testing.T) {
	m, l, _, _, st := flipFixture(t)
	id := st.Open.ID
	path := l.path(id)
	data := readFile(t, m, path)
	frames := parseChunk(t, data)
	final := frames[len(frames)-1]
	require.Equal(t, kindSynced, final.kind)
	require.Equal(t, int64(len(data))-markerSize, final.off)
	claim, _ := markerValue(final.body, id+uint64(final.off))
	require.Equal(t, id+uint64(final.off), claim, "Close's marker claims everything before it")
	for p := int64(0); p < int64(len(data)); p++ {
		for bit := uint(0); bit < 8; bit++ {
			replay := fmt.Sprintf("bit %d of byte %d of %s (%d bytes, last chunk)", bit, p, ChunkName(id), len(data))
			img := clone(m)
			flipBit(t, img, path, p, bit)
			c := l.on(t, img)
			err := c.reopen()
			if err == nil {
				c.close()
			}
			requireCorruptAt(t, err, l, id, frames, p, replay)
		}
	}
}

// TestBitFlipAtLoad damages a record in the file of an open log: Load must
// report the corruption (chunk, offset) and never return the record.
func TestBitFlipAtLoad(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
	pos := l.append("first", "second", "third", "fourth")
	l.sync()
	st := l.w.Stat()
	require.Len(t, st.Closed, 1)
	for i, p := range pos {
		path := l.path(p.Chunk)
		orig := readFile(t, m, path)
		off := int64(p.Offset - p.Chunk)
		for q := off; q < off+int64(p.Size); q++ {
			for bit := uint(0); bit < 8; bit += 3 {
				replay := fmt.Sprintf("record %d at %+v, bit %d of file byte %d of %s", i, p, bit, q, ChunkName(p.Chunk))
				flipBit(t, m, path, q, bit)
				got, err := l.w.Load(p)
				require.Error(t, err, "Load returned %q: %s", got, replay)
				require.ErrorIs(t, err, ErrCorrupt, replay)
				var ce *CorruptionError
				require.True(t, errors.As(err, &ce), replay)
				require.Equal(t, path, ce.File, replay)
				require.Equal(t, p.Chunk, ce.Chunk, replay)
				require.Equal(t, off, ce.Offset, replay)
				require.Empty(t, got, replay)
				patch(t, m, path, 0, orig) // repair
				got, err = l.w.Load(p)
				require.NoError(t, err, "after repair: %s", replay)
				require.Equal(t, l.sm.recs[i], got)
			}
		}
	}
	l.close()
}

// TestGap removes a chunk file from the middle of the log: Open fails with a
// *GapError naming both neighbours.
func TestGap(t *testing.T) {
	m, l, _, _, st := closedLog(t, Config{ChunkMaxRecords: 4, ManualWorker: true}, 12)
	require.GreaterOrEqual(t, len(st.Closed), 3)
	ids := []uint64{}
	for _, c := range st.Closed {
		ids = append(ids, c.ID)
	}
	ids = append(ids, st.Open.ID)
	for i := 1; i < len(ids)-1; i++ {
		img := clone(m)
		require.NoError(t, img.Remove(l.path(ids[i])))
		c := l.on(t, img)
		err := c.reopen()
		replay := fmt.Sprintf("removed %s (chunk %d of %d)", ChunkName(ids[i]), i, len(ids))
		require.ErrorIs(t, err, ErrGap, replay)
		var ge *GapError
		require.True(t, errors.As(err, &ge), "want *GapError, got %T %v: %s", err, err, replay)
		require.Equal(t, l.path(ids[i-1]), ge.Prev, replay)
		require.Equal(t, l.path(ids[i+1]), ge.Next, replay)
		require.Equal(t, ids[i], ge.PrevEnd, replay)
		require.Equal(t, ids[i+1], ge.NextStart, replay)
		require.Contains(t, err.Error(), ChunkName(ids[i-1]))
		require.Contains(t, err.Error(), ChunkName(ids[i+1]))
	}

	// The first chunk gone, and no trim record ever written: the log's
	// start is missing.
	img := clone(m)
	require.NoError(t, img.Remove(l.path(0)))
	c := l.on(t, img)
	err := c.reopen()
	require.ErrorIs(t, err, ErrMissingChunk)
	require.NotErrorIs(t, err, ErrGap)
	var me *MissingChunkError
	require.True(t, errors.As(err, &me), "want *MissingChunkError, got %T %v", err, err)
	require.Equal(t, uint64(0), me.Want)
	require.Equal(t, ids[1], me.First)
	require.Equal(t, l.cfg.Dir, me.Dir)
}

// setVersion rewrites the version field of a chunk header and fixes up the
// header checksum (CRC-32C of the first 28 bytes, little-endian at 28).
func setVersion(t *testing.T, fsys fs.FS, path string, version uint16) {
	t.Helper()
	h := readFile(t, fsys, path)[:ChunkHeaderSize]
	binary.LittleEndian.PutUint16(h[8:], version)
	binary.LittleEndian.PutUint32(h[28:], codec.Checksum(h[:28]))
	patch(t, fsys, path, 0, h)
}

// TestUnknownVersion rewrites a chunk header's version (with a valid header
// checksum): Open fails with a *VersionError naming the file, and changes
// nothing.
func TestUnknownVersion(t *testing.T) {
	m, l, _, _, st := closedLog(t, Config{ChunkMaxRecords: 4, ManualWorker: true}, 10)
	for _, version := range []uint16{FormatVersion + 1, 0xffff, 0} {
		t.Run(fmt.Sprintf("version=%d", version), func(t *testing.T) {
			for _, id := range []uint64{0, st.Closed[1].ID, st.Open.ID} {
				replay := fmt.Sprintf("version %d in the header of %s", version, ChunkName(id))
				img := clone(m)
				setVersion(t, img, l.path(id), version)
				c := l.on(t, img)
				err := c.reopen()
				require.ErrorIs(t, err, ErrVersion, replay)
				require.NotErrorIs(t, err, ErrCorrupt, replay)
				var ve *VersionError
				require.True(t, errors.As(err, &ve), "want *VersionError, got %T %v: %s", err, err, replay)
				require.Equal(t, l.path(id), ve.File, replay)
				require.Equal(t, version, ve.Version, replay)
			}
		})
	}
	// The last chunk of a log that was not closed, written by one batch (so
	// no marker in it states any of it durable): an unknown version is
	// still not a torn tail, and the chunk (whose records a Sync
	// acknowledged) must not be dropped.
	for _, version := range []uint16{FormatVersion + 1, 0} {
		t.Run(fmt.Sprintf("unclosed/version=%d", version), func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
			l.append("a", "b", "c")
			l.sync()
			l.append("d", "e") // rotates: the new chunk is one batch
			l.sync()
			last := l.w.Stat().Open.ID
			img := clone(m)
			l.close()
			setVersion(t, img, l.path(last), version)
			size := fileSize(t, img, l.path(last))
			c := l.on(t, img)
			err := c.reopen()
			replay := fmt.Sprintf("version %d in the header of the last chunk %s of an unclosed log", version, ChunkName(last))
			if err == nil {
				t.Logf("Open succeeded with records %q: %s", c.sm.recs, replay)
				c.close()
			}
			require.ErrorIs(t, err, ErrVersion, replay)
			require.Contains(t, chunkNames(t, img, l.cfg.Dir), ChunkName(last), "the chunk must not be removed: %s", replay)
			require.Equal(t, size, fileSize(t, img, l.path(last)), replay)
		})
	}
}

// TestLoadReadFaults: a bit flipped by the disk on the way back (a read
// that reports success) is corruption, never data; a read that fails with
// EIO is an I/O error, as it is in Open, not a verdict on the data.
func TestLoadReadFaults(t *testing.T) {
	mem := fs.NewMem()
	ffs := faultinject.New(mem, faultinject.Options{Seed: 7})
	l := openTest(t, ffs, Config{ChunkMaxRecords: 4, ManualWorker: true})
	pos := l.append(recs("lf", 6)...)
	l.sync()
	for i, p := range pos {
		for _, bits := range []int{1, 2, 5} {
			ffs.Clear()
			ffs.Add(faultinject.Rule{Op: faultinject.OpRead, Path: "*.wal", Times: 1, FlipBits: bits})
			got, err := l.w.Load(p)
			replay := fmt.Sprintf("record %d at %+v, %d bit(s) flipped, seed 7, faults %v", i, p, bits, ffs.Injected())
			require.ErrorIs(t, err, ErrCorrupt, "Load returned %q: %s", got, replay)
			var ce *CorruptionError
			require.True(t, errors.As(err, &ce), replay)
			require.Equal(t, l.path(p.Chunk), ce.File, replay)
			require.Equal(t, int64(p.Offset-p.Chunk), ce.Offset, replay)
		}
	}
	ffs.Clear()
	ffs.Add(faultinject.Rule{Op: faultinject.OpRead, Path: "*.wal"})
	_, err := l.w.Load(pos[0])
	require.ErrorIs(t, err, syscall.EIO)
	require.NotErrorIs(t, err, ErrCorrupt, "a failed read is not corruption: %v", err)
	ffs.Clear()
	requireLoads(t, l.w, pos, l.sm.recs, "without faults")
	l.close()
}
