package raftlog

import (
	"fmt"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// purgedDamages are damages of purgedFixture's log (chunks left[0], the
// log's first live chunk, to left[2], the newest, which holds the purge's
// record) that lie before the purge's record. keepsPurge: the repair
// rewrites rather than cuts, and the purge stays.
var purgedDamages = []struct {
	name       string
	damage     func(t *testing.T, m *fs.Mem, left []uint64)
	keepsPurge bool
}{
	{"a chunk between the start and the purge's record removed", func(t *testing.T, m *fs.Mem, left []uint64) {
		require.NoError(t, m.Remove("/log/"+wal.ChunkName(left[1])))
	}, false},
	{"an entry of the first live chunk", func(t *testing.T, m *fs.Mem, left []uint64) {
		name := "/log/" + wal.ChunkName(left[0])
		b, err := fs.ReadFile(m, name)
		require.NoError(t, err)
		require.NoError(t, m.Corrupt(name, int64(len(b))/2, 0x10))
	}, false},
	{"the seal of the first live chunk", func(t *testing.T, m *fs.Mem, left []uint64) {
		name := "/log/" + wal.ChunkName(left[0])
		b, err := fs.ReadFile(m, name)
		require.NoError(t, err)
		require.NoError(t, m.Corrupt(name, int64(len(b))-10, 0x10))
	}, false},
	{"the checkpoint of a later chunk", func(t *testing.T, m *fs.Mem, left []uint64) {
		name := "/log/" + wal.ChunkName(left[1])
		b, err := fs.ReadFile(m, name)
		require.NoError(t, err)
		require.NoError(t, m.Corrupt(name, checkpointEnd(t, b)-2, 0x10))
	}, true},
}

// withLeftover puts back one of the chunks the purge removed, as a crash
// in the middle of its removals leaves them, or does nothing.
func withLeftover(t *testing.T, m *fs.Mem, before map[string][]byte, left []uint64, leftover bool) string {
	if !leftover {
		return ""
	}
	var removed []string
	for n := range before {
		if id, _ := wal.ParseChunkName(n); !slices.Contains(left, id) {
			removed = append(removed, n)
		}
	}
	slices.Sort(removed)
	require.NoError(t, fs.WriteFile(m, "/log/"+removed[1], before[removed[1]], 0o644))
	return removed[1]
}

// TestRepairBeforeAPurgesRecordKeepsTheLogsStart: a purge removed the
// chunks below its point (all of them, or a crash kept one), and damage
// lies in a live chunk before the purge's record. A cut there takes the
// only record of where the log starts with it; the repair must still give
// a log, starting where it did, every entry up to the damage readable
// (this repair refused before, changing nothing, and the log had no way
// out), and it must say so. The log then opens in the default mode as it
// was repaired, and takes new entries.
func TestRepairBeforeAPurgesRecordKeepsTheLogsStart(t *testing.T) {
	for _, d := range purgedDamages {
		for _, leftover := range []bool{false, true} {
			for what, meta := range metaStates {
				name := fmt.Sprintf("%s, leftover %v, %s", d.name, leftover, what)
				m, before, left := purgedFixture(t)
				stray := withLeftover(t, m, before, left, leftover)
				d.damage(t, m, left)
				meta(t, m)

				_, err := Open("/log", Config{FS: m, ReadAll: true})
				require.ErrorIs(t, err, ErrCorrupt, name)
				l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
				require.NoError(t, err, name)
				st, stat := l.State(), l.Stat()
				last := st.Last.Value().Index
				// The purge is kept, written again after the log's start
				// when the cut took its record: a Raft log whose entries
				// start past its purge point, or past its snapshot, is
				// not one.
				require.Equal(t, uint64(40), st.Purged.Value().Index, "%s: %v", name, st)
				require.GreaterOrEqual(t, last, uint64(40), name)
				if last > 40 {
					require.Equal(t, uint64(41), stat.First, name)
				}
				n := uint64(41)
				for e, err := range l.Read(41, last+1) {
					require.NoError(t, err, name)
					require.Equal(t, fmt.Sprintf("payload-%03d", n), string(e.Payload), name)
					n++
				}
				require.Equal(t, last+1, n, name)
				_, err = l.LogIDAt(39)
				require.ErrorIs(t, err, ErrPurged, name)
				if d.keepsPurge {
					require.Equal(t, uint64(60), last, name)
				} else {
					require.Less(t, last, uint64(60), name)
					rewritten := 0
					for _, c := range l.Recovery().Cuts {
						if c.Bytes > 0 {
							require.NotEmpty(t, c.Backup, "%s: %v", name, c)
						}
						if c.KeptStart {
							require.Contains(t, c.Reason, "is written again")
							require.Contains(t, c.Reason, "after 1 caller record(s) found among them")
							rewritten++
						}
					}
					require.Equal(t, 1, rewritten, "%s: the cut says it wrote the log's start again: %v", name, l.Recovery().Cuts)
				}
				require.NoError(t, l.Close())
				if stray != "" {
					require.NotContains(t, files(t, m), stray, "%s: the purge's leftover is removed", name)
				}

				l, err = Open("/log", Config{FS: m})
				require.NoError(t, err, name)
				require.Equal(t, st, l.State(), name)
				require.Equal(t, stat.First, l.Stat().First, name)
				require.Empty(t, l.Recovery().Cuts, name)
				_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 4, Index: last + 1}, Payload: []byte("after")})
				require.NoError(t, err, name)
				require.NoError(t, l.Close())
				l, err = Open("/log", Config{FS: m})
				require.NoError(t, err, name)
				got := 0
				for e, err := range l.Read(last+1, last+2) {
					require.NoError(t, err, name)
					require.Equal(t, "after", string(e.Payload), name)
					got++
				}
				require.Equal(t, 1, got, name)
				require.Equal(t, stat.First, l.Stat().First, name)
				require.NoError(t, l.Close())
			}
		}
	}
}

