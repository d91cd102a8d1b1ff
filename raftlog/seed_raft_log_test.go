package raftlog

// Go counterparts of the seed's src/tests/test_raft_log.rs (SPEC 8.1): the 21
// tests of raft-log 0.3 and the four flush tests added in 0.4.x.
//
// Offsets, positions and chunk ids are ours, not the seed's: every chunk
// starts with a 32-byte header, every write batch with a 25-byte Synced
// marker, records are framed with a length and a CRC-32C, the default types
// encode a log id as two uint64s and a payload as a uvarint length and its
// bytes, and a full chunk is closed lazily, by the first append that does not
// fit. Where a position is asserted, the comment does the arithmetic.
//
// Record sizes with the default types (9 bytes of framing + body):
//
//	Synced / Trim marker                     25  (value u64 + own offset u64)
//	checkpoint / State, empty state          16  (+16 per log id, +17 per vote)
//	Append((t, i), "hi")                     29  (27 + payload length)
//	Commit / PurgeUpto                       26
//	TruncateAfter(Some(_))                   27

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// test_save_user_data
func TestSeedSaveUserData(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, Config{ManualFlush: true})

	_, err := l.SaveUserData(Some([]byte("foo")))
	require.NoError(t, err)
	require.Equal(t, Some([]byte("foo")), l.State().UserData)

	_, err = l.SaveUserData(None[[]byte]())
	require.NoError(t, err)
	require.Equal(t, State[LogID, Vote, []byte]{}, l.State(), "SaveUserData(None) must leave the default state")

	// The seed's dump: the initial State record, then one State record per
	// SaveUserData (18, 25, 18 bytes there; 16, 20, 16 here), behind our
	// chunk header and Synced marker.
	seedRequireGolden(t, "dump/save_user_data.txt", seedDump(t, l))

	// The state survives a reopen.
	require.NoError(t, l.Close())
	l = seedOpen(t, m, Config{})
	require.Equal(t, State[LogID, Vote, []byte]{}, l.State())
}

// test_save_vote
func TestSeedSaveVote(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{})

	_, err := l.SaveVote(Vote{Term: 1, NodeID: 1})
	require.NoError(t, err)
	require.Equal(t, Some(Vote{Term: 1, NodeID: 1}), l.State().Vote)

	// Differs from the seed: the seed writes a rejected vote (and cannot
	// reopen the log); a smaller vote here is a typed error and writes
	// nothing.
	end := seedEnd(l)
	_, err = l.SaveVote(Vote{Term: 0, NodeID: 1})
	require.ErrorIs(t, err, ErrVoteReversal)
	require.Equal(t, end, seedEnd(l), "a rejected SaveVote must write nothing")
	require.Equal(t, Some(Vote{Term: 1, NodeID: 1}), l.State().Vote)
}

// test_append_and_read
func TestSeedAppendAndRead(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{ManualFlush: true})
	require.Equal(t, State[LogID, Vote, []byte]{}, l.State(), "a fresh log has the default state")

	logs := []seedEnt{se(1, 0, "hello"), se(1, 1, "world")}
	pos, err := l.Append(logs...)
	require.NoError(t, err)
	// header 32 + Synced 25 + checkpoint 16 = 73; "hello" [73, 105); the
	// position returned is the last entry's: "world" [105, 137).
	// (The seed: Segment(55, 37).)
	require.Equal(t, wal.Position{Chunk: 0, Offset: 105, Size: 32}, pos)

	require.Equal(t, seedState(None[Vote](), Some(slid(1, 1)), None[LogID](), None[LogID](), None[[]byte]()), l.State())
	seedRequireRead(t, l, 0, 2, logs...)

	// Differs from the seed: reading past the last entry is an error, not a
	// silently shorter result.
	seedRequireReadErr(t, l, 0, 3, ErrPastEnd)

	// An empty append writes nothing. (The seed returns the current last
	// segment; ours returns the zero Position.)
	end := seedEnd(l)
	pos, err = l.Append()
	require.NoError(t, err)
	require.Equal(t, wal.Position{}, pos)
	require.Equal(t, end, seedEnd(l))

	// Differs from the seed: the seed applies a batch one entry at a time
	// and stops at the first error, keeping (and writing) the entries
	// before it. Append is all or nothing here, including a batch that
	// the WAL refuses after it has started a new chunk for it.
	t.Run("all or nothing", func(t *testing.T) {
		m := fs.NewMem()
		cfg := Config{ManualFlush: true, ChunkMaxRecords: 5, MaxRecordBytes: 64}
		l := seedOpen(t, m, cfg)
		seedAppend(t, l, logs...)
		before, state := l.Stat().WAL, l.State()

		_, err := l.Append(se(1, 2, "a"), se(1, 4, "gap"))
		require.ErrorIs(t, err, ErrNonConsecutive)
		// (1,2) and (1,3) fill chunk 0, (1,4) starts chunk 193, and the
		// 100-byte payload of (1,5) is over the record limit.
		_, err = l.Append(se(1, 2, "a"), se(1, 3, "b"), se(1, 4, "c"), se(1, 5, string(make([]byte, 100))))
		require.ErrorIs(t, err, wal.ErrRecordTooLarge)

		require.Equal(t, before, l.Stat().WAL, "a rejected batch must write nothing and start no chunk")
		require.Equal(t, state, l.State(), "a rejected batch must change nothing")
		seedRequireRead(t, l, 0, 2, logs...)
		seedRequireReadErr(t, l, 0, 3, ErrPastEnd)

		more := []seedEnt{se(1, 2, "a"), se(1, 3, "b"), se(1, 4, "c")}
		seedAppend(t, l, more...)
		st := l.Stat().WAL
		// Chunk 0: 73 + "hello" 32 + "world" 32 + "a" 28 + "b" 28 = 193.
		require.Equal(t, []uint64{0, 234}, seedChunkIDs(st), "(1,4) starts the second chunk")
		require.NoError(t, l.Close())
		l = seedOpen(t, m, cfg)
		seedRequireRead(t, l, 0, 5, append(logs, more...)...)
	})
}

