package raftlog

// Go counterparts of the seed's src/tests/test_reopen.rs (SPEC 8.2): reopening
// after a clean close and after damage to the chunk files.
//
// After buildSampleDataPurgeUpto3 and Close, the log directory holds two
// chunks and the META file (see testdata/dump/reopen.txt):
//
//	r-..._482.wal  314 bytes: ..., Append((2, 6), "bar") [243, 273),
//	               Seal(next: 796) [273, 314)
//	r-..._796.wal  252 bytes: ..., Synced(947) [151, 176),
//	               PurgeUpto((2, 3)) [176, 202), Trim(482) [202, 227),
//	               Synced(1023) [227, 252) (written by Close)
//
// Close ends the log with a Synced marker stating that all of it is durable
// and records in META where the log ends, so any damage to a closed log is
// corruption (Open fails), never a torn write that recovery would cut. A log
// already closed that way (reopened, nothing written since) gets no second
// marker: its Close writes nothing.

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

var (
	seedPurgeUpto3State = seedState(None[Vote](), Some(slid(2, 7)), Some(slid(1, 2)), Some(slid(2, 3)), None[[]byte]())
	seedChunk482        = filepath.Join(seedDir, wal.ChunkName(482))
	seedChunk796        = filepath.Join(seedDir, wal.ChunkName(796))
)

// seedClosedPurgeUpto3 builds build_sample_data_purge_upto_3 on a new Mem and
// closes the log.
func seedClosedPurgeUpto3(t *testing.T) *fs.Mem {
	t.Helper()
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)
	buildSampleDataPurgeUpto3(t, l)
	require.NoError(t, l.Close())
	require.Equal(t, map[string]int64{wal.ChunkName(482): 314, wal.ChunkName(796): 252}, seedChunkFiles(t, m, seedDir))
	return m
}

func seedReadFile(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	require.NoError(t, err)
	return b
}

func seedWriteFile(t *testing.T, fsys fs.FS, name string, data []byte) {
	t.Helper()
	require.NoError(t, fs.WriteFile(fsys, name, data, 0o644))
}

// seedSnapshot returns the content of every file in the log directory.
func seedSnapshot(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	names, err := fsys.ReadDir(seedDir)
	require.NoError(t, err)
	files := map[string]string{}
	for _, n := range names {
		files[n] = string(seedReadFile(t, fsys, filepath.Join(seedDir, n)))
	}
	return files
}

// test_re_open
func TestSeedReopen(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)
	buildSampleDataPurgeUpto3(t, l)
	state := l.State()
	entries, err := seedReadAll(l, 4, 8)
	require.NoError(t, err)
	dumpBefore := seedDump(t, l)
	require.NoError(t, l.Close())

	cfg7 := Config{ChunkMaxRecords: 7, ManualFlush: true}
	l = seedOpen(t, m, cfg7)
	require.Equal(t, state, l.State())
	seedRequireRead(t, l, 4, 8, entries...)

	// The files are as they were, plus the Synced marker Close wrote.
	// Differs from the seed: the seed's reopen starts a new chunk (638)
	// with a State record; ours goes on in the last chunk.
	dump := seedDump(t, l)
	require.Equal(t, dumpBefore+"  R-00006: [000_000_227, 000_000_252) Size(25): Synced(1023)\n", dump)
	seedRequireGolden(t, "dump/reopen.txt", dump)

	// With 7-record chunks, chunk 796 (checkpoint, (2,7), purge) takes
	// four more entries; the fifth starts a new chunk.
	for i := uint64(8); i <= 11; i++ {
		seedAppend(t, l, se(3, i, "x"))
		st := l.Stat().WAL
		require.Equal(t, uint64(796), st.Open.ID, "(3,%d) goes in the reused chunk", i)
		require.Equal(t, int(3+i-7), st.Open.Records)
	}
	seedAppend(t, l, se(3, 12, "x"))
	st := l.Stat().WAL
	require.Equal(t, wal.ChunkStat{ID: 796, Records: 7, End: st.Open.ID}, st.Closed[len(st.Closed)-1])
	require.Equal(t, 2, st.Open.Records, "the new chunk's checkpoint and (3,12)")
	require.NoError(t, l.Sync())
	seedRequireGolden(t, "dump/reopen_append.txt", seedDump(t, l))
	seedRequireRead(t, l, 4, 13, append(entries, se(3, 8, "x"), se(3, 9, "x"), se(3, 10, "x"), se(3, 11, "x"), se(3, 12, "x"))...)
}

