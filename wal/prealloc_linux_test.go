package wal

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestPreallocate: on Linux, Preallocate reserves ChunkMaxBytes of disk for
// each new chunk without changing its size, so recovery sees no zero tail.
func TestPreallocate(t *testing.T) {
	const max = 1 << 20
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := openTest(t, fs.OS(), Config{Dir: t.TempDir(), ChunkMaxBytes: max, Preallocate: true, Logger: logger})
	big := string(bytes.Repeat([]byte("p"), 100<<10))
	l.append(big, big, big, big, big, big, big, big, big, big, big, big) // 1.2 MiB: one rotation
	l.sync()
	st := l.w.Stat()
	require.Len(t, st.Closed, 1)
	requireFilesMatch(t, l) // sizes are the data's, not the reservation's
	fi, err := os.Stat(l.path(st.Open.ID))
	require.NoError(t, err)
	blocks := fi.Sys().(*syscall.Stat_t).Blocks * 512
	require.GreaterOrEqual(t, blocks, int64(max), "the open chunk has %d bytes of disk reserved, want at least ChunkMaxBytes %d", blocks, max)
	want := slices.Clone(l.sm.recs)
	l.close()
	require.NotContains(t, logs.String(), "preallocation failed")
	require.NoError(t, l.reopen())
	require.Equal(t, want, l.sm.recs)
	require.Zero(t, l.w.Stat().Dropped)
	l.close()
}