// TestACrashDuringARepairThatKeepsTheStartLosesNothing halts the machine
// at every step of such a repair and crashes there: a repair after the
// crash gives the log an uninterrupted one gives. The record of the
// start is written before any later chunk, which holds the purge's own
// record, is moved aside: no crash image is left without one.
func TestACrashDuringARepairThatKeepsTheStartLosesNothing(t *testing.T) {
	for _, d := range purgedDamages {
		if d.keepsPurge {
			continue
		}
		for _, leftover := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, leftover %v", d.name, leftover), func(t *testing.T) {
				damaged, before, left := purgedFixture(t)
				withLeftover(t, damaged, before, left, leftover)
				d.damage(t, damaged, left)
				requireRepairsAsOne(t, damaged, 6)
			})
		}
	}
}

// TestAFailedRepairThatKeepsTheStartSaysWhatItCut fails each file
// operation of such a repair in turn: the repair either opens the log or
// fails, and a repair run again opens it; every entry from the start on
// that is not in the log then was named by one of the two.
func TestAFailedRepairThatKeepsTheStartSaysWhatItCut(t *testing.T) {
	for _, d := range purgedDamages {
		if d.keepsPurge {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			base, _, left := purgedFixture(t)
			d.damage(t, base, left)
			faults := eachRepairFault(t, base, func(f repairFault) {
				require.LessOrEqual(t, f.start, uint64(41), f.what)
				above := uint64(61) // the first entry named past the log's end
				for i := range f.named {
					if i > f.last {
						above = min(above, i)
					}
				}
				for i := f.last + 1; i <= 60; i++ {
					// A damaged entry's own index is unknown, and so
					// are those of a chunk that is gone.
					unseen := d.name == "an entry of the first live chunk" && i == f.last+1 ||
						d.name == purgedDamages[0].name && i < above
					require.True(t, f.named[i] || unseen, "%s: entry %d is gone, and no Open named it (the first: %v)", f.what, i, f.first)
				}
			})
			require.Greater(t, faults, 10)
		})
	}
}