// test_read_nonexistent_logs
func TestSeedReadNonexistentLogs(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{})

	// The seed sets last = (1,1) through log_state_mut so that the log
	// can start at index 2; UpdateState does it here.
	_, err := l.UpdateState(seedState(None[Vote](), Some(slid(1, 1)), None[LogID](), None[LogID](), None[[]byte]()))
	require.NoError(t, err)

	logs := []seedEnt{se(2, 2, "hello"), se(3, 3, "world")}
	seedAppend(t, l, logs...)
	seedRequireRead(t, l, 2, 4, logs...)

	// Differs from the seed: read(0, 5) returns the two entries there,
	// skipping the missing indexes; here a range the log does not hold is
	// an error naming what it holds (the log never held 0 or 1: nothing
	// was purged, so the error says the read started before the log).
	_, err = seedReadAll(l, 0, 5)
	require.ErrorIs(t, err, ErrBeforeStart)
	require.NotErrorIs(t, err, ErrPurged)
	var re *RangeError
	require.ErrorAs(t, err, &re)
	require.Equal(t, RangeError{From: 0, To: 5, First: 2, End: 4, Err: ErrBeforeStart}, *re)
	seedRequireReadErr(t, l, 2, 5, ErrPastEnd)
	seedRequireReadErr(t, l, 3, 2, ErrRange)
}

// test_truncate
func TestSeedTruncate(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{ManualFlush: true, ChunkMaxRecords: 5})

	logs := []seedEnt{se(1, 0, "hello"), se(1, 1, "world"), se(1, 2, "foo"), se(1, 3, "bar")}
	seedAppend(t, l, logs...)

	pos, err := l.Truncate(2)
	require.NoError(t, err)
	// Chunk 0: 73 + 32 + 32 + 30 + 30 = 197, holding 5 records, so the
	// truncate opens chunk 197: header 32 + Synced 25 + checkpoint
	// (last (1,3)) 32 = 286, then TruncateAfter 27. (The seed: Segment(162, 29).)
	require.Equal(t, wal.Position{Chunk: 238, Offset: 327, Size: 27}, pos)

	require.Equal(t, seedState(None[Vote](), Some(slid(1, 1)), None[LogID](), None[LogID](), None[[]byte]()), l.State())
	seedRequireRead(t, l, 0, 2, logs[:2]...)
	// Differs from the seed: read(0, 5) is an error here, not the two entries.
	seedRequireReadErr(t, l, 0, 5, ErrPastEnd)
}

// test_truncate_just_after_purged
func TestSeedTruncateJustAfterPurged(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{ManualFlush: true, ChunkMaxRecords: 5})

	// Differs from the seed: the seed forces purged = (1,1) with no last
	// and then appends (1,0).. below the purge point. A state whose purge
	// point is above its last id is rejected here, and writes nothing.
	end := seedEnd(l)
	_, err := l.UpdateState(seedState(None[Vote](), None[LogID](), None[LogID](), Some(slid(1, 1)), None[[]byte]()))
	require.ErrorIs(t, err, ErrInvalidState)
	require.Equal(t, end, seedEnd(l), "a rejected UpdateState must write nothing")
	require.Equal(t, State[LogID, Vote, []byte]{}, l.State())

	// So purge for real: the entry at index 1 is then gone, and truncate(2)
	// must take the purged-boundary path (2 is just after the purge point).
	logs := []seedEnt{se(1, 0, "hello"), se(1, 1, "world"), se(1, 2, "foo"), se(1, 3, "bar")}
	seedAppend(t, l, logs...)
	_, err = l.Purge(slid(1, 1))
	require.NoError(t, err)

	pos, err := l.Truncate(2)
	require.NoError(t, err)
	// Chunk 197 (see TestSeedTruncate): checkpoint [254, 286), PurgeUpto
	// [286, 312), TruncateAfter((1,1)) [312, 339).
	require.Equal(t, wal.Position{Chunk: 238, Offset: 353, Size: 27}, pos)
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 1)), None[LogID](), Some(slid(1, 1)), None[[]byte]()), l.State())

	// Differs from the seed: the seed still reads (1,0),(1,1), which it
	// kept below its forced purge point. Here the log is empty: it ends
	// at its purge point.
	seedRequireRead(t, l, 2, 2)
	seedRequireReadErr(t, l, 1, 2, ErrPurged)
	seedRequireReadErr(t, l, 2, 3, ErrPastEnd)

	// Differs from the seed: truncate(0) with a purge point makes the seed
	// compute 0-1 (a panic in a debug build, "Log not found at index
	// 18446744073709551615" in release). Here it, and any index below the
	// purge point, is a typed error that writes nothing.
	end = seedEnd(l)
	for _, at := range []uint64{0, 1} {
		_, err = l.Truncate(at)
		require.ErrorIs(t, err, ErrIndexNotFound, "Truncate(%d) below the purge point", at)
		var ie *IndexNotFoundError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, at, ie.At)
	}
	require.Equal(t, end, seedEnd(l), "a rejected Truncate must write nothing")

	// The log goes on from the purge point.
	seedAppend(t, l, se(2, 2, "next"))
	seedRequireRead(t, l, 2, 3, se(2, 2, "next"))
}

// test_truncate_non_existent
func TestSeedTruncateNonExistent(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{})

	_, err := l.UpdateState(seedState(None[Vote](), Some(slid(1, 1)), None[LogID](), None[LogID](), None[[]byte]()))
	require.NoError(t, err)
	logs := []seedEnt{se(1, 2, "world"), se(1, 3, "foo")}
	seedAppend(t, l, logs...)

	_, err = l.Truncate(4)
	require.NoError(t, err, "truncate just after the last entry is allowed (a no-op)")
	require.Equal(t, Some(slid(1, 3)), l.State().Last)
	seedRequireRead(t, l, 2, 4, logs...)

	end, state := seedEnd(l), l.State()
	_, err = l.Truncate(5)
	require.ErrorIs(t, err, ErrIndexNotFound, "Truncate(5): the log holds no entry at 4")
	var ie *IndexNotFoundError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, uint64(5), ie.At)
	require.Equal(t, end, seedEnd(l), "a rejected Truncate must write nothing")
	require.Equal(t, state, l.State(), "a rejected Truncate must change nothing")
	seedRequireRead(t, l, 2, 4, logs...)

	// Differs from the seed: at or below the first entry of a log that was
	// never purged, Truncate removes every entry (a follower whose first
	// entry conflicts deletes from there).
	_, err = l.Truncate(1)
	require.NoError(t, err)
	require.Equal(t, None[LogID](), l.State().Last)
	seedRequireReadErr(t, l, 2, 3, ErrPastEnd)
}

