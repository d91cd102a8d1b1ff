package raftlog

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
)

// A Raft follower whose entry 1 conflicts deletes from 1: on a log that was
// never purged, truncating at or below the first index removes every entry,
// and the log takes entries at a higher term from there, across a reopen.
func TestTruncateAtFirstIndexOfNeverPurgedLog(t *testing.T) {
	for _, tc := range []struct {
		name      string
		first, at uint64
	}{
		{"at the first index 1", 1, 1},
		{"at 0, below the first index", 1, 0},
		{"below a first index of 5", 5, 3},
		{"at a first index of 5", 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := fs.NewMem()
			l, err := Open("/log", Config{FS: mem})
			require.NoError(t, err)
			for i := tc.first; i < tc.first+3; i++ {
				_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: i}, Payload: []byte("old")})
				require.NoError(t, err)
			}
			_, err = l.Truncate(tc.at)
			require.NoError(t, err)
			require.False(t, l.State().Last.IsSome(), "every entry is gone, so is the last id")
			_, err = l.LogIDAt(tc.first)
			require.ErrorIs(t, err, ErrPastEnd)

			_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 2, Index: tc.at}, Payload: []byte("new")})
			require.NoError(t, err)
			require.NoError(t, l.Close())

			l, err = Open("/log", Config{FS: mem})
			require.NoError(t, err)
			defer l.Close()
			var got []Entry[LogID, []byte]
			for e, err := range l.Read(tc.at, tc.at+1) {
				require.NoError(t, err)
				got = append(got, e)
			}
			require.Equal(t, []Entry[LogID, []byte]{{ID: LogID{Term: 2, Index: tc.at}, Payload: []byte("new")}}, got)
		})
	}
}

// A log with no last id (nothing appended) accepts any truncate as a no-op.
func TestTruncateOfEmptyLogIsNoop(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem()})
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Truncate(1)
	require.NoError(t, err)
	require.Equal(t, State[LogID, Vote, []byte]{}, l.State())
}

func TestLogIDAt(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem()})
	require.NoError(t, err)
	for i := uint64(1); i <= 6; i++ {
		_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1 + i/4, Index: i}, Payload: []byte("x")})
		require.NoError(t, err)
	}
	_, err = l.Purge(LogID{Term: 1, Index: 2})
	require.NoError(t, err)

	for i, want := range map[uint64]LogID{2: {1, 2}, 3: {1, 3}, 4: {2, 4}, 6: {2, 6}} {
		got, err := l.LogIDAt(i)
		require.NoError(t, err, "index %d", i)
		require.Equal(t, want, got, "index %d", i)
	}
	_, err = l.LogIDAt(1)
	require.ErrorIs(t, err, ErrPurged)
	var re *RangeError
	require.ErrorAs(t, err, &re)
	require.Equal(t, uint64(3), re.First)
	_, err = l.LogIDAt(7)
	require.ErrorIs(t, err, ErrPastEnd)

	require.NoError(t, l.Close())
	_, err = l.LogIDAt(3)
	require.ErrorIs(t, err, ErrClosed)
}
