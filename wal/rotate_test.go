package wal

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// requireChain checks that the chunks of st are contiguous from first on:
// chunk i+1 starts where chunk i ends.
func requireChain(t *testing.T, st Stat, first uint64) {
	t.Helper()
	all := append(slices.Clone(st.Closed), st.Open)
	require.Equal(t, first, all[0].ID, "first chunk id; stat %+v", st)
	for i := 1; i < len(all); i++ {
		require.Equal(t, all[i-1].End, all[i].ID, "chunk %d must start where chunk %d ends; stat %+v", i, i-1, st)
	}
	require.Equal(t, st.Open.End-all[0].ID, st.Bytes, "Stat.Bytes; stat %+v", st)
}

// requireFilesMatch checks, after a Sync, that the directory holds exactly
// the chunks Stat lists, each of the size Stat gives it.
func requireFilesMatch(t *testing.T, l *testLog) {
	t.Helper()
	st := l.w.Stat()
	require.Equal(t, statNames(st), chunkNames(t, l.fs, l.cfg.Dir), "chunk files on disk; stat %+v", st)
	for _, c := range st.Closed {
		require.Equal(t, int64(c.Bytes()), fileSize(t, l.fs, l.path(c.ID)), "size of %s; stat %+v", ChunkName(c.ID), st)
	}
	// The open chunk may have zeros written ahead of its records.
	data := readFile(t, l.fs, l.path(st.Open.ID))
	require.GreaterOrEqual(t, len(data), int(st.Open.Bytes()), "size of the open chunk; stat %+v", st)
	require.False(t, slices.ContainsFunc(data[st.Open.Bytes():], func(b byte) bool { return b != 0 }), "only zeros past the open chunk's records")
}

func TestRotateAtRecordLimit(t *testing.T) {
	for _, manual := range []bool{true, false} {
		t.Run(fmt.Sprintf("manual=%v", manual), func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{ChunkMaxRecords: 5, ManualWorker: manual})
			in := recs("r", 13)
			for i, r := range in {
				before := l.w.Stat()
				p := l.append(r)[0]
				st := l.w.Stat()
				// ChunkMaxRecords counts the checkpoint: a chunk holds it
				// and 4 records; the 5th record opens a new chunk.
				if i%4 == 0 && i > 0 {
					require.Equal(t, append(slices.Clone(before.Closed), sealedStat(before.Open)), st.Closed, "append %d must rotate", i)
					require.Equal(t, before.Open.End+sealSize, st.Open.ID, "append %d: new chunk id = old chunk end, past its seal", i)
					require.Equal(t, 2, st.Open.Records, "append %d: checkpoint + record", i)
				} else {
					require.Equal(t, before.Closed, st.Closed, "append %d must not rotate", i)
					require.Equal(t, before.Open.ID, st.Open.ID, "append %d must not rotate", i)
					require.Equal(t, before.Open.Records+1, st.Open.Records, "append %d", i)
				}
				require.Equal(t, st.Open.ID, p.Chunk, "append %d: position's chunk", i)
				require.Equal(t, st.Open.End, p.End(), "append %d: position's end is the chunk's end", i)
				requireChain(t, st, 0)
			}
			st := l.w.Stat()
			require.Len(t, st.Closed, 3, "stat %+v", st)
			for i, c := range st.Closed {
				require.Equal(t, 5, c.Records, "closed chunk %d: checkpoint + 4 records", i)
			}
			require.Equal(t, 2, st.Open.Records)
			l.sync()
			requireFilesMatch(t, l)
			require.Equal(t, st.Open.End, l.w.Durable())

			// Exactly at the limit: a chunk with checkpoint + 4 records
			// stays open until the next Append.
			l.append("s1", "s2", "s3")
			st = l.w.Stat()
			require.Equal(t, 5, st.Open.Records)
			require.Len(t, st.Closed, 3)
			l.sync()
			requireFilesMatch(t, l)
			l.append("s4")
			st = l.w.Stat()
			require.Len(t, st.Closed, 4)
			require.Equal(t, 2, st.Open.Records)
			l.sync()
			requireFilesMatch(t, l)
			requireChain(t, st, 0)
			all := slices.Clone(l.sm.recs)
			pos := slices.Clone(l.sm.pos)
			l.close()

			require.NoError(t, l.reopen())
			require.Equal(t, all, l.sm.recs)
			require.Equal(t, pos, l.sm.pos)
			// Reopen gives the same chunks, records and ends; Close added
			// only its final synced marker to the open chunk.
			st2 := l.w.Stat()
			require.Equal(t, st.Closed, st2.Closed)
			require.Equal(t, st.Open.ID, st2.Open.ID)
			require.Equal(t, st.Open.Records, st2.Open.Records)
			require.Equal(t, st.Open.End+markerSize, st2.Open.End)
			l.close()
		})
	}
}