// test_purge
func TestSeedPurge(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)

	_, err := l.UpdateState(seedState(None[Vote](), Some(slid(1, 0)), None[LogID](), Some(slid(1, 0)), None[[]byte]()))
	require.NoError(t, err)
	logs := []seedEnt{se(1, 1, "hello"), se(1, 2, "world"), se(1, 3, "foo")}
	seedAppend(t, l, logs...)

	// Purge at the current purge point: a no-op. (The seed returns the
	// current last segment; ours returns the zero Position and writes
	// nothing.)
	end := seedEnd(l)
	pos, err := l.Purge(slid(1, 0))
	require.NoError(t, err)
	require.Equal(t, wal.Position{}, pos)
	require.Equal(t, end, seedEnd(l))
	require.NoError(t, l.Sync())
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 3)), None[LogID](), Some(slid(1, 0)), None[[]byte]()), l.State())
	seedRequireRead(t, l, 1, 4, logs...)
	// Differs from the seed: read(0, 5) is an error here.
	seedRequireReadErr(t, l, 0, 4, ErrPurged)

	pos, err = l.Purge(slid(1, 1))
	require.NoError(t, err)
	// Chunk 0: 73 + State record (last and purged (1,0)) 48 + 32 + 32 + 30
	// = 215, 5 records. The purge opens chunk 215: header 32 + Synced 25 +
	// checkpoint (last (1,3), purged (1,0)) 48 = 320, then PurgeUpto 26.
	// (The seed: Segment(127, 28).)
	require.Equal(t, wal.Position{Chunk: 256, Offset: 361, Size: 26}, pos)
	require.NoError(t, l.Sync())
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 3)), None[LogID](), Some(slid(1, 1)), None[[]byte]()), l.State())
	seedRequireRead(t, l, 2, 4, logs[1:]...)
	seedRequireReadErr(t, l, 1, 4, ErrPurged)

	// Differs from the seed: Purge validates the id. The log holds (1,2)
	// at index 2; the seed accepts purge((2,2)) and corrupts its log.
	end = seedEnd(l)
	_, err = l.Purge(slid(2, 2))
	require.ErrorIs(t, err, ErrPurgeMismatch)
	var pe *PurgeMismatchError[LogID]
	require.ErrorAs(t, err, &pe)
	require.Equal(t, PurgeMismatchError[LogID]{Attempted: slid(2, 2), Existing: slid(1, 2)}, *pe)
	require.Equal(t, end, seedEnd(l), "a rejected Purge must write nothing")

	_, err = l.Purge(slid(1, 2))
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 3)), None[LogID](), Some(slid(1, 2)), None[[]byte]()), l.State())
	seedRequireRead(t, l, 3, 4, logs[2:]...)

	// Purge below the purge point: a no-op.
	end = seedEnd(l)
	pos, err = l.Purge(slid(1, 1))
	require.NoError(t, err)
	require.Equal(t, wal.Position{}, pos)
	require.Equal(t, end, seedEnd(l))
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 3)), None[LogID](), Some(slid(1, 2)), None[[]byte]()), l.State())
	seedRequireRead(t, l, 3, 4, logs[2:]...)

	// Purge beyond the last entry advances last and purged and empties the
	// log (installing a snapshot).
	_, err = l.Purge(slid(2, 4))
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	want := seedState(None[Vote](), Some(slid(2, 4)), None[LogID](), Some(slid(2, 4)), None[[]byte]())
	require.Equal(t, want, l.State())
	seedRequireRead(t, l, 5, 5)
	seedRequireReadErr(t, l, 0, 5, ErrPurged)
	// No entry is left, so every closed chunk went once the purge was
	// durable: only the open chunk's file remains.
	st := l.Stat()
	require.Empty(t, st.WAL.Closed, "closed chunks after purging everything")
	require.Equal(t, map[string]int64{wal.ChunkName(st.WAL.Open.ID): int64(st.WAL.Open.Bytes())}, seedChunkFiles(t, m, seedDir))

	// Reopened, the log goes on after the snapshot.
	require.NoError(t, l.Close())
	l = seedOpen(t, m, seedCfg5)
	require.Equal(t, want, l.State())
	seedAppend(t, l, se(2, 5, "after"))
	seedRequireRead(t, l, 5, 6, se(2, 5, "after"))
}

// An extension of test_purge's "purge advances last" case: a purge beyond
// the last entry whose id sorts below the last id (a lower term). Purging
// beyond the last entry makes upto the last id, so such an id would move the
// last id backwards: the state would be last (2,5), purged (1,7), and an entry
// at index 6, below the purge point, could be appended. Purge rejects it
// (*LogIDReversalError, "purge"), and UpdateState rejects that state (a purge
// index above the last index: *InvalidStateError). Both write nothing, change
// nothing, and the log reopens as it was.
func TestSeedPurgeBeyondLastWithLowerTerm(t *testing.T) {
	t.Run("Purge", func(t *testing.T) {
		m := fs.NewMem()
		l := seedOpen(t, m, Config{})
		seedAppend(t, l, se(2, 4, "a"), se(2, 5, "b"))
		end, state, dump := seedEnd(l), l.State(), seedDump(t, l)

		_, err := l.Purge(slid(1, 7))
		require.ErrorIs(t, err, ErrLogIDReversal)
		var re *LogIDReversalError[LogID]
		require.ErrorAs(t, err, &re)
		require.Equal(t, LogIDReversalError[LogID]{When: "purge", Current: slid(2, 5), Attempted: slid(1, 7)}, *re)
		// Nothing written or changed, and the log reopens as it was.
		l = requireRefusedChangesNothing(t, m, l, "Purge", end, state, dump)

		// With a term that does not go backwards, the snapshot is
		// installed: upto becomes the last id and the log goes on after it.
		_, err = l.Purge(slid(2, 7))
		require.NoError(t, err)
		require.Equal(t, seedState(None[Vote](), Some(slid(2, 7)), None[LogID](), Some(slid(2, 7)), None[[]byte]()).String(), l.State().String())
		st := l.Stat()
		require.Equal(t, [2]uint64{8, 8}, [2]uint64{st.First, st.End}, "the log is empty, after the snapshot")
		_, err = l.Append(se(2, 6, "below the purge point"))
		require.ErrorIs(t, err, ErrLogIDReversal)
		seedAppend(t, l, se(3, 8, "after the snapshot"))
		seedRequireRead(t, l, 8, 9, se(3, 8, "after the snapshot"))
	})

	t.Run("UpdateState", func(t *testing.T) {
		m := fs.NewMem()
		l := seedOpen(t, m, Config{})
		seedAppend(t, l, se(2, 4, "a"), se(2, 5, "b"))
		end, state, dump := seedEnd(l), l.State(), seedDump(t, l)

		// (1,7) sorts below (2,5), but its index is above: rejected.
		_, err := l.UpdateState(seedState(None[Vote](), Some(slid(2, 5)), None[LogID](), Some(slid(1, 7)), None[[]byte]()))
		require.ErrorIs(t, err, ErrInvalidState, "a purge point (index 7) beyond the last entry (index 5)")
		var ie *InvalidStateError
		require.ErrorAs(t, err, &ie)
		require.Contains(t, ie.Reason, slid(1, 7).String(), "the reason names the attempted purged id")
		require.Contains(t, ie.Reason, slid(2, 5).String(), "the reason names the last id")
		// Nothing written or changed; the log reopens as it was, and goes
		// on at index 6.
		l = requireRefusedChangesNothing(t, m, l, "UpdateState", end, state, dump)
		seedAppend(t, l, se(2, 6, "c"))
		seedRequireRead(t, l, 4, 7, se(2, 4, "a"), se(2, 5, "b"), se(2, 6, "c"))
	})
}

