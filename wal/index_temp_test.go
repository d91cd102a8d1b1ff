package wal

import (
	"bytes"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestIndexTempsGoOnlyWithAnOpen: the copy an index write cut short by a
// crash leaves behind (NAME.idx.tmp) is removed by an Open that opens the
// log (not in Strict mode, which changes nothing), and left by an Open or
// a Repair that refuses the log: a refusal changes nothing in the
// directory (simulator seed 40003379, where a Repair refusing a log whose
// only chunk was gone removed it).
func TestIndexTempsGoOnlyWithAnOpen(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ChunkMaxRecords: 4})
	l.append(recs("r", 10)...)
	l.sync()
	temp := filepath.Join(l.cfg.Dir, "r-00_000_000_000_000_000_000.idx.tmp")
	require.NoError(t, fs.WriteFile(m, temp, []byte("cut short"), 0o644))
	img := clone(m)

	contents := func(fsys fs.FS) map[string][]byte {
		names, err := fsys.ReadDir(l.cfg.Dir)
		require.NoError(t, err)
		out := map[string][]byte{}
		for _, n := range names {
			out[n] = readFile(t, fsys, filepath.Join(l.cfg.Dir, n))
		}
		return out
	}
	for _, mode := range []RecoveryMode{TolerateTornTail, Strict, Repair} {
		t.Run(mode.String()+", the first chunk gone", func(t *testing.T) {
			gone := clone(img)
			require.NoError(t, gone.Remove(l.path(0)))
			before := contents(gone)
			lm := l.on(t, gone)
			lm.cfg.Recovery = mode
			require.ErrorIs(t, lm.reopen(), ErrMissingChunk)
			after := contents(gone)
			require.True(t, maps.EqualFunc(before, after, bytes.Equal),
				"a refused Open changed the directory: %v, then %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
		})
		t.Run(mode.String()+", whole", func(t *testing.T) {
			whole := clone(img)
			lm := l.on(t, whole)
			lm.cfg.Recovery = mode
			require.NoError(t, lm.reopen())
			defer lm.close()
			_, err := whole.Stat(temp)
			if mode == Strict {
				require.NoError(t, err, "Strict mode removed %s", temp)
			} else {
				require.ErrorIs(t, err, fs.ErrNotExist, "%s left after an Open", temp)
			}
		})
	}
}