func TestRotateAtByteLimit(t *testing.T) {
	// Records of 16 framed bytes ("b-0000": body 7); a chunk starts with
	// header 32 + synced marker 17 + checkpoint "ckpt:N" 16 = 65 bytes.
	const first = ChunkHeaderSize + markerSize + 16
	for _, tc := range []struct {
		max     int64
		perChnk int // records that fit before the next Append rotates
	}{
		{first + 3*16, 3},     // reaches the limit exactly: the 4th rotates
		{first + 3*16 - 1, 3}, // passes it with the 3rd: the 4th rotates
		{first + 3*16 + 1, 4}, // one byte left: the 4th fits (exceeds by < one record)
		{1, 1},                // the checkpoint alone is over the limit
	} {
		t.Run(fmt.Sprintf("max=%d", tc.max), func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{ChunkMaxBytes: tc.max, ManualWorker: true})
			in := recs("b", 3*tc.perChnk+1)
			for i, r := range in {
				before := l.w.Stat()
				p := l.append(r)[0]
				st := l.w.Stat()
				rotate := int64(before.Open.Bytes()) >= tc.max
				require.Equal(t, rotate, i%tc.perChnk == 0 && (i > 0 || tc.max < first), "append %d: rotation expected every %d records; before %+v", i, tc.perChnk, before)
				if rotate {
					require.Equal(t, append(slices.Clone(before.Closed), sealedStat(before.Open)), st.Closed, "append %d", i)
					require.Equal(t, before.Open.End+sealSize, st.Open.ID, "append %d", i)
				} else {
					require.Equal(t, before.Open.ID, st.Open.ID, "append %d", i)
				}
				require.Equal(t, uint32(16), p.Size)
				requireChain(t, st, 0)
				for _, c := range st.Closed {
					if tc.max < first {
						break
					}
					require.GreaterOrEqual(t, int64(c.Bytes()), tc.max, "closed chunk %+v is under the limit", c)
					require.Less(t, int64(c.Bytes()), tc.max+16+sealSize, "closed chunk %+v exceeds the limit by a record and its seal or more", c)
				}
			}
			st := l.w.Stat()
			if tc.max < first {
				require.Len(t, st.Closed, 4, "max %d: chunk 0 holds only its checkpoint", tc.max)
			} else {
				require.Len(t, st.Closed, 3)
			}
			l.sync()
			requireFilesMatch(t, l)

			// Syncs add a marker to each batch; the rule stays: rotate on
			// the first Append after the chunk reached the limit.
			for i := 0; i < 6; i++ {
				before := l.w.Stat()
				l.append(fmt.Sprintf("c-%04d", i))
				st := l.w.Stat()
				require.Equal(t, int64(before.Open.Bytes()) >= tc.max, len(st.Closed) == len(before.Closed)+1, "append c-%d; before %+v", i, before)
				l.sync()
				requireFilesMatch(t, l)
			}
			all := slices.Clone(l.sm.recs)
			l.close()
			require.NoError(t, l.reopen())
			require.Equal(t, all, l.sm.recs)
			l.close()
		})
	}
}

func TestChunkName(t *testing.T) {
	require.Equal(t, "r-00_000_000_000_000_000_000.wal", ChunkName(0))
	require.Equal(t, "r-00_000_000_000_000_000_161.wal", ChunkName(161))
	require.Equal(t, "r-18_446_744_073_709_551_615.wal", ChunkName(1<<64-1))
	for _, id := range []uint64{0, 1, 999, 1000, 123456789, 1 << 40, 1<<64 - 1} {
		got, ok := ParseChunkName(ChunkName(id))
		require.True(t, ok, "ParseChunkName(ChunkName(%d))", id)
		require.Equal(t, id, got)
	}
	for _, bad := range []string{"LOCK", "r-00_000_000_000_000_000_161.tmp", "r-00000000000000000161.wal", "r-00_000_000_000_000_000_16x.wal", "r-99_999_999_999_999_999_999.wal"} {
		_, ok := ParseChunkName(bad)
		require.False(t, ok, "ParseChunkName(%q)", bad)
	}
	require.Less(t, ChunkName(999), ChunkName(1000))
}

// TestAppendBatchRotation: a batch that spans rotations gets, in each new
// chunk, a checkpoint that counts the batch's records before it; a batch
// refused in the middle (after rotating) leaves no trace.
func TestAppendBatchRotation(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4, MaxRecordBytes: 64, ManualWorker: true})
	l.append("a")
	batch := recs("batch", 9)
	pos, err := l.w.AppendBatch(batch, nil)
	require.NoError(t, err)
	require.Len(t, pos, len(batch))
	for i, p := range pos {
		l.sm.add(batch[i], p)
	}
	st := l.w.Stat()
	require.Len(t, st.Closed, 3, "stat %+v", st) // a+b0..b1 | b2..b4 | b5..b7 | b8
	requireChain(t, st, 0)
	requireLoads(t, l.w, l.sm.pos, l.sm.recs, "after AppendBatch")

	// Refused after two rotations: everything as before.
	end := l.w.End()
	bad := append(recs("doomed", 7), strings.Repeat("!", 100))
	got, err := l.w.AppendBatch(bad, pos[:0:0])
	require.ErrorIs(t, err, ErrRecordTooLarge)
	require.Empty(t, got)
	require.Equal(t, end, l.w.End())
	require.Equal(t, st, l.w.Stat())
	requireLoads(t, l.w, l.sm.pos, l.sm.recs, "after a refused AppendBatch")

	l.append("z")
	l.sync()
	requireFilesMatch(t, l)
	want, wantPos := slices.Clone(l.sm.recs), slices.Clone(l.sm.pos)
	l.close()
	require.NoError(t, l.reopen(), "the checkpoints written inside the batch must replay")
	require.Equal(t, want, l.sm.recs)
	require.Equal(t, wantPos, l.sm.pos)
	l.close()
}

// sealedStat is c as rotation leaves it: ended by a seal.
func sealedStat(c ChunkStat) ChunkStat {
	c.End += sealSize
	return c
}