// test_purge_reopen
func TestSeedPurgeReopen(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{ChunkMaxRecords: 5}
	l := seedOpen(t, m, cfg)
	seedAppend(t, l, se(1, 0, "hi"), se(1, 1, "hello"), se(1, 2, "world"), se(1, 3, "foo"),
		se(1, 4, "bar"), se(1, 5, "wow"), se(1, 6, "biz"))
	_, err := l.Purge(slid(1, 5))
	require.NoError(t, err)
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())

	l = seedOpen(t, m, cfg)
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 6)), None[LogID](), Some(slid(1, 5)), None[[]byte]()), l.State())
	seedRequireRead(t, l, 6, 7, se(1, 6, "biz"))
	// Differs from the seed: read(0, 10) returns just (1,6) there.
	seedRequireReadErr(t, l, 0, 10, ErrPurged)
	seedRequireReadErr(t, l, 6, 10, ErrPastEnd)
	st := l.Stat()
	require.Equal(t, uint64(6), st.First)
	require.Equal(t, uint64(7), st.End)
	// Chunk 0 held (1,0)..(1,3) only: its file is gone.
	files := seedChunkFiles(t, m, seedDir)
	require.Len(t, files, 1, "chunk files after reopen: %v", files)
	require.Contains(t, files, wal.ChunkName(st.WAL.Open.ID))
}

// test_commit
func TestSeedCommit(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, Config{ManualFlush: true, ChunkMaxRecords: 5})

	_, err := l.UpdateState(seedState(None[Vote](), Some(slid(1, 1)), None[LogID](), None[LogID](), None[[]byte]()))
	require.NoError(t, err)
	seedAppend(t, l, se(1, 2, "hello"), se(1, 3, "world"), se(1, 4, "foo"))

	pos, err := l.Commit(slid(1, 3))
	require.NoError(t, err)
	// Chunk 0: 73 + State (last (1,1)) 32 + 32 + 32 + 30 = 199, 5 records;
	// chunk 199: 32 + 25 + checkpoint (last (1,4)) 32 = 288, Commit 26.
	// (The seed: Segment(127, 28).)
	require.Equal(t, wal.Position{Chunk: 240, Offset: 329, Size: 26}, pos)
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 4)), Some(slid(1, 3)), None[LogID](), None[[]byte]()), l.State())

	end := seedEnd(l)
	_, err = l.Commit(slid(1, 2))
	require.ErrorIs(t, err, ErrLogIDReversal)
	var re *LogIDReversalError[LogID]
	require.ErrorAs(t, err, &re)
	require.Equal(t, LogIDReversalError[LogID]{When: "commit", Current: slid(1, 3), Attempted: slid(1, 2)}, *re)
	require.Equal(t, end, seedEnd(l), "a rejected Commit must write nothing")

	_, err = l.Commit(slid(1, 3))
	require.NoError(t, err, "committing the same id again is allowed")
	_, err = l.Commit(slid(1, 4))
	require.NoError(t, err)
	require.Equal(t, Some(slid(1, 4)), l.State().Committed)

	// Differs from the seed: the seed writes the rejected Commit((1,2))
	// too, and its next open fails ("Log id cannot be reversed when
	// commit"). Here the log reopens with the commit point it had.
	require.NoError(t, l.Close())
	l = seedOpen(t, m, Config{ChunkMaxRecords: 5})
	require.Equal(t, seedState(None[Vote](), Some(slid(1, 4)), Some(slid(1, 4)), None[LogID](), None[[]byte]()), l.State())
}

// test_purge_removes_chunks
func TestSeedPurgeRemovesChunks(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)
	buildSampleData(t, l)

	seedRequireGolden(t, "dump/sample_data.txt", seedDump(t, l))
	// Chunk 0: 73 + 29 + 32 + 32 + 30 + Seal 41 = 237. Chunk 237: 57 +
	// checkpoint 32 + TruncateAfter 27 + 32 + 30 + Commit 26 + Seal 41 =
	// 245, so chunk 482: 57 + checkpoint 48 + PurgeUpto 26 + Trim 25 +
	// Synced 25 (the second sync's batch) + 32 + 30 + 30 + Seal 41 = 314,
	// so chunk 796: 57 + checkpoint 64 + 30 = 151.
	require.Equal(t, []uint64{237, 482, 796}, seedChunkIDs(l.Stat().WAL))
	require.Equal(t, map[string]int64{wal.ChunkName(237): 245, wal.ChunkName(482): 314, wal.ChunkName(796): 151},
		seedChunkFiles(t, m, seedDir), "chunk 0 held only purged entries: removed once the purge was durable")

	_, err := l.Purge(slid(2, 3))
	require.NoError(t, err)
	// The seed sleeps 1 s for its worker to remove the files; ours are
	// removed by the worker round that makes the purge durable, so they
	// are gone when Sync returns.
	require.NoError(t, l.Sync())

	seedRequireGolden(t, "dump/purge_removes_chunks.txt", seedDump(t, l))
	require.Equal(t, []uint64{482, 796}, seedChunkIDs(l.Stat().WAL))
	files := seedChunkFiles(t, m, seedDir)
	require.Equal(t, []string{wal.ChunkName(482), wal.ChunkName(796)}, sortedKeys(files))
	seedRequireRead(t, l, 4, 8, seedSampleEntries[2:]...)
}