// TestRepairOfAVersion1LogKeepsItsStart: the golden version 1 log starts
// at chunk 196, as the trim in chunk 400 says, after the purge of entry 1
// there; damage to entry 3 in chunk 196 cuts both. The records written
// again are of the chunk's version (version 1 records are not seeded): the
// log opens after the repair, in the default mode, starting where it did,
// its purge kept.
func TestRepairOfAVersion1LogKeepsItsStart(t *testing.T) {
	m := goldenV1(t, func(b []byte) []byte { return b })
	first := seedDir + "/" + wal.ChunkName(196)
	require.NoError(t, m.Corrupt(first, 160, 0x10)) // entry 3's record, [148, 178)

	l, err := Open(seedDir, Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	cuts := l.Recovery().Cuts
	require.Len(t, cuts, 3, "%v", cuts) // chunk 196 from entry 3 on, chunks 648 and 400
	require.Equal(t, first, cuts[0].File, "%v", cuts)
	require.Equal(t, int64(148), cuts[0].Offset)
	require.Contains(t, cuts[0].Reason, "the log starts at offset 196 was among the bytes cut, and is written again at offset 148")
	require.Equal(t, uint64(2), l.Stat().First)
	require.Equal(t, uint64(2), l.State().Last.Value().Index)
	require.Equal(t, Some(LogID{Term: 1, Index: 1}), l.State().Purged, "the purge in chunk 400, cut, is kept")
	require.NoError(t, l.Close())

	l, err = Open(seedDir, Config{FS: m})
	require.NoError(t, err)
	require.Empty(t, l.Recovery().Cuts)
	require.Equal(t, uint64(2), l.Stat().First)
	n := 0
	for e, err := range l.Read(2, 3) {
		require.NoError(t, err)
		require.Equal(t, "world", string(e.Payload))
		n++
	}
	require.Equal(t, 1, n)
	require.NoError(t, l.Close())
}

// TestARepairThatKeepsTheStartNamesEntriesDiscardedWithoutAPurge: a
// truncation of every entry made every closed chunk obsolete, and the next
// Open removed them, and damage before that record, in the one
// chunk left, cuts it. The log keeps its start; the entries the removed
// chunks held are gone with no purge saying they were discarded, and no
// record of them is left to find: the report names them (a cut of no
// bytes whose file is the log's directory), and they read as
// ErrBeforeStart, not as purged.
func TestARepairThatKeepsTheStartNamesEntriesDiscardedWithoutAPurge(t *testing.T) {
	m, _, _ := repairFixture(t)
	l, err := Open("/log", Config{FS: m})
	require.NoError(t, err)
	vote, err := l.SaveVote(Vote{Term: 4, NodeID: 2})
	require.NoError(t, err)
	_, err = l.Truncate(1)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	l, err = Open("/log", Config{FS: m}) // removes the chunks the truncation made obsolete
	require.NoError(t, err)
	require.Len(t, l.Stat().WAL.Closed, 0, "the truncation's chunks are removed")
	require.NoError(t, l.Close())
	require.NoError(t, m.Corrupt("/log/"+wal.ChunkName(vote.Chunk), int64(vote.Offset-vote.Chunk)+10, 0x10))

	l, err = Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	st := l.State()
	require.Equal(t, uint64(60), st.Last.Value().Index, "the state the chunk starts with: %v", st)
	require.False(t, st.Purged.IsSome(), "no purge discarded them: %v", st)
	var lost []Cut
	for _, c := range l.Recovery().Cuts {
		if c.File == "/log" {
			lost = append(lost, c)
		}
	}
	require.Len(t, lost, 1, "%v", l.Recovery().Cuts)
	first := l.Stat().First // the newest chunk's own entries, if any, are held
	require.LessOrEqual(t, first, uint64(61))
	require.False(t, lost[0].First.IsSome())
	require.Equal(t, Some(first-1), lost[0].Last)
	require.True(t, lost[0].Durable)
	_, err = l.LogIDAt(first - 1)
	require.ErrorIs(t, err, ErrBeforeStart)
	require.NoError(t, l.Close())

	l, err = Open("/log", Config{FS: m})
	require.NoError(t, err)
	require.Equal(t, st, l.State())
	require.NoError(t, l.Close())
}

// onlyChunkLeft is repairFixture's log after a vote and a purge that left
// only its newest chunk (a Raft node compacting all it applied), the vote
// damaged: the damage lies in that chunk before the purge's record and its
// trim. It returns the purge's point.
func onlyChunkLeft(t *testing.T) (*fs.Mem, LogID) {
	t.Helper()
	m, pos, st := repairFixture(t)
	first := uint64(0) // the newest chunk's first entry
	for i := uint64(60); pos[i].Chunk == st.WAL.Open.ID; i-- {
		first = i
	}
	require.Greater(t, first, uint64(1))
	l, err := Open("/log", Config{FS: m})
	require.NoError(t, err)
	vote, err := l.SaveVote(Vote{Term: 4, NodeID: 2})
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	purged := LogID{Term: 3, Index: first - 1}
	_, err = l.Purge(purged)
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	chunks := 0
	for _, n := range files(t, m) {
		if _, ok := wal.ParseChunkName(n); ok {
			chunks++
		}
	}
	require.Equal(t, 1, chunks, "the purge removed every chunk but the newest: %v", files(t, m))
	require.NoError(t, m.Corrupt("/log/"+wal.ChunkName(vote.Chunk), int64(vote.Offset-vote.Chunk)+10, 0x10))
	return m, purged
}

// TestARepairBeforeAPurgeInTheOnlyChunkLeftKeepsIt: Repair finds the trim
// past the damage in the only chunk left (it refused before: the log's
// first chunk looked missing), keeps the log's start and writes the purge
// again: the log opens with its purge point, and its entries past it up to
// the damage.
func TestARepairBeforeAPurgeInTheOnlyChunkLeftKeepsIt(t *testing.T) {
	m, purged := onlyChunkLeft(t)
	first := purged.Index + 1
	l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	got := l.State()
	require.Equal(t, Some(purged), got.Purged)
	require.Equal(t, uint64(60), got.Last.Value().Index)
	require.Equal(t, first, l.Stat().First)
	n := first
	for e, err := range l.Read(first, 61) {
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("payload-%03d", n), string(e.Payload))
		n++
	}
	require.Equal(t, uint64(61), n)
	require.NoError(t, l.Close())
	l, err = Open("/log", Config{FS: m})
	require.NoError(t, err)
	require.Equal(t, got, l.State())
	require.NoError(t, l.Close())
}

// TestACrashDuringARepairInTheOnlyChunkLeftLosesNothing: the trim the
// repair writes again goes where the cut begins, in the file that holds
// the trim it cuts; a power loss that keeps the cut but not the write left
// a log whose start no record gave, which no repair could open again (a
// reordered crash 12 operations in). META, marked before the cut, now says
// where the log starts: at every halting step and crash, the next repair
// gives the log an uninterrupted one gives.
func TestACrashDuringARepairInTheOnlyChunkLeftLosesNothing(t *testing.T) {
	damaged, _ := onlyChunkLeft(t)
	requireRepairsAsOne(t, damaged, 8)
}
