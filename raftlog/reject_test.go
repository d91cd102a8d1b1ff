package raftlog

import (
	"errors"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// cxAppendEach appends entries one call each (no batch crosses a chunk
// boundary in a setup, whatever the chunk size).
func cxAppendEach(t testing.TB, l *DefaultLog, es ...cxEntry) {
	t.Helper()
	for _, e := range es {
		_, err := l.Append(e)
		require.NoError(t, err, "append %v", e.ID)
	}
}

// cxMust(t)(l.Op(...)) fails the test if the call returned an error.
func cxMust(t testing.TB) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		require.NoError(t, err)
	}
}

// cxReadErr runs a Read and returns its error and how many entries came
// before it.
func cxReadErr(l *DefaultLog, from, to uint64) (int, error) {
	n := 0
	for _, err := range l.Read(from, to) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// TestRejectChangesNothing: every kind of rejected call returns an error
// that matches its sentinel and exposes the values involved, and changes
// nothing: not the state, not the entries, not a byte on disk, not what a
// reopen finds.
func TestRejectChangesNothing(t *testing.T) {
	type testCase struct {
		name     string
		setup    func(t *testing.T, l *DefaultLog)
		reject   func(l *DefaultLog) error
		sentinel error
		check    func(t *testing.T, err error)
		cfg      Config // FS is set by the loop; zero: ChunkMaxRecords 4
	}
	voteErr := func(cur, att Vote) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *VoteReversalError[Vote]
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Equal(t, cur, e.Current)
			require.Equal(t, att, e.Attempted)
		}
	}
	reversalErr := func(when string, cur, att LogID) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *LogIDReversalError[LogID]
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Equal(t, when, e.When)
			require.Equal(t, cur, e.Current)
			require.Equal(t, att, e.Attempted)
		}
	}
	invalidStateErr := func(purged, last string) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *InvalidStateError
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Contains(t, e.Reason, purged, "the reason names the attempted purged id")
			require.Contains(t, e.Reason, last, "the reason names the last id")
		}
	}
	nonConsecErr := func(last, att LogID) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *NonConsecutiveError[LogID]
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Equal(t, last, e.Last)
			require.Equal(t, att, e.Attempted)
		}
	}
	notFoundErr := func(at uint64) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *IndexNotFoundError
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Equal(t, at, e.At)
			require.NotEmpty(t, e.Reason)
		}
	}
	purgeErr := func(att, existing LogID) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *PurgeMismatchError[LogID]
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Equal(t, att, e.Attempted)
			require.Equal(t, existing, e.Existing)
		}
	}
	rangeErr := func(from, to, first, end uint64) func(t *testing.T, err error) {
		return func(t *testing.T, err error) {
			var e *RangeError
			require.True(t, errors.As(err, &e), "%T: %v", err, err)
			require.Equal(t, RangeError{From: from, To: to, First: first, End: end, Err: e.Err}, *e)
		}
	}
	ents := func(term, from uint64, n int) func(t *testing.T, l *DefaultLog) {
		return func(t *testing.T, l *DefaultLog) { cxAppendEach(t, l, cxEnts(term, from, n)...) }
	}
	onlyRead := func(from, to uint64) func(l *DefaultLog) error {
		return func(l *DefaultLog) error {
			n, err := cxReadErr(l, from, to)
			if n != 0 {
				return errors.New("entries came before the error")
			}
			return err
		}
	}

	cases := []testCase{
		{
			name: "vote lower term",
			setup: func(t *testing.T, l *DefaultLog) {
				cxMust(t)(l.SaveVote(Vote{Term: 2, NodeID: 1}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.SaveVote(Vote{Term: 1, NodeID: 1}); return err },
			sentinel: ErrVoteReversal,
			check:    voteErr(Vote{Term: 2, NodeID: 1}, Vote{Term: 1, NodeID: 1}),
		},
		{
			name: "vote same term other node (incomparable)",
			setup: func(t *testing.T, l *DefaultLog) {
				cxMust(t)(l.SaveVote(Vote{Term: 2, NodeID: 1}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.SaveVote(Vote{Term: 2, NodeID: 3}); return err },
			sentinel: ErrVoteReversal,
			check:    voteErr(Vote{Term: 2, NodeID: 1}, Vote{Term: 2, NodeID: 3}),
		},
		{
			name: "vote committed to uncommitted",
			setup: func(t *testing.T, l *DefaultLog) {
				cxMust(t)(l.SaveVote(Vote{Term: 2, NodeID: 1, Committed: true}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.SaveVote(Vote{Term: 2, NodeID: 1}); return err },
			sentinel: ErrVoteReversal,
			check:    voteErr(Vote{Term: 2, NodeID: 1, Committed: true}, Vote{Term: 2, NodeID: 1}),
		},
		{
			name:     "append lower term at the next index",
			setup:    func(t *testing.T, l *DefaultLog) { cxAppendEach(t, l, cxEnt(1, 5)) },
			reject:   func(l *DefaultLog) error { _, err := l.Append(cxEnt(0, 6)); return err },
			sentinel: ErrLogIDReversal,
			check:    reversalErr("append", LogID{1, 5}, LogID{0, 6}),
		},
		{
			name:     "append an index already held",
			setup:    ents(1, 1, 3),
			reject:   func(l *DefaultLog) error { _, err := l.Append(cxEnt(1, 1)); return err },
			sentinel: ErrLogIDReversal,
			check:    reversalErr("append", LogID{1, 3}, LogID{1, 1}),
		},
		{
			name:     "append skips an index",
			setup:    func(t *testing.T, l *DefaultLog) { cxAppendEach(t, l, cxEnt(1, 3)) },
			reject:   func(l *DefaultLog) error { _, err := l.Append(cxEnt(1, 5)); return err },
			sentinel: ErrNonConsecutive,
			check:    nonConsecErr(LogID{1, 3}, LogID{1, 5}),
		},
		{
			name:     "append same index higher term",
			setup:    func(t *testing.T, l *DefaultLog) { cxAppendEach(t, l, cxEnt(1, 3)) },
			reject:   func(l *DefaultLog) error { _, err := l.Append(cxEnt(2, 3)); return err },
			sentinel: ErrNonConsecutive,
			check:    nonConsecErr(LogID{1, 3}, LogID{2, 3}),
		},
		{
			// The error names the entry before the bad one, which is in
			// the batch: (1, 5), not the log's last (1, 3).
			name:  "append batch whose third entry skips",
			setup: ents(1, 1, 3),
			reject: func(l *DefaultLog) error {
				_, err := l.Append(cxEnt(1, 4), cxEnt(1, 5), cxEnt(1, 7))
				return err
			},
			sentinel: ErrNonConsecutive,
			check:    nonConsecErr(LogID{1, 5}, LogID{1, 7}),
		},
		{
			name:  "append batch whose third entry goes back a term",
			setup: ents(2, 1, 3),
			reject: func(l *DefaultLog) error {
				_, err := l.Append(cxEnt(2, 4), cxEnt(2, 5), cxEnt(1, 6))
				return err
			},
			sentinel: ErrLogIDReversal,
			check:    reversalErr("append", LogID{2, 5}, LogID{1, 6}),
		},
		{
			// The WAL refuses the third record after the second started a
			// new chunk: the undo must take back the rotation too.
			name:  "append batch whose third entry is too large, across a rotation",
			setup: ents(1, 1, 2),
			reject: func(l *DefaultLog) error {
				_, err := l.Append(cxEnt(1, 3), cxEnt(1, 4), cxEntry{ID: LogID{1, 5}, Payload: make([]byte, 100)})
				return err
			},
			sentinel: wal.ErrRecordTooLarge,
			check:    func(t *testing.T, err error) {},
			cfg:      Config{ChunkMaxRecords: 4, MaxRecordBytes: 64},
		},
		{
			name: "commit reversal",
			setup: func(t *testing.T, l *DefaultLog) {
				cxAppendEach(t, l, cxEnts(1, 1, 3)...)
				cxMust(t)(l.Commit(LogID{1, 3}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.Commit(LogID{1, 2}); return err },
			sentinel: ErrLogIDReversal,
			check:    reversalErr("commit", LogID{1, 3}, LogID{1, 2}),
		},
		{
			// A higher term at a lower index sorts above in id order, but
			// a Raft commit index never goes back.
			name: "commit of a higher term at a lower index",
			setup: func(t *testing.T, l *DefaultLog) {
				cxAppendEach(t, l, cxEnts(1, 1, 3)...)
				cxMust(t)(l.Commit(LogID{1, 3}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.Commit(LogID{2, 1}); return err },
			sentinel: ErrLogIDReversal,
			check:    reversalErr("commit", LogID{1, 3}, LogID{2, 1}),
		},
		{
			name:     "truncate past the end",
			setup:    ents(1, 1, 3),
			reject:   func(l *DefaultLog) error { _, err := l.Truncate(10); return err },
			sentinel: ErrIndexNotFound,
			check:    notFoundErr(10),
		},
		{
			name: "truncate(0) with purged set",
			setup: func(t *testing.T, l *DefaultLog) {
				cxAppendEach(t, l, cxEnts(1, 1, 5)...)
				cxMust(t)(l.Purge(LogID{1, 2}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.Truncate(0); return err },
			sentinel: ErrIndexNotFound,
			check:    notFoundErr(0),
		},
		{
			name: "truncate at a purged index",
			setup: func(t *testing.T, l *DefaultLog) {
				cxAppendEach(t, l, cxEnts(1, 1, 5)...)
				cxMust(t)(l.Purge(LogID{1, 2}))
			},
			reject:   func(l *DefaultLog) error { _, err := l.Truncate(2); return err },
			sentinel: ErrIndexNotFound,
			check:    notFoundErr(2),
		},
		{
			// SPEC 9.10: the seed accepts it and ends with a non-monotonic log.
			name:     "purge with a mismatched term",
			setup:    ents(2, 1, 4),
			reject:   func(l *DefaultLog) error { _, err := l.Purge(LogID{5, 2}); return err },
			sentinel: ErrPurgeMismatch,
			check:    purgeErr(LogID{5, 2}, LogID{2, 2}),
		},
		{
			name:     "purge the last index with another term",
			setup:    ents(2, 1, 4),
			reject:   func(l *DefaultLog) error { _, err := l.Purge(LogID{3, 4}); return err },
			sentinel: ErrPurgeMismatch,
			check:    purgeErr(LogID{3, 4}, LogID{2, 4}),
		},
		{
			// Purging past the end makes upto the last id: it must not
			// sort below the current last id.
			name:     "purge beyond the last entry with a lower term",
			setup:    ents(3, 1, 10),
			reject:   func(l *DefaultLog) error { _, err := l.Purge(LogID{2, 12}); return err },
			sentinel: ErrLogIDReversal,
			check:    reversalErr("purge", LogID{3, 10}, LogID{2, 12}),
		},
		{
			// (1, 7) sorts below the last id (2, 5), but its index is
			// above the last index: the log would hold nothing at 6..7.
			name:  "update state with a purge index above the last index",
			setup: ents(2, 4, 2),
			reject: func(l *DefaultLog) error {
				s := l.State()
				s.Purged = Some(LogID{1, 7})
				_, err := l.UpdateState(s)
				return err
			},
			sentinel: ErrInvalidState,
			check:    invalidStateErr(slid(1, 7).String(), slid(2, 5).String()),
		},
		{
			name:  "update state with purged above last",
			setup: ents(1, 1, 3),
			reject: func(l *DefaultLog) error {
				s := l.State()
				s.Purged = Some(LogID{1, 5})
				_, err := l.UpdateState(s)
				return err
			},
			sentinel: ErrInvalidState,
			check:    invalidStateErr(slid(1, 5).String(), slid(1, 3).String()),
		},
		{
			name:     "read from > to",
			setup:    ents(1, 1, 3),
			reject:   onlyRead(3, 2),
			sentinel: ErrRange,
			check:    rangeErr(3, 2, 1, 4),
		},
		{
			name:     "read past the end",
			setup:    ents(1, 1, 3),
			reject:   onlyRead(2, 5),
			sentinel: ErrPastEnd,
			check:    rangeErr(2, 5, 1, 4),
		},
		{
			name:     "read an empty log",
			setup:    func(t *testing.T, l *DefaultLog) {},
			reject:   onlyRead(0, 1),
			sentinel: ErrPastEnd,
			check:    rangeErr(0, 1, 0, 0),
		},
		{
			name: "read below the first entry",
			setup: func(t *testing.T, l *DefaultLog) {
				cxAppendEach(t, l, cxEnts(1, 1, 5)...)
				cxMust(t)(l.Purge(LogID{1, 2}))
			},
			reject:   onlyRead(1, 4),
			sentinel: ErrPurged,
			check:    rangeErr(1, 4, 3, 6),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := fs.NewMem()
			cfg := c.cfg
			if cfg == (Config{}) {
				cfg.ChunkMaxRecords = 4
			}
			cfg.FS = m
			l, err := Open("/log", cfg)
			require.NoError(t, err)
			c.setup(t, l)
			before := cxSnapshot(t, l)
			dumpBefore := cxDumpString(l)

			err = c.reject(l)
			require.ErrorIs(t, err, c.sentinel, "got %T: %v", err)
			c.check(t, err)
			t.Logf("rejected: %v", err)

			cxRequireSameSnap(t, before, cxSnapshot(t, l), "in memory after the rejected call")
			require.Equal(t, dumpBefore, cxDumpString(l), "the rejected call wrote to the log")

			require.NoError(t, l.Sync())
			require.NoError(t, l.Close())
			l, err = Open("/log", cfg)
			require.NoError(t, err, "reopen after a rejected call")
			defer l.Close()
			cxRequireSameSnap(t, before, cxSnapshot(t, l), "after reopen")

			// Still alive: the next entry goes in, syncs and reads back.
			next := uint64(1)
			if last, ok := l.State().Last.Get(); ok {
				next = last.Index + 1
			}
			term := uint64(9)
			_, err = l.Append(cxEnt(term, next))
			require.NoError(t, err)
			require.NoError(t, l.Sync())
			for e, err := range l.Read(next, next+1) {
				require.NoError(t, err)
				require.Empty(t, cxCheckEntry(e, next))
			}
		})
	}
}

// TestRejectSeedScenario91 is SPEC 9.1's probe: in the seed a rejected
// append overwrites index 1 ("X") and makes index 5 readable ("Y").
func TestRejectSeedScenario91(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{FS: m}
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	_, err = l.Append(
		cxEntry{ID: LogID{1, 1}, Payload: []byte("a")},
		cxEntry{ID: LogID{1, 2}, Payload: []byte("b")},
		cxEntry{ID: LogID{1, 3}, Payload: []byte("c")},
	)
	require.NoError(t, err)

	readAll := func(l *DefaultLog) []string {
		var out []string
		for e, err := range l.Read(1, 4) {
			require.NoError(t, err)
			out = append(out, string(e.Payload))
		}
		return out
	}
	check := func(l *DefaultLog) {
		require.Equal(t, []string{"a", "b", "c"}, readAll(l))
		n, err := cxReadErr(l, 5, 6)
		require.Zero(t, n)
		require.ErrorIs(t, err, ErrPastEnd, "index 5 must not be readable")
		require.Equal(t, Some(LogID{1, 3}), l.State().Last)
	}

	_, err = l.Append(cxEntry{ID: LogID{1, 1}, Payload: []byte("X")})
	require.ErrorIs(t, err, ErrLogIDReversal)
	_, err = l.Append(cxEntry{ID: LogID{1, 5}, Payload: []byte("Y")})
	require.ErrorIs(t, err, ErrNonConsecutive)
	check(l)

	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	l, err = Open("/log", cfg)
	require.NoError(t, err, "the seed's reopen fails here")
	defer l.Close()
	check(l)
}

// TestRejectOversizedBatchThenAppend: after the WAL refused a batch that had
// started a new chunk, the log goes on appending across rotations as if the
// batch had never been, in memory and after a reopen.
func TestRejectOversizedBatchThenAppend(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{FS: m, ChunkMaxRecords: 4, MaxRecordBytes: 64, CacheMaxItems: -1}
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	cxAppendEach(t, l, cxEnts(1, 1, 2)...)
	_, err = l.Append(cxEnt(1, 3), cxEnt(1, 4), cxEntry{ID: LogID{1, 5}, Payload: make([]byte, 100)})
	require.ErrorIs(t, err, wal.ErrRecordTooLarge)

	cxAppendEach(t, l, cxEnts(2, 3, 10)...)
	require.NoError(t, l.Sync())
	l.DrainCacheEvictable() // read back from the files
	before := cxSnapshot(t, l)
	cxCheckSnap(t, before)
	require.Equal(t, uint64(1), before.First)
	require.Equal(t, uint64(13), before.End)
	require.NoError(t, l.Close())

	l, err = Open("/log", cfg)
	require.NoError(t, err)
	defer l.Close()
	cxRequireSameSnap(t, before, cxSnapshot(t, l), "after reopen; on disk:\n%s", cxDumpString(l))
}

// TestRejectPurgeBeyondLastLowerTerm: Purge(upto) past the last entry
// installs a snapshot, and its doc says upto becomes the last id. With
// upto's term below the last entry's ((2, 12) after (3, 1..10)) that would
// move the last id backwards, so the purge is rejected with a
// *LogIDReversalError ("purge") and changes nothing: not the state, not the
// entries, not a byte on disk, not what a reopen finds. A snapshot at a term
// that does not go backwards is then accepted.
func TestRejectPurgeBeyondLastLowerTerm(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{FS: m}
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	defer func() { l.Close() }()
	cxAppendEach(t, l, cxEnts(3, 1, 10)...)
	before := cxSnapshot(t, l)
	dumpBefore := cxDumpString(l)

	upto := LogID{Term: 2, Index: 12}
	_, err = l.Purge(upto)
	require.ErrorIs(t, err, ErrLogIDReversal)
	var re *LogIDReversalError[LogID]
	require.ErrorAs(t, err, &re)
	require.Equal(t, LogIDReversalError[LogID]{When: "purge", Current: LogID{3, 10}, Attempted: upto}, *re)
	cxRequireSameSnap(t, before, cxSnapshot(t, l), "in memory after the rejected purge")
	require.Equal(t, dumpBefore, cxDumpString(l), "the rejected purge wrote to the log")

	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	l, err = Open("/log", cfg)
	require.NoError(t, err, "reopen after the rejected purge")
	cxRequireSameSnap(t, before, cxSnapshot(t, l), "after reopen")

	// Index 11 is still the next one; a snapshot at (3, 12) is accepted and
	// holds Purge's postcondition.
	cxAppendEach(t, l, cxEnt(3, 11))
	upto = LogID{Term: 3, Index: 12}
	_, err = l.Purge(upto)
	require.NoError(t, err)
	st, stat := l.State(), l.Stat()
	require.Equal(t, Some(upto), st.Purged)
	require.Equal(t, Some(upto), st.Last, "purging past the end makes upto the last id (Purge's doc)")
	require.Equal(t, [2]uint64{13, 13}, [2]uint64{stat.First, stat.End}, "the log holds no entry")
	_, err = l.Append(cxEnt(3, 12))
	require.ErrorIs(t, err, ErrLogIDReversal, "an append at index 12, at the purge point")
}