// test_purge_free_cache
func TestSeedPurgeFreeCache(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{ChunkMaxRecords: 5, CacheMaxItems: 100, CacheMaxBytes: 10240, ManualFlush: true})
	buildSampleData(t, l)

	// Differs from the seed (8 items): the seed's purge keeps purged
	// entries that are not yet evictable in its cache; ours drops every
	// purged entry at once, so the cache holds exactly the 6 live entries
	// [2, 8) ("world"+"foo"+"world"+"foo"+"bar"+"wow" = 22 bytes).
	st := l.Stat()
	require.Equal(t, 6, st.CacheItems)
	require.Equal(t, int64(22), st.CacheBytes)

	_, err := l.Purge(slid(2, 6))
	require.NoError(t, err)
	require.NoError(t, l.Sync())

	st = l.Stat()
	require.Equal(t, 1, st.CacheItems, "only (2,7) is left")
	require.Equal(t, int64(3), st.CacheBytes)
	seedRequireRead(t, l, 7, 8, se(2, 7, "wow"))
}

// test_read_with_cache: the exact hit/miss sequence with a 3-item cache.
func TestSeedReadWithCache(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{ChunkMaxRecords: 5, CacheMaxItems: 3, ManualFlush: true}
	l := seedOpen(t, m, cfg)
	buildSampleDataPurgeUpto3(t, l)

	hitMiss := func() [2]uint64 { s := l.Stat(); return [2]uint64{s.CacheHits, s.CacheMisses} }

	// Each insert evicts the oldest entries while the cache is over 3 items
	// and the oldest is durable. (2,4)..(2,7) came after the first sync:
	// they evicted the durable (2,2) and (2,3), then stopped at (2,4),
	// not yet durable. So the cache holds the 4 entries (2,4)..(2,7).
	seedRequireRead(t, l, 4, 8, seedSampleEntries[2:]...)
	require.Equal(t, [2]uint64{4, 0}, hitMiss(), "hit/miss after read(4, 8)")

	seedRequireRead(t, l, 5, 8, seedSampleEntries[3:]...)
	require.Equal(t, [2]uint64{7, 0}, hitMiss(), "hit/miss after read(5, 8)")

	// The next insert evicts the durable (2,4) and (2,5).
	seedAppend(t, l, se(2, 8, "biubiu"))
	seedRequireRead(t, l, 5, 9, se(2, 5, "foo"), se(2, 6, "bar"), se(2, 7, "wow"), se(2, 8, "biubiu"))
	require.Equal(t, [2]uint64{10, 1}, hitMiss(), "hit/miss after the insert and read(5, 9)")

	require.NoError(t, l.Close())
	l = seedOpen(t, m, cfg)
	// Differs from the seed, whose replay fills the cache: Open leaves
	// payloads on disk (its cost per entry is the index slot only), so
	// only the entry appended since is cached.
	seedAppend(t, l, se(3, 9, "goo"))

	seedRequireRead(t, l, 4, 10, se(2, 4, "world"), se(2, 5, "foo"), se(2, 6, "bar"), se(2, 7, "wow"), se(2, 8, "biubiu"), se(3, 9, "goo"))
	require.Equal(t, [2]uint64{1, 5}, hitMiss(), "after reopen: (2,4)..(2,8) from disk, (3,9) cached")

	seedRequireRead(t, l, 5, 9, se(2, 5, "foo"), se(2, 6, "bar"), se(2, 7, "wow"), se(2, 8, "biubiu"))
	require.Equal(t, [2]uint64{1, 9}, hitMiss())
}

// test_read_without_cache
func TestSeedReadWithoutCache(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{ChunkMaxRecords: 5, CacheMaxBytes: -1, ManualFlush: true}
	l := seedOpen(t, m, cfg)
	buildSampleDataPurgeUpto3(t, l)
	hitMiss := func() [2]uint64 { s := l.Stat(); return [2]uint64{s.CacheHits, s.CacheMisses} }

	seedAppend(t, l, se(2, 8, "world"))
	want := []seedEnt{se(2, 4, "world"), se(2, 5, "foo"), se(2, 6, "bar"), se(2, 7, "wow"), se(2, 8, "world")}
	seedRequireRead(t, l, 4, 9, want...)
	// Differs from the seed (2/3, "logs in the open chunk are always
	// cached"): an entry becomes evictable as soon as it is durable, not
	// when its chunk closes. (2,4)..(2,7) are durable, so the insert of
	// (2,8) evicted them; only the not-yet-durable (2,8) is cached.
	require.Equal(t, [2]uint64{1, 4}, hitMiss(), "hit/miss with a 0-byte cache")
	// Differs from the seed: read(0, 1000) is an error here.
	seedRequireReadErr(t, l, 0, 1000, ErrPurged)

	require.NoError(t, l.Close())
	l = seedOpen(t, m, cfg)
	seedRequireRead(t, l, 4, 9, want...)
	// Differs from the seed (2/3): after a reopen everything is durable,
	// so nothing is cached.
	require.Equal(t, [2]uint64{0, 5}, hitMiss(), "hit/miss after reopen")

	seedAppend(t, l, se(3, 9, "goo"))
	seedRequireRead(t, l, 4, 10, append(want, se(3, 9, "goo"))...)
	require.Equal(t, [2]uint64{1, 10}, hitMiss(), "only the new, not yet durable entry is a hit (the seed: 5/6)")
}

// test_read_does_not_affect_append: reads and appends share the chunk file;
// reads must not move the position appends write at.
func TestSeedReadDoesNotAffectAppend(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{ChunkMaxRecords: 5, CacheMaxBytes: -1, ManualFlush: true}
	l := seedOpen(t, m, cfg)

	seedAppend(t, l, se(1, 0, "hi"))
	seedRequireRead(t, l, 0, 1, se(1, 0, "hi"))
	seedAppend(t, l, se(1, 1, "hello"))
	seedRequireRead(t, l, 0, 1, se(1, 0, "hi"))
	seedAppend(t, l, se(1, 2, "world"))
	seedRequireRead(t, l, 0, 1, se(1, 0, "hi"))
	st := l.Stat()
	require.Equal(t, [2]uint64{3, 0}, [2]uint64{st.CacheHits, st.CacheMisses}, "nothing is durable yet, so everything is cached")

	// The seed's reads all hit its cache, so they never touch the file.
	// Make them: sync after every append, so that each earlier entry is
	// evicted and read from the file (the open chunk's, then a closed one)
	// while the log keeps appending to it.
	want := []seedEnt{se(1, 0, "hi"), se(1, 1, "hello"), se(1, 2, "world")}
	for i := uint64(3); i < 9; i++ {
		require.NoError(t, l.Sync())
		en := se(1, i, "p"+string(rune('a'+i)))
		seedAppend(t, l, en)
		want = append(want, en)
		seedRequireRead(t, l, 0, i+1, want...)
	}
	st = l.Stat()
	require.Equal(t, uint64(3+6), st.CacheHits, "the newest entry of every read is not durable yet")
	require.Equal(t, uint64(3+4+5+6+7+8), st.CacheMisses, "every durable entry is read from its chunk file")

	require.NoError(t, l.Close())
	l = seedOpen(t, m, cfg)
	seedRequireRead(t, l, 0, 9, want...)
}

