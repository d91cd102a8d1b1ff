package wal

import (
	"errors"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestLock: a second Open of a directory in use fails with fs.ErrLocked
// (and leaves the first log working); after Close, Open succeeds.
func TestLock(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fs.FS
		dir  string
	}{
		{"mem", fs.NewMem(), "/wal"},
		{"os", fs.OS(), t.TempDir()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := openTest(t, tc.fs, Config{Dir: tc.dir})
			l.append("a")
			l.sync()
			for i := 0; i < 2; i++ {
				sm := &testSM{}
				w2, err := Open(Config{Dir: tc.dir, FS: tc.fs}, codec.String, sm)
				require.Error(t, err, "second Open of %s while open", tc.dir)
				require.Nil(t, w2)
				require.True(t, errors.Is(err, fs.ErrLocked), "want fs.ErrLocked, got %v", err)
				require.Empty(t, sm.recs, "a refused Open must not replay")
			}
			// The first log is unaffected.
			l.append("b")
			l.sync()
			l.close()

			require.NoError(t, l.reopen(), "Open after Close")
			require.Equal(t, []string{"a", "b"}, l.sm.recs)
			l.close()
			require.NoError(t, l.reopen(), "Open after a second Close")
			l.close()
		})
	}
}
