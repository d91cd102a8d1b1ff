package wal

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestTemporaryNameLinkedToMeta: a crash can keep the new name of META's
// rename and not the removal of the old one (the simulator's reordered
// power loss does), leaving META.tmp a second link to META. The next write
// of META must not write through that name: here it fails (ENOSPC), and the
// log, poisoned, must still reopen with META intact and every record.
func TestTemporaryNameLinkedToMeta(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, fs.OS(), Config{Dir: dir, ChunkMaxRecords: 3})
	l.append("a", "b", "c", "d")
	l.sync()
	l.close()
	acked := slices.Clone(l.sm.recs)
	meta := filepath.Join(dir, MetaFileName)
	require.NoError(t, os.Link(meta, meta+".tmp"))
	metaBytes, err := os.ReadFile(meta)
	require.NoError(t, err)

	ffs := faultinject.New(fs.OS(), faultinject.Options{Seed: 1},
		faultinject.Rule{Op: faultinject.OpWrite, Path: "META.tmp", Nth: 1})
	c := l.on(t, ffs)
	require.NoError(t, c.reopen())
	c.append("e")
	require.ErrorIs(t, c.w.Sync(), ErrPoisoned, "the write of META fails")
	require.ErrorIs(t, c.w.Close(), ErrPoisoned)
	got, err := os.ReadFile(meta)
	require.NoError(t, err)
	require.Equal(t, metaBytes, got, "META is untouched")

	d := l.on(t, fs.OS())
	require.NoError(t, d.reopen())
	require.Equal(t, acked, d.sm.recs)
	d.append("f")
	d.sync()
	d.close()
	require.NoError(t, d.reopen())
	require.Equal(t, append(acked, "f"), d.sm.recs)
	d.close()
}