// test_sync: nothing reaches the disk before a flush; a sync flush makes it
// all durable.
func TestSeedSync(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)

	seedSampleOps(t, l, false)

	// The seed reports 4 tracked files, none synced. Ours: chunks live in
	// memory until the worker writes them, so no chunk file exists yet,
	// and nothing is durable. Chunk 0 (only purged entries) is already
	// out of the chunk list, waiting for the purge to be durable.
	st := l.Stat()
	require.Equal(t, uint64(0), st.WAL.Durable)
	require.Empty(t, seedChunkFiles(t, m, seedDir), "no chunk file before the first flush")
	// As in TestSeedPurgeRemovesChunks, but with no sync in between, chunk
	// 400 has one Synced marker: 57 + 48 + 26 + Trim 25 + 32 + 30 + 30 = 248.
	require.Equal(t, []uint64{237, 482, 771}, seedChunkIDs(st.WAL))

	require.NoError(t, l.Sync())
	st = l.Stat()
	require.Equal(t, st.WAL.Open.End, st.WAL.Durable, "a sync makes everything durable")
	files := seedChunkFiles(t, m, seedDir)
	want := map[string]int64{}
	for _, c := range append(st.WAL.Closed, st.WAL.Open) {
		want[wal.ChunkName(c.ID)] = int64(c.Bytes())
	}
	require.Equal(t, want, files, "the chunk files after sync: the live chunks in full; chunk 0 created and removed")

	// Durable means it survives power loss: any crash image now opens to
	// the same log.
	for seed := uint64(1); seed <= 5; seed++ {
		for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
			img := m.Crash(rand.New(rand.NewPCG(seed, 7)), mode)
			li, err := Open(seedDir, Config{FS: img, ChunkMaxRecords: 5, ManualFlush: true, PreallocateBytes: -1})
			require.NoError(t, err, "open after a %v crash (rng seed %d)", mode, seed)
			require.Equal(t, seedSampleState, li.State(), "state after a %v crash (rng seed %d)", mode, seed)
			seedRequireRead(t, li, 2, 8, seedSampleEntries...)
			require.NoError(t, li.Close())
		}
	}

	// Another append and sync: only the open chunk's file grows.
	before := st.WAL
	seedAppend(t, l, se(2, 8, "world"))
	require.NoError(t, l.Sync())
	st = l.Stat()
	require.Equal(t, st.WAL.Open.End, st.WAL.Durable)
	require.Greater(t, st.WAL.Durable, before.Durable)
	require.Equal(t, before.Open.ID, st.WAL.Open.ID, "no rotation for one more entry")
	files = seedChunkFiles(t, m, seedDir)
	for _, c := range before.Closed {
		require.Equal(t, int64(c.Bytes()), files[wal.ChunkName(c.ID)], "closed chunk %d must not change", c.ID)
	}
	require.Equal(t, int64(st.WAL.Open.Bytes()), files[wal.ChunkName(st.WAL.Open.ID)])
}

// test_on_disk_size
func TestSeedOnDiskSize(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, Config{ChunkMaxRecords: 5, CacheMaxBytes: -1, ManualFlush: true})
	buildSampleDataPurgeUpto3(t, l)

	// Chunks 482 (314 bytes) and 796 (227 bytes: 151 + Synced 25 +
	// PurgeUpto 26 + Trim 25) are left. (The seed: 314.)
	require.Equal(t, uint64(541), l.OnDiskSize())
	require.Equal(t, uint64(541), l.Stat().WAL.Bytes)
	var sum int64
	for _, size := range seedChunkFiles(t, m, seedDir) {
		sum += size
	}
	require.Equal(t, int64(541), sum, "OnDiskSize vs the sizes of the chunk files")
}

// test_update_state
func TestSeedUpdateState(t *testing.T) {
	newState := seedState(Some(Vote{Term: 1, NodeID: 2}), Some(slid(3, 4)), None[LogID](), None[LogID](), None[[]byte]())

	t.Run("seed", func(t *testing.T) {
		m := fs.NewMem()
		cfg := Config{ChunkMaxRecords: 5, CacheMaxBytes: -1, ManualFlush: true}
		l := seedOpen(t, m, cfg)
		buildSampleDataPurgeUpto3(t, l)

		// A state whose purge point is above its last id is rejected.
		end := seedEnd(l)
		_, err := l.UpdateState(seedState(None[Vote](), Some(slid(3, 4)), None[LogID](), Some(slid(3, 5)), None[[]byte]()))
		require.ErrorIs(t, err, ErrInvalidState)
		require.Equal(t, end, seedEnd(l), "a rejected UpdateState must write nothing")

		_, err = l.UpdateState(newState)
		require.NoError(t, err)
		require.Equal(t, newState, l.State())

		// Differs from the seed: the seed keeps (2,4)..(2,7) readable
		// behind a last id of (3,4). The log holds no (3,4), so every
		// entry goes and the log is empty, ending at index 4.
		st := l.Stat()
		require.Equal(t, [2]uint64{5, 5}, [2]uint64{st.First, st.End}, "entries [First, End) after UpdateState")
		seedRequireReadErr(t, l, 4, 5, ErrBeforeStart) // dropped by UpdateState, not purged
		seedRequireReadErr(t, l, 5, 6, ErrPastEnd)

		require.NoError(t, l.Sync())
		seedRequireGolden(t, "dump/update_state.txt", seedDump(t, l))

		require.NoError(t, l.Close())
		l = seedOpen(t, m, cfg)
		require.Equal(t, newState, l.State(), "state after reopen")
		st = l.Stat()
		require.Equal(t, [2]uint64{5, 5}, [2]uint64{st.First, st.End}, "entries [First, End) after reopen")
		seedAppend(t, l, se(3, 5, "next"))
		seedRequireRead(t, l, 5, 6, se(3, 5, "next"))
	})

	t.Run("drops entries after the new last", func(t *testing.T) {
		l := seedOpen(t, fs.NewMem(), seedCfg5)
		buildSampleDataPurgeUpto3(t, l)

		_, err := l.UpdateState(seedState(None[Vote](), Some(slid(2, 6)), Some(slid(1, 2)), Some(slid(2, 3)), None[[]byte]()))
		require.NoError(t, err)
		// Differs from the seed: there, (2,7) stays readable and index
		// 7 can be appended a second time.
		seedRequireRead(t, l, 4, 7, seedSampleEntries[2:5]...)
		seedRequireReadErr(t, l, 4, 8, ErrPastEnd)
		seedAppend(t, l, se(2, 7, "again"))
		seedRequireRead(t, l, 6, 8, se(2, 6, "bar"), se(2, 7, "again"))
	})
}

