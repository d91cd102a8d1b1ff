package raftlog

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
)

// TestLogIDAtOutsideTheLog: each side of the entries held has its
// sentinel, and the message names the index asked for (at the last index
// it printed the range [2^64-1, 0)).
func TestLogIDAtOutsideTheLog(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem()})
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Append(cxEnts(1, 5, 3)...)
	require.NoError(t, err)

	_, err = l.LogIDAt(0)
	require.ErrorIs(t, err, ErrBeforeStart)
	_, err = l.LogIDAt(4)
	require.ErrorIs(t, err, ErrBeforeStart)
	_, err = l.LogIDAt(8)
	require.ErrorIs(t, err, ErrPastEnd)
	_, err = l.LogIDAt(math.MaxUint64)
	require.ErrorIs(t, err, ErrPastEnd)
	require.Contains(t, err.Error(), "read entry 18446744073709551615, the log holds [5, 8)")

	_, err = l.Purge(LogID{Term: 1, Index: 5})
	require.NoError(t, err)
	_, err = l.LogIDAt(4)
	require.ErrorIs(t, err, ErrPurged)
	id, err := l.LogIDAt(5)
	require.NoError(t, err, "the purge point's id")
	require.Equal(t, LogID{Term: 1, Index: 5}, id)
}
