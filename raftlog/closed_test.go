package raftlog

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
)

// TestEveryCallAfterCloseFailsWithErrClosed: Close's promise, call by call
// (Step returned false and no error).
func TestEveryCallAfterCloseFailsWithErrClosed(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem(), ManualFlush: true})
	require.NoError(t, err)
	_, err = l.Append(cxEnts(1, 1, 3)...)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	for name, call := range map[string]func() error{
		"Append":       func() error { _, err := l.Append(cxEnt(1, 4)); return err },
		"SaveVote":     func() error { _, err := l.SaveVote(Vote{Term: 2}); return err },
		"Commit":       func() error { _, err := l.Commit(LogID{Term: 1, Index: 2}); return err },
		"Truncate":     func() error { _, err := l.Truncate(2); return err },
		"Purge":        func() error { _, err := l.Purge(LogID{Term: 1, Index: 1}); return err },
		"SaveUserData": func() error { _, err := l.SaveUserData(Some([]byte("u"))); return err },
		"UpdateState":  func() error { _, err := l.UpdateState(l.State()); return err },
		"Flush":        func() error { return l.Flush(true, nil) },
		"Sync":         l.Sync,
		"WaitIdle":     l.WaitIdle,
		"Step":         func() error { _, err := l.Step(); return err },
		"Close":        l.Close,
		"LogIDAt":      func() error { _, err := l.LogIDAt(1); return err },
		"Dump":         func() error { return l.Dump(io.Discard) },
		"Read": func() error {
			for _, err := range l.Read(1, 2) {
				return err
			}
			return nil
		},
	} {
		require.ErrorIs(t, call(), ErrClosed, name)
	}
}