// test_open_new_chunk_size: rotation by size.
func TestSeedOpenNewChunkSize(t *testing.T) {
	m := fs.NewMem()
	const maxBytes = 150
	l := seedOpen(t, m, Config{ChunkMaxRecords: 10000, ChunkMaxBytes: maxBytes, ManualFlush: true})

	seedSampleOps(t, l, true)
	require.NoError(t, l.Sync())

	seedRequireGolden(t, "dump/open_new_chunk_size.txt", seedDump(t, l))

	// A chunk closes once it is at least 150 bytes, so it exceeds the
	// limit by less than one record (the largest here is a 64-byte
	// checkpoint) and its 41-byte seal.
	st := l.Stat()
	require.NotEmpty(t, st.WAL.Closed)
	for _, c := range st.WAL.Closed {
		require.GreaterOrEqual(t, c.Bytes(), uint64(maxBytes), "closed chunk %d", c.ID)
		require.Less(t, c.Bytes(), uint64(maxBytes+64+41), "closed chunk %d", c.ID)
	}
	require.Less(t, st.WAL.Open.Bytes(), uint64(maxBytes+64))
	require.Equal(t, seedSampleState, l.State())
	seedRequireRead(t, l, 2, 8, seedSampleEntries...)
}

// test_flush_worker_tracks_new_chunk_file_after_rotation: after a rotation
// the worker writes to the new chunk's file, not the old one.
func TestSeedFlushWorkerTracksNewChunkFileAfterRotation(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, seedCfg5)

	seedAppend(t, l, se(1, 0, "a"), se(1, 1, "b"), se(1, 2, "c"), se(1, 3, "d"))
	// Differs from the seed: the seed rotates as soon as a chunk is full
	// (checkpoint + 4 entries); ours rotates lazily, on the next append.
	st := l.Stat()
	require.Empty(t, st.WAL.Closed)
	require.Equal(t, 5, st.WAL.Open.Records)

	seedAppend(t, l, se(1, 4, "e"))
	st = l.Stat()
	require.Len(t, st.WAL.Closed, 1)
	old := st.WAL.Closed[0]
	require.Equal(t, uint64(0), old.ID)
	require.Equal(t, 5, old.Records)
	require.Equal(t, old.End, st.WAL.Open.ID, "the new chunk starts where the old one ends")
	require.Equal(t, 2, st.WAL.Open.Records, "the new chunk's checkpoint and (1,4)")

	require.NoError(t, l.Sync())
	files := seedChunkFiles(t, m, seedDir)
	require.Equal(t, map[string]int64{wal.ChunkName(0): int64(old.Bytes()), wal.ChunkName(st.WAL.Open.ID): int64(st.WAL.Open.Bytes())}, files)

	// Later writes go to the new file only.
	seedAppend(t, l, se(1, 5, "f"))
	require.NoError(t, l.Sync())
	st2 := l.Stat()
	files = seedChunkFiles(t, m, seedDir)
	require.Equal(t, int64(old.Bytes()), files[wal.ChunkName(0)], "the old chunk's file must not grow")
	require.Equal(t, int64(st2.WAL.Open.Bytes()), files[wal.ChunkName(st.WAL.Open.ID)], "the new chunk's file holds the new records")
	require.Greater(t, st2.WAL.Open.End, st.WAL.Open.End)
	seedRequireRead(t, l, 0, 6, se(1, 0, "a"), se(1, 1, "b"), se(1, 2, "c"), se(1, 3, "d"), se(1, 4, "e"), se(1, 5, "f"))
}

// latencyRE matches the timing-dependent part of Stat.String.
var latencyRE = regexp.MustCompile(`FsyncMin:.* FsyncHist:\[[^]]*\]`)

// test_stat
func TestSeedStat(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), seedCfg5)
	buildSampleData(t, l)

	st := l.Stat()
	// The chunks of TestSeedPurgeRemovesChunks.
	require.Equal(t, []wal.ChunkStat{{ID: 237, Records: 5, End: 482}, {ID: 482, Records: 5, End: 796}}, st.WAL.Closed)
	require.Equal(t, wal.ChunkStat{ID: 796, Records: 2, End: 947}, st.WAL.Open)
	require.Equal(t, uint64(947-237), st.WAL.Bytes)
	require.Equal(t, uint64(947), st.WAL.Durable)
	require.Equal(t, int64(0), st.WAL.Dropped)
	require.Equal(t, [2]uint64{2, 8}, [2]uint64{st.First, st.End})
	require.Equal(t, 6, st.CacheItems)
	require.Equal(t, int64(22), st.CacheBytes)
	require.Equal(t, DefaultCacheMaxItems, st.CacheMaxItems)
	require.Equal(t, int64(DefaultCacheMaxBytes), st.CacheMaxBytes)
	require.Equal(t, [2]uint64{0, 0}, [2]uint64{st.CacheHits, st.CacheMisses})
	// Differs from the seed (evictable ..=(2, 6), the end of the last
	// closed chunk): every entry is durable after the sync, so all are
	// evictable.
	require.Equal(t, Some(slid(2, 7)), st.Evictable)
	require.Equal(t, uint64(2), st.WAL.Flush.Requests, "two syncs")

	// The rendering, minus the fsync latencies (wall-clock dependent).
	seedRequireGolden(t, "stat/stat.txt", latencyRE.ReplaceAllString(st.String(), "<latencies>"))
}

