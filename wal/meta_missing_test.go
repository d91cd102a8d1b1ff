package wal

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAMissingMetaIsRefusedBeforeAnyChange: a log that must have META
// (here, one whose newest chunk is what a crash during a rotation leaves,
// which recovery would otherwise remove) and has none is refused before
// recovery changes anything: every chunk file is still there, unchanged.
func TestAMissingMetaIsRefusedBeforeAnyChange(t *testing.T) {
	img, l, _, names := interruptedRotation(t, ChunkHeaderSize)
	require.NoError(t, img.Remove(filepath.Join("/wal", MetaFileName)))
	before := map[string][]byte{}
	for _, n := range names {
		before[n] = readFile(t, img, "/wal/"+n)
	}

	err := l.on(t, img).reopen()
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptionError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, filepath.Join("/wal", MetaFileName), ce.File)
	require.Equal(t, names, chunkNames(t, img, "/wal"))
	for _, n := range names {
		require.Equal(t, before[n], readFile(t, img, "/wal/"+n), n)
	}
}
