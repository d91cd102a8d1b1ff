package wal

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// metaOf writes b as the META file of a new directory and reads it back.
func metaOf(t testing.TB, b []byte) (meta, bool, error) {
	m := fs.NewMem()
	require.NoError(t, m.MkdirAll("/log", 0o755))
	require.NoError(t, fs.WriteFile(m, "/log/"+MetaFileName, b, 0o644))
	return readMeta(m, "/log")
}

// withFields is META's encoding with its version and flags replaced, and
// its checksum made to match.
func withFields(m meta, version, flags uint16) []byte {
	b := m.encode()
	binary.LittleEndian.PutUint16(b[8:], version)
	binary.LittleEndian.PutUint16(b[10:], flags)
	binary.LittleEndian.PutUint32(b[len(b)-4:], codec.Checksum(b[:len(b)-4]))
	return b
}

// TestMetaStates: each state META can say reads back as written, a repair's
// as version 2 (which code reading version 1 only refuses); a version and
// flags that do not go together are damage, and an unknown version is
// *VersionError, naming META rather than a chunk.
func TestMetaStates(t *testing.T) {
	for _, m := range []meta{{}, {clean: true, last: 4096, salt: 7, end: 5000}, {repair: true, last: 2110, salt: 2628, end: 4273, mark: 31}} {
		b := m.encode()
		want := uint16(metaVersion)
		if m.repair {
			want = metaVersionRepair
		}
		require.Equal(t, want, binary.LittleEndian.Uint16(b[8:]))
		got, ok, err := metaOf(t, b)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, m, got)
	}
	for _, c := range []struct{ version, flags uint16 }{
		{metaVersion, metaFlagRepair}, {metaVersionRepair, 0}, {metaVersionRepair, metaFlagClean},
		{metaVersionRepair, metaFlagClean | metaFlagRepair}, {metaVersion, 4},
	} {
		_, _, err := metaOf(t, withFields(meta{}, c.version, c.flags))
		var ce *CorruptionError
		require.True(t, errors.As(err, &ce), "version %d flags %#x: %v", c.version, c.flags, err)
		require.ErrorIs(t, err, ErrCorrupt)
	}
	// The bytes are the format (docs/format.md): a log marked by this code
	// must read the same in every later one.
	for want, m := range map[string]meta{
		"524146544d45544102000200000000003e08000000000000440a000000000000b1100000000000001f000000000000002eb492e4": {repair: true, last: 2110, salt: 2628, end: 4273, mark: 31},
		"524146544d455441010001000000000000100000000000000700000000000000881300000000000093405a46":                 {clean: true, last: 4096, salt: 7, end: 5000},
	} {
		require.Equal(t, want, hex.EncodeToString(m.encode()))
	}
	damaged := meta{}.encode()
	damaged[8] = 3 // the version field, its checksum as it was
	_, _, err := metaOf(t, damaged)
	var ce *CorruptionError
	require.True(t, errors.As(err, &ce), "a damaged version field is damage: %v", err)
	_, _, err = metaOf(t, withFields(meta{}, 3, 0))
	var ve *VersionError
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Contains(t, err.Error(), "META has version 3, this code reads versions 1 and 2")
}

// FuzzReadMeta: any bytes as a META file give a typed error or a META that
// encodes back to the same bytes; nothing panics.
func FuzzReadMeta(f *testing.F) {
	for _, m := range []meta{{}, {clean: true, last: 4096, salt: 7, end: 5000}, {repair: true, last: 2110, salt: 2628, end: 4273, mark: 31}} {
		f.Add(m.encode())
	}
	f.Add([]byte("RAFTMETA"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok, err := metaOf(t, b)
		if err != nil {
			var ce *CorruptionError
			var ve *VersionError
			if !errors.As(err, &ce) && !errors.As(err, &ve) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if !ok || string(m.encode()) != string(b) {
			t.Fatalf("%x read as %+v, which encodes to %x", b, m, m.encode())
		}
	})
}