// test_flush_without_sync (0.4): a flush without sync writes but makes
// nothing durable; a sync flush then does.
func TestSeedFlushWithoutSync(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, Config{})
	// Differs from the seed: the first flush of a new log creates its
	// first chunk with a durable head; measure from there.
	require.NoError(t, l.Sync())
	created := l.Stat().WAL.Durable

	seedAppend(t, l, se(1, 0, "a"), se(1, 1, "b"))
	before := l.Stat().WAL
	require.Equal(t, created, before.Durable)

	done := make(chan error, 1)
	require.NoError(t, l.Flush(false, func(err error) { done <- err }))
	require.NoError(t, <-done, "the callback of a flush without sync")

	st := l.Stat().WAL
	require.Equal(t, before.Durable, st.Durable, "a flush without sync must not advance the durable point")
	require.Equal(t, before.Flush.Fsyncs, st.Flush.Fsyncs, "a flush without sync must not fsync a chunk")
	require.Equal(t, map[string]int64{wal.ChunkName(0): int64(st.Open.Bytes())}, seedChunkFiles(t, m, seedDir),
		"the records are written all the same")

	require.NoError(t, l.Flush(true, func(err error) { done <- err }))
	require.NoError(t, <-done, "the callback of a sync flush")
	st = l.Stat().WAL
	require.Equal(t, st.Open.End, st.Durable, "a sync flush makes everything durable")
	require.Greater(t, st.Flush.Fsyncs, before.Flush.Fsyncs)
}

// test_flush_without_sync_data_visible_after_reopen (0.4): data flushed
// without sync survives a process crash (the OS still has it).
func TestSeedFlushWithoutSyncDataVisibleAfterReopen(t *testing.T) {
	m := fs.NewMem()
	l := seedOpen(t, m, Config{ChunkMaxRecords: 5})

	logs := []seedEnt{se(1, 0, "hi"), se(1, 1, "hello"), se(1, 2, "world"), se(1, 3, "foo"), se(1, 4, "bar"), se(1, 5, "wow")}
	seedAppend(t, l, logs...)
	_, err := l.Commit(slid(1, 3))
	require.NoError(t, err)
	done := make(chan error, 1)
	require.NoError(t, l.Flush(false, func(err error) { done <- err }))
	require.NoError(t, <-done)
	// Not all is durable: only a chunk that a rotation closed is fsynced
	// before its successor is created.
	st := l.Stat().WAL
	require.Less(t, st.Durable, st.Open.End, "the open chunk is not durable")

	// The seed drops the log and reopens; a dropped Log here would still
	// hold the lock, so reopen what a process crash leaves instead.
	img := m.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
	l2, err := Open(seedDir, Config{FS: img, ChunkMaxRecords: 5})
	require.NoError(t, err)
	defer l2.Close()
	require.Equal(t, l.State(), l2.State())
	seedRequireRead(t, l2, 0, 6, logs...)
}

// test_flush_batch_wait_groups_adjacent_sync_flushes (0.4): flushes queued
// before one worker round share its write and fsync. Differs from the seed:
// there is no flush_batch_wait; a batch is whatever is queued when the
// worker runs a round, so the test queues two flushes and steps once.
func TestSeedFlushBatchGroupsAdjacentSyncFlushes(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{ManualFlush: true})
	require.NoError(t, l.Sync()) // the first chunk's creation has its own fsync

	var order []int
	results := make(chan error, 2)
	seedAppend(t, l, se(1, 0, "a"))
	require.NoError(t, l.Flush(true, func(err error) { order = append(order, 1); results <- err }))
	seedAppend(t, l, se(1, 1, "b"))
	require.NoError(t, l.Flush(true, func(err error) { order = append(order, 2); results <- err }))
	require.Empty(t, order, "no callback before the worker runs")

	before := l.Stat().WAL.Flush
	require.True(t, mustStep(t, l), "the round has work")
	require.NoError(t, <-results)
	require.NoError(t, <-results)
	require.Equal(t, []int{1, 2}, order, "callbacks run in flush order")

	st := l.Stat().WAL
	require.Equal(t, st.Open.End, st.Durable)
	require.Equal(t, uint64(1), st.Flush.Steps-before.Steps, "one round")
	require.Equal(t, uint64(2), st.Flush.Requests-before.Requests, "serving two flush requests")
	require.Equal(t, uint64(1), st.Flush.Fsyncs-before.Fsyncs, "with one fsync")
	require.Equal(t, uint64(1), st.Flush.Writes-before.Writes, "and one write")
	require.False(t, mustStep(t, l), "nothing left to do")
}

// test_flush_batch_max_items_limits_grouping (0.4). Differs from the seed:
// there is no flush_batch_max_items; flushes served by separate worker
// rounds are separate batches, each with its own fsync.
func TestSeedFlushBatchMaxItemsLimitsGrouping(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), Config{ManualFlush: true})
	require.NoError(t, l.Sync()) // the first chunk's creation has its own fsync
	before := l.Stat().WAL.Flush

	for i := uint64(0); i < 2; i++ {
		seedAppend(t, l, se(1, i, "x"))
		done := make(chan error, 1)
		require.NoError(t, l.Flush(true, func(err error) { done <- err }))
		require.True(t, mustStep(t, l))
		require.NoError(t, <-done)
		st := l.Stat().WAL
		require.Equal(t, st.Open.End, st.Durable, "after round %d", i+1)
	}
	st := l.Stat().WAL.Flush
	require.Equal(t, uint64(2), st.Steps-before.Steps)
	require.Equal(t, uint64(2), st.Requests-before.Requests)
	require.Equal(t, uint64(2), st.Fsyncs-before.Fsyncs)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// requireRefusedChangesNothing checks that a refused call (named what) on a
// log holding (2,4) "a" and (2,5) "b" wrote and changed nothing, then syncs,
// closes and reopens it on m, checks the same, and returns the reopened log.
func requireRefusedChangesNothing(t *testing.T, m *fs.Mem, l *DefaultLog, what string, end uint64, state State[LogID, Vote, []byte], dump string) *DefaultLog {
	t.Helper()
	require.Equal(t, end, seedEnd(l), "a rejected "+what+" must write nothing")
	require.Equal(t, dump, seedDump(t, l), "a rejected "+what+" must write nothing")
	require.Equal(t, state, l.State(), "a rejected "+what+" must change nothing")
	seedRequireRead(t, l, 4, 6, se(2, 4, "a"), se(2, 5, "b"))
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	l = seedOpen(t, m, Config{})
	require.Equal(t, state, l.State(), "state after reopen")
	seedRequireRead(t, l, 4, 6, se(2, 4, "a"), se(2, 5, "b"))
	return l
}

// mustStep runs one round of the flush worker of a ManualFlush log.
func mustStep(t *testing.T, l *DefaultLog) bool {
	t.Helper()
	ok, err := l.Step()
	require.NoError(t, err)
	return ok
}
