package wal

import (
	"os"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestIndexFileWrittenInParts: the file write puts down in three parts (the
// summary in place) is byte for byte the encoding decodeIndex reads back.
func TestIndexFileWrittenInParts(t *testing.T) {
	m := fs.NewMem()
	x := indexFile{chunk: 4096, salt: 7, end: 5000, start: 32, records: 9, summary: []byte("a summary of a few bytes")}
	f, err := m.OpenFile("/x.idx", os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	require.NoError(t, x.write(f))
	require.NoError(t, f.Close())
	got, err := fs.ReadFile(m, "/x.idx")
	require.NoError(t, err)
	require.Equal(t, x.encode(), got)
	back, err := decodeIndex(got)
	require.NoError(t, err)
	require.Equal(t, x, back)
}
