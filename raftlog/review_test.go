package raftlog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

func rvEntries(term, from, to uint64) []Entry[LogID, []byte] {
	var es []Entry[LogID, []byte]
	for i := from; ; i++ {
		es = append(es, Entry[LogID, []byte]{ID: LogID{term, i}, Payload: []byte{byte(i)}})
		if i == to {
			return es
		}
	}
}

// rvUnchanged runs a call that must be refused with want and checks that it
// wrote nothing and changed nothing.
func rvUnchanged(t *testing.T, l *DefaultLog, want error, call func() error) {
	t.Helper()
	require.NoError(t, l.WaitIdle())
	var before, after bytes.Buffer
	require.NoError(t, l.Dump(&before))
	st := l.State()
	err := call()
	require.ErrorIs(t, err, want)
	require.NoError(t, l.Dump(&after))
	require.Equal(t, before.String(), after.String(), "a refused call wrote something")
	require.Equal(t, st, l.State(), "a refused call changed the state")
}

// TestPurgeBelowFirstWithHigherTerm: a purge at an index below the first
// entry held (a gap left by UpdateState or the first append) whose id sorts
// above the last id cannot name an entry of this log; the seed accepts it
// and moves last backwards by index (SPEC 9.10).
func TestPurgeBelowFirstWithHigherTerm(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem()})
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Append(rvEntries(1, 5, 8)...)
	require.NoError(t, err)
	rvUnchanged(t, l, ErrPurgeMismatch, func() error { _, err := l.Purge(LogID{9, 2}); return err })
	_, err = l.Purge(LogID{1, 6})
	require.NoError(t, err, "a purge of an entry the log holds")
	require.Equal(t, Some(LogID{1, 6}), l.State().Purged)
}

// TestIndexLimit: index 2^64-1 leaves no next index, so the log refuses it
// rather than wrap to 0.
func TestIndexLimit(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem()})
	require.NoError(t, err)
	defer l.Close()
	const top = 1<<64 - 1
	rvUnchanged(t, l, ErrIndexLimit, func() error { _, err := l.Append(rvEntries(1, top, top)...); return err })
	_, err = l.Append(rvEntries(1, top-2, top-1)...)
	require.NoError(t, err)
	rvUnchanged(t, l, ErrIndexLimit, func() error { _, err := l.Append(rvEntries(1, top, top)...); return err })
	rvUnchanged(t, l, ErrIndexLimit, func() error { _, err := l.Purge(LogID{1, top}); return err })
	rvUnchanged(t, l, ErrIndexLimit, func() error {
		_, err := l.UpdateState(State[LogID, Vote, []byte]{Last: Some(LogID{1, top})})
		return err
	})
	_, err = l.Purge(LogID{1, top - 1})
	require.NoError(t, err)
}

// TestUpdateStatePurgedAtLastIndex: a purge point at the last index must be
// the last id itself.
func TestUpdateStatePurgedAtLastIndex(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem()})
	require.NoError(t, err)
	defer l.Close()
	rvUnchanged(t, l, ErrInvalidState, func() error {
		_, err := l.UpdateState(State[LogID, Vote, []byte]{Last: Some(LogID{2, 0}), Purged: Some(LogID{1, 0})})
		return err
	})
	_, err = l.UpdateState(State[LogID, Vote, []byte]{Last: Some(LogID{2, 0}), Purged: Some(LogID{2, 0})})
	require.NoError(t, err)
}

// TestCallbackWritesDuringClose: a flush callback that writes gets ErrClosed
// when Close is flushing, instead of deadlocking on Close's lock (manual
// worker: Close runs the worker inline, on the same goroutine).
func TestCallbackWritesDuringClose(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem(), ManualFlush: true})
	require.NoError(t, err)
	_, err = l.Append(rvEntries(1, 1, 3)...)
	require.NoError(t, err)
	var cbErr error
	called := false
	require.NoError(t, l.Flush(true, func(err error) {
		called = true
		_, cbErr = l.Commit(LogID{1, 2})
	}))
	require.NoError(t, l.Close())
	require.True(t, called)
	require.ErrorIs(t, cbErr, ErrClosed)
}

// TestCheckpointOverRecordLimit: the checkpoint that starts a new chunk holds
// the whole state, which may be larger than any one record allowed; it is
// not held to MaxRecordBytes, or one large user data would make every later
// write fail.
func TestCheckpointOverRecordLimit(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{FS: m, MaxRecordBytes: 200, ChunkMaxRecords: 4}
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	_, err = l.SaveUserData(Some([]byte(strings.Repeat("u", 190))))
	require.NoError(t, err)
	for i := uint64(1); i <= 10; i++ {
		_, err := l.Append(rvEntries(1, i, i)...)
		require.NoError(t, err, "append %d after a large user data", i)
	}
	_, err = l.SaveUserData(Some([]byte(strings.Repeat("u", 300))))
	require.ErrorIs(t, err, wal.ErrRecordTooLarge, "a user data record over the limit is still refused")
	require.NoError(t, l.Close())
	l, err = Open("/log", cfg)
	require.NoError(t, err)
	require.Equal(t, Some(LogID{1, 10}), l.State().Last)
	require.NoError(t, l.Close())
}