// TestSeedCloseOfSealedLogWritesNothing: Close seals the log with a Synced
// marker, unless the log is sealed already: a reopen and close that write
// nothing (a Sync of nothing or a rejected operation included) leave every
// file as it was. The first write after a reopen unseals it, and the next
// Close seals it again.
func TestSeedCloseOfSealedLogWritesNothing(t *testing.T) {
	m := seedClosedPurgeUpto3(t)
	sealed := seedSnapshot(t, m)

	for i, between := range []func(l *DefaultLog){
		func(l *DefaultLog) {},
		func(l *DefaultLog) { require.NoError(t, l.Sync()) },
		func(l *DefaultLog) {
			_, err := l.Purge(slid(1, 9)) // beyond the last (2, 7), lower term
			require.ErrorIs(t, err, ErrLogIDReversal)
		},
	} {
		l := seedOpen(t, m, seedCfg5)
		require.Equal(t, seedPurgeUpto3State, l.State())
		between(l)
		require.NoError(t, l.Close())
		require.Equal(t, sealed, seedSnapshot(t, m), "reopen %d: a Close that follows no write must not write", i)
	}

	// One entry: chunk 796 grows by the batch's Synced marker [252, 277),
	// Append((2, 8), "more") [277, 308) and Close's Synced marker [308, 333).
	l := seedOpen(t, m, seedCfg5)
	seedAppend(t, l, se(2, 8, "more"))
	require.NoError(t, l.Close())
	require.Equal(t, map[string]int64{wal.ChunkName(482): 314, wal.ChunkName(796): 333}, seedChunkFiles(t, m, seedDir))
	dump := seedDumpDir(t, m, seedDir)
	require.Contains(t, dump, "  R-00007: [000_000_252, 000_000_277) Size(25): Synced(1048)\n")
	require.Contains(t, dump, "  R-00009: [000_000_308, 000_000_333) Size(25): Synced(1104)\n")

	sealed = seedSnapshot(t, m)
	l = seedOpen(t, m, seedCfg5)
	seedRequireRead(t, l, 4, 9, append(seedSampleEntries[2:], se(2, 8, "more"))...)
	require.NoError(t, l.Close())
	require.Equal(t, sealed, seedSnapshot(t, m), "sealed again: the next reopen and close write nothing")
}

// test_re_open_unfinished_chunk: the last record is incomplete.
func TestSeedReopenUnfinishedChunk(t *testing.T) {
	t.Run("torn write past the last fsync", func(t *testing.T) {
		// The seed cuts the last record of a closed log. In ours the last
		// records of a closed log are durable (Close says so), so tear a
		// record the way a crash does: written, never synced. The purge is
		// not durable, so chunk 237 is still there.
		m := fs.NewMem()
		l := seedOpen(t, m, seedCfg5)
		buildSampleData(t, l)
		pos, err := l.Purge(slid(2, 3))
		require.NoError(t, err)
		require.NoError(t, l.WaitIdle()) // written, not synced
		// Chunk 796 of build_sample_data ends at 151; the write batch
		// starts with a Synced marker [151, 176).
		require.Equal(t, wal.Position{Chunk: 796, Offset: 796 + 176, Size: 26}, pos)
		require.Len(t, seedChunkFiles(t, m, seedDir), 3, "no chunk is removed before the purge is durable")

		// A process crash, then the last record cut one byte short.
		img := m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashProcess)
		data := seedReadFile(t, img, seedChunk796)
		require.Equal(t, 227, len(data), "chunk 796 ends with PurgeUpto and Trim")
		seedWriteFile(t, img, seedChunk796, data[:176+26-1])

		l2, err := Open(seedDir, Config{FS: img, ChunkMaxRecords: 5, ManualFlush: true, PreallocateBytes: -1})
		require.NoError(t, err)
		defer l2.Close()
		// The purge is gone: purged reverts to (1,1), and the entries
		// are those before it.
		require.Equal(t, seedSampleState, l2.State())
		seedRequireRead(t, l2, 2, 8, seedSampleEntries...)
		require.Equal(t, int64(25), l2.Stat().WAL.Dropped, "bytes of the torn record cut off")
		// Differs from the seed, which starts its new chunk with a State
		// record: ours cuts chunk 796 back to its last intact record,
		// seals it there, and goes on in a new chunk with a new salt.
		require.Equal(t, map[string]int64{wal.ChunkName(237): 245, wal.ChunkName(482): 314, wal.ChunkName(796): 176 + 41, wal.ChunkName(1013): 121},
			seedChunkFiles(t, img, seedDir), "chunk 796 is cut back to its last intact record and sealed")
		seedRequireGolden(t, "dump/reopen_unfinished_chunk.txt", seedDump(t, l2))

		seedAppend(t, l2, se(2, 8, "more"))
		require.NoError(t, l2.Sync())
		require.Equal(t, uint64(1013), l2.Stat().WAL.Open.ID)
		require.NoError(t, l2.Close())
		l2, err = Open(seedDir, Config{FS: img, ChunkMaxRecords: 5, ManualFlush: true, PreallocateBytes: -1})
		require.NoError(t, err)
		seedRequireRead(t, l2, 2, 9, append(seedSampleEntries, se(2, 8, "more"))...)
	})

	t.Run("durable record cut", func(t *testing.T) {
		// The seed's own scenario: cut the purge record of a closed log.
		// Differs from the seed (which opens, purged back at (1,1), its
		// entries (2,2) and (2,3) silently missing): the log was closed
		// cleanly, so META says where it ends; Open refuses, naming the
		// chunk and offset, and modifies nothing.
		m := seedClosedPurgeUpto3(t)
		data := seedReadFile(t, m, seedChunk796)
		seedWriteFile(t, m, seedChunk796, data[:176+26-1])
		before := seedSnapshot(t, m)

		_, err := Open(seedDir, Config{FS: m, ChunkMaxRecords: 5})
		require.ErrorIs(t, err, ErrCorrupt)
		var we *wal.CorruptionError
		require.ErrorAs(t, err, &we)
		require.Equal(t, seedChunk796, we.File)
		require.Equal(t, int64(176), we.Offset)
		require.Equal(t, before, seedSnapshot(t, m), "a failed Open must not modify the files")
	})
}

