package wal

import (
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

func TestAppendSyncReopen(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 5})
	in := recs("a", 12)
	pos := l.append(in...)
	require.NoError(t, l.w.Sync())
	for i, p := range pos {
		got, err := l.w.Load(p)
		require.NoError(t, err)
		require.Equal(t, in[i], got)
	}
	l.close()
	require.NoError(t, l.reopen())
	require.Equal(t, in, l.sm.recs)
	require.Equal(t, pos, l.sm.pos)
	for i, p := range pos {
		got, err := l.w.Load(p)
		require.NoError(t, err)
		require.Equal(t, in[i], got)
	}
	st := l.w.Stat()
	t.Logf("%+v", st)
	l.close()
}
