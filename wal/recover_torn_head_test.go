package wal

import (
	"fmt"
	"os"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestRecordAfterADamagedCheckpointLength damages each byte of the length
// of a version 1 checkpoint of any size (small, over 64 KiB, over 16 MiB
// so that the top byte matters) followed by a record, or by nothing: the
// record is found from the variant of the length that verifies, and
// nothing is found where there is nothing.
func TestRecordAfterADamagedCheckpointLength(t *testing.T) {
	cp := int64(ChunkHeaderSize + markerSize)
	for _, body := range []int{10, 70 << 10, 17 << 20} {
		for _, followed := range []bool{true, false} {
			b := codec.AppendRecord(make([]byte, cp), kindCheckpoint, make([]byte, body))
			if followed {
				b = codec.AppendRecord(b, kindRecord, []byte("entry"))
			}
			for at := range int64(4) {
				for _, mask := range []byte{0x01, 0x80} {
					what := fmt.Sprintf("body %d, followed %v, length byte %d ^ %#x", body, followed, at, mask)
					b[cp+at] ^= mask
					m := fs.NewMem()
					require.NoError(t, m.MkdirAll("/d", 0o755))
					require.NoError(t, fs.WriteFile(m, "/d/c", b, 0o644))
					b[cp+at] ^= mask
					f, err := m.OpenFile("/d/c", os.O_RDONLY, 0)
					require.NoError(t, err)
					sc := newChunkScan(f, 0, int64(len(b)), readLimit)
					sc.h = header{version: formatV1}
					found, err := recordAfterCheckpoint(sc, cp)
					require.NoError(t, err, what)
					require.Equal(t, followed, found, what)
					require.NoError(t, f.Close())
				}
			}
		}
	}
}

// TestRecordAtAWrongLengthVariantIsNotEvidence: an intact record where a
// one-byte variant of an intact checkpoint's length would end, with
// nothing after the checkpoint's real end, is not a record after the
// checkpoint: that variant's frame fails its checksum.
func TestRecordAtAWrongLengthVariantIsNotEvidence(t *testing.T) {
	cp := int64(ChunkHeaderSize + markerSize)
	b := codec.AppendRecord(make([]byte, cp), kindCheckpoint, make([]byte, 10))
	b = append(b, make([]byte, 16)...) // body 10 ^ 0x10 = 26: 16 bytes further
	b = codec.AppendRecord(b, kindRecord, []byte("entry"))
	m := fs.NewMem()
	require.NoError(t, m.MkdirAll("/d", 0o755))
	require.NoError(t, fs.WriteFile(m, "/d/c", b, 0o644))
	f, err := m.OpenFile("/d/c", os.O_RDONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	sc := newChunkScan(f, 0, int64(len(b)), readLimit)
	sc.h = header{version: formatV1}
	found, err := recordAfterCheckpoint(sc, cp)
	require.NoError(t, err)
	require.False(t, found)
}