// test_re_open_unfinished_tailing_zero_chunk: zeros after the last record
// (ext4 data=writeback can extend a file before its data lands).
//
// Differs from the seed, which cuts them: the log was closed cleanly, so
// META says exactly where it ends and nothing can have been written past
// that since. Bytes appended after a clean Close are damage (something
// other than the log wrote to its file), and Open refuses in every mode.
// (Zeros past the last fsync of a crashed log are a torn write and are cut:
// see wal's tests.)
func TestSeedReopenUnfinishedTailingZeroChunk(t *testing.T) {
	for _, zeros := range []int{3, 1024 * 33} {
		t.Run("zeros="+strconv.Itoa(zeros), func(t *testing.T) {
			m := seedClosedPurgeUpto3(t)
			f, err := m.OpenFile(seedChunk796, os.O_RDWR, 0)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(int64(252+zeros)))
			require.NoError(t, f.Close())
			before := seedSnapshot(t, m)

			for _, mode := range []wal.RecoveryMode{wal.TolerateTornTail, wal.Strict} {
				_, err := Open(seedDir, Config{FS: m, ChunkMaxRecords: 5, Recovery: mode})
				require.ErrorIs(t, err, ErrCorrupt, "mode %v", mode)
				var we *wal.CorruptionError
				require.ErrorAs(t, err, &we)
				require.Equal(t, seedChunk796, we.File)
				require.Equal(t, int64(252), we.Offset, "where the clean log ended")
				require.Equal(t, before, seedSnapshot(t, m), "a failed Open must not modify the files")
			}
		})
	}
}

// test_re_open_unfinished_tailing_not_all_zero_chunk: 32 KiB of zeros, then
// a 0x01 byte, after the last record.
func TestSeedReopenUnfinishedTailingNotAllZeroChunk(t *testing.T) {
	m := seedClosedPurgeUpto3(t)
	data := seedReadFile(t, m, seedChunk796)
	damaged := append(append(data, make([]byte, 32*1024)...), 1)
	seedWriteFile(t, m, seedChunk796, damaged)

	// The dump, which opens nothing, shows the records and where the
	// damage starts.
	seedRequireGolden(t, "dump/reopen_tailing_not_all_zero.txt", seedDumpDir(t, m, seedDir))

	// The seed fails to open ("crc32 checksum mismatch ... offset 129").
	// So does ours, in every mode, naming where the clean log ended, and
	// nothing changes.
	before := seedSnapshot(t, m)
	for _, mode := range []wal.RecoveryMode{wal.TolerateTornTail, wal.Strict} {
		_, err := Open(seedDir, Config{FS: m, ChunkMaxRecords: 5, Recovery: mode})
		require.ErrorIs(t, err, ErrCorrupt, "mode %v", mode)
		var we *wal.CorruptionError
		require.ErrorAs(t, err, &we)
		require.Equal(t, int64(252), we.Offset)
		require.Equal(t, before, seedSnapshot(t, m), "a failed Open must not modify the files")
	}
}

// test_re_open_unfinished_non_last_chunk: a closed chunk cut short.
func TestSeedReopenUnfinishedNonLastChunk(t *testing.T) {
	m := seedClosedPurgeUpto3(t)
	data := seedReadFile(t, m, seedChunk482)
	seedWriteFile(t, m, seedChunk482, data[:313]) // its Seal [273, 314) loses its last byte
	before := seedSnapshot(t, m)

	_, err := Open(seedDir, Config{FS: m, ChunkMaxRecords: 5})
	require.ErrorIs(t, err, wal.ErrGap)
	require.ErrorIs(t, err, ErrCorrupt, "a gap is damage")
	var ge *wal.GapError
	require.ErrorAs(t, err, &ge)
	require.Equal(t, wal.GapError{Prev: seedChunk482, Next: seedChunk796, PrevEnd: 482 + 313, NextStart: 796}, *ge)
	// Differs from the seed 0.3, which truncated the damaged closed chunk
	// to its 4 intact records before failing: recovery never modifies any
	// chunk but the last.
	require.Equal(t, before, seedSnapshot(t, m), "a failed Open must not modify the files")

	seedRequireGolden(t, "dump/reopen_unfinished_non_last_chunk.txt", seedDumpDir(t, m, seedDir))
}

// test_re_open_damaged_last_record: a flipped checksum byte in a record that
// was durable.
func TestSeedReopenDamagedLastRecord(t *testing.T) {
	m := seedClosedPurgeUpto3(t)
	data := seedReadFile(t, m, seedChunk796)
	data[201]++ // the last checksum byte of PurgeUpto((2, 3)) [176, 202)
	seedWriteFile(t, m, seedChunk796, data)
	before := seedSnapshot(t, m)

	// The log was closed cleanly: by default Open takes the last chunk's
	// content from its index file, and this damaged record (not an entry)
	// is found only by a full check, which ReadAll asks for.
	for _, mode := range []wal.RecoveryMode{wal.TolerateTornTail, wal.Strict} {
		_, err := Open(seedDir, Config{FS: m, ChunkMaxRecords: 5, Recovery: mode, ReadAll: true})
		require.ErrorIs(t, err, ErrCorrupt, "recovery mode %d", mode)
		var ce *CorruptionError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, Some[uint64](8), ce.First, "the entries replayed intact end at index 7")
		require.False(t, ce.Last.IsSome(), "no entry follows the damaged purge record")
		var we *wal.CorruptionError
		require.ErrorAs(t, err, &we)
		require.Equal(t, seedChunk796, we.File)
		require.Equal(t, uint64(796), we.Chunk)
		require.Equal(t, int64(176), we.Offset)
		require.Contains(t, err.Error(), wal.ChunkName(796))
		require.Equal(t, before, seedSnapshot(t, m), "a failed Open must not modify the files")
	}

	seedRequireGolden(t, "dump/reopen_damaged_last_record.txt", seedDumpDir(t, m, seedDir))
}

// test_reopen_restores_payload_cache_evictable_boundary (0.4)
func TestSeedReopenRestoresPayloadCacheEvictableBoundary(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)
	buildSampleData(t, l)
	require.NoError(t, l.Close())

	l = seedOpen(t, m, seedCfg5)
	st := l.Stat()
	// Differs from the seed (..=(2, 6), the end of the last closed chunk):
	// after an open every entry is durable, so every one is evictable.
	require.Equal(t, Some(slid(2, 7)), st.Evictable)
	// Differs from the seed, whose replay fills the cache: Open leaves
	// payloads on disk, so reads after it are served from there.
	require.Equal(t, 0, st.CacheItems, "replay caches no payload")
	seedRequireRead(t, l, 2, 8, seedSampleEntries...)
	st = l.Stat()
	require.Equal(t, [2]uint64{0, 6}, [2]uint64{st.CacheHits, st.CacheMisses})

	l.DrainCacheEvictable()
	require.Equal(t, 0, l.Stat().CacheItems, "every cached entry is durable, so drained")
	seedRequireRead(t, l, 2, 8, seedSampleEntries...)
	st = l.Stat()
	require.Equal(t, [2]uint64{0, 12}, [2]uint64{st.CacheHits, st.CacheMisses})
}
