package raftlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// A version 1 log has no seals and no META, so recovery cannot take an
// unsealed predecessor or a missing META as proof that a chunk with a
// damaged head never held anything acknowledged. These tests damage the
// head of a version 1 chunk that holds acknowledged entries, at rest, and
// require Open to refuse with ErrCorrupt and leave the file in place: it
// used to remove the chunk as one whose creation a crash cut short, and open
// a shorter (or empty) log without an error.

// v1HeadDamage are offsets in a chunk's head: the version in the header,
// bytes of the checkpoint's length (which say where the records after it
// start), the checkpoint's body and its checksum. v1HeadDamageMask flips
// two bits of the byte there: in the length's top byte, the top bit, which
// puts the length over any limit.
var v1HeadDamage = map[string]func(cpEnd int64) int64{
	"header":                   func(int64) int64 { return 9 },
	"checkpoint length":        func(int64) int64 { return v1CheckpointAt },
	"checkpoint length byte 2": func(int64) int64 { return v1CheckpointAt + 1 },
	"checkpoint length byte 4": func(int64) int64 { return v1CheckpointAt + 3 },
	"checkpoint body":          func(cpEnd int64) int64 { return cpEnd - codec.TrailerSize - 1 },
	"checkpoint checksum":      func(cpEnd int64) int64 { return cpEnd - 2 },
}

const v1HeadDamageMask = 0x81

// v1MarkerSize is the framed size of a synced marker (a body of two
// uint64s); v1CheckpointAt is where a chunk's checkpoint frame starts,
// after the header and the head's marker.
const (
	v1MarkerSize   = codec.HeaderSize + 16 + codec.TrailerSize
	v1CheckpointAt = wal.ChunkHeaderSize + v1MarkerSize
)

// v1Newest is the newest chunk of the golden version 1 log: it holds entry
// (2,7) and a clean Close's closing marker.
const v1Newest = "r-00_000_000_000_000_000_648.wal"

// goldenV1 copies the golden version 1 log into a new fs.Mem, durably, the
// newest chunk's bytes passed through edit.
func goldenV1(t *testing.T, edit func(newest []byte) []byte) *fs.Mem {
	t.Helper()
	m := fs.NewMem()
	require.NoError(t, m.MkdirAll(seedDir, 0o755))
	for name, b := range goldenWALFiles(t, filepath.Join(goldenRoot, "v1")) {
		if name == v1Newest {
			b = edit(b)
		}
		f, err := m.OpenFile(path.Join(seedDir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		require.NoError(t, err)
		_, err = f.Write(b)
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		require.NoError(t, f.Close())
	}
	require.NoError(t, m.SyncDir(seedDir))
	require.NoError(t, m.SyncDir(path.Dir(seedDir)))
	return m
}

// Without its closing marker (a log that crashed), the newest chunk's only
// evidence of use is entry (2,7), right after its checkpoint.
func TestV1NewestChunkWithADamagedHeadIsNotAnInterruptedRotation(t *testing.T) {
	for what, at := range v1HeadDamage {
		for _, closing := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/closing marker=%v", what, closing), func(t *testing.T) {
				m := goldenV1(t, func(b []byte) []byte {
					if !closing {
						b = b[:len(b)-v1MarkerSize]
					}
					b[at(checkpointEnd(t, b))] ^= v1HeadDamageMask
					return b
				})
				testV1RefusesDamagedHead(t, m, v1Newest)
			})
		}
	}
}

func TestV1FirstChunkWithADamagedHeadIsNotATornCreation(t *testing.T) {
	for what, at := range v1HeadDamage {
		for _, markers := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/markers=%v", what, markers), func(t *testing.T) {
				testV1FirstChunkWithADamagedHead(t, at, markers)
			})
		}
	}
}

// testV1FirstChunkWithADamagedHead writes 5 acknowledged entries, rewrites
// the only chunk as version 1 (keeping the synced markers after its head
// only with markers: without them, only the records right after the
// checkpoint say the chunk was in use), and damages its head at at(the end
// of its checkpoint).
func testV1FirstChunkWithADamagedHead(t *testing.T, at func(int64) int64, markers bool) {
	m := closedLogOf(t, 5)
	first := wal.ChunkName(0)
	v1, cpEnd := v1Chunk(t, m, first, markers)
	require.NoError(t, fs.WriteFile(m, path.Join(seedDir, first), v1, 0o644))
	names, err := m.ReadDir(seedDir)
	require.NoError(t, err)
	for _, n := range names {
		if n == wal.MetaFileName || strings.HasSuffix(n, ".idx") {
			require.NoError(t, m.Remove(path.Join(seedDir, n)))
		}
	}
	// Intact, it opens as the version 1 log it now is.
	intact := m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashProcess)
	l, err := Open(seedDir, Config{FS: intact, MustExist: true})
	require.NoError(t, err)
	require.Equal(t, Some(LogID{Term: 1, Index: 5}), l.State().Last)
	require.NoError(t, l.Close())

	require.NoError(t, m.Corrupt(path.Join(seedDir, first), at(cpEnd), v1HeadDamageMask))
	testV1RefusesDamagedHead(t, m, first)
}

// closedLogOf returns an fs.Mem holding a log in seedDir of n entries (1,
// 1..n), synced and closed.
func closedLogOf(t *testing.T, n int) *fs.Mem {
	t.Helper()
	m := fs.NewMem()
	l := seedOpen(t, m, Config{})
	seedAppend(t, l, cxEnts(1, 1, n)...)
	require.NoError(t, l.Sync())
	require.NoError(t, l.Close())
	return m
}

// testV1RefusesDamagedHead opens the log in m and requires ErrCorrupt with
// chunk file name still there.
func testV1RefusesDamagedHead(t *testing.T, m *fs.Mem, name string) {
	t.Helper()
	l, err := Open(seedDir, Config{FS: m, MustExist: true})
	if err == nil {
		st := l.State()
		l.Close()
		t.Fatalf("opened with the head of %s damaged: %+v, cuts %+v", name, st, l.Recovery().Cuts)
	}
	require.True(t, errors.Is(err, wal.ErrCorrupt), "error %v", err)
	_, err = m.Stat(path.Join(seedDir, name))
	require.NoError(t, err, "recovery removed %s", name)
}

// checkpointEnd is the file offset where the checkpoint of the chunk b
// ends: a header, a synced marker, then the checkpoint's frame.
func checkpointEnd(t *testing.T, b []byte) int64 {
	t.Helper()
	at := wal.ChunkHeaderSize
	for range 2 { // the marker, then the checkpoint
		n, _, err := codec.ParseHeader(b[at:], 0)
		require.NoError(t, err)
		at += codec.RecordSize(n)
	}
	return int64(at)
}

// v1Chunk rewrites the version 2 chunk name as version 1 would have written
// it: version 1 and no salt in its header, unseeded checksums, no zeros
// after its records; without markers, the synced markers after the head's
// own are left out. It returns the bytes and where its checkpoint ends.
func v1Chunk(t *testing.T, m *fs.Mem, name string, markers bool) ([]byte, int64) {
	t.Helper()
	b, err := fs.ReadFile(m, path.Join(seedDir, name))
	require.NoError(t, err)
	out := append([]byte(nil), b[:wal.ChunkHeaderSize]...)
	binary.LittleEndian.PutUint16(out[8:], 1)
	clear(out[20:28])
	binary.LittleEndian.PutUint32(out[28:], codec.Checksum(out[:28]))
	cpEnd := checkpointEnd(t, b)
	for off := wal.ChunkHeaderSize; off+codec.HeaderSize <= len(b); {
		n, kind, err := codec.ParseHeader(b[off:], 0)
		require.NoError(t, err)
		if n == 0 && kind == 0 {
			break // the zeros written ahead
		}
		end := off + codec.HeaderSize + n
		if markers || kind != v1SyncedKind || off < int(cpEnd) {
			out = binary.LittleEndian.AppendUint32(append(out, b[off:end]...), codec.Checksum(b[off:end]))
		}
		off = end + codec.TrailerSize
	}
	return out, cpEnd
}

// v1SyncedKind is the record kind of a synced marker.
const v1SyncedKind codec.Kind = 3

// TestV1TornHeadIsStillAnInterruptedRotation: what a crash leaves of a
// head being written (the newest chunk cut inside its checkpoint, followed
// by nothing, by zeros or by stale bytes) is still removed, and the log
// opens as it was before that chunk.
func TestV1TornHeadIsStillAnInterruptedRotation(t *testing.T) {
	stale := make([]byte, 4096) // what blocks given to the file but never written may hold
	rng := rand.New(rand.NewPCG(3, 4))
	for k := range stale {
		stale[k] = byte(rng.Uint32())
	}
	for what, after := range map[string][]byte{"nothing": nil, "zeros": make([]byte, 4096), "stale bytes": stale} {
		m := goldenV1(t, func(b []byte) []byte { return append(b[:checkpointEnd(t, b)-10], after...) })
		l, err := Open(seedDir, Config{FS: m})
		require.NoError(t, err, "followed by %s", what)
		require.Equal(t, Some(LogID{Term: 2, Index: 6}), l.State().Last, "followed by %s", what)
		cuts := l.Recovery().Cuts
		require.Len(t, cuts, 1)
		require.Contains(t, cuts[0].Reason, "interrupted")
		require.NoError(t, l.Close())
	}
}

// TestTornHeadOverStaleVersion1BytesIsStillTorn: a power loss can leave, in
// a chunk whose head never landed, a stale sector of any file; the first
// sector of another version 1 chunk holds a header, a checkpoint and a
// record whose checksum binds no place, so they verify anywhere. Such a
// chunk is still what a crash left of a head being written: the new chunk
// of the rotation that upgrades a version 1 log (removed, the log opens as
// it was), and the first chunk of a new log (removed, the log opens empty).
func TestTornHeadOverStaleVersion1BytesIsStillTorn(t *testing.T) {
	old, err := os.ReadFile(filepath.Join(goldenRoot, "v1", "r-00_000_000_000_000_000_196.wal"))
	require.NoError(t, err)
	stale := old[:fs.SectorSize]

	t.Run("upgrade rotation", func(t *testing.T) {
		var next uint64
		m := goldenV1(t, func(b []byte) []byte { next = 648 + uint64(len(b)); return b })
		require.NoError(t, fs.WriteFile(m, path.Join(seedDir, wal.ChunkName(next)), stale, 0o644))
		l, err := Open(seedDir, Config{FS: m})
		require.NoError(t, err)
		require.Equal(t, Some(LogID{Term: 2, Index: 7}), l.State().Last)
		require.NoError(t, l.Close())
	})
	t.Run("new log", func(t *testing.T) {
		m := fs.NewMem()
		require.NoError(t, m.MkdirAll(seedDir, 0o755))
		require.NoError(t, fs.WriteFile(m, path.Join(seedDir, wal.ChunkName(0)), stale, 0o644))
		l, err := Open(seedDir, Config{FS: m})
		require.NoError(t, err)
		require.False(t, l.State().Last.IsSome())
		require.NoError(t, l.Close())
	})
}

// TestACrashWhileUpgradingAVersion1LogLosesNothing opens the golden
// version 1 log and appends and syncs entries over several rotations (Open
// writes META, seals the version 1 chunk and starts one of version 2; the
// rotations after it make more), halting the machine at every step and
// crashing there: every crash image opens with every entry of the version
// 1 log, and with the new entries once their Sync returned.
func TestACrashWhileUpgradingAVersion1LogLosesNothing(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(goldenRoot, "v1", "dump.txt"))
	require.NoError(t, err)
	old := strings.Split(strings.TrimSpace(string(want)), "\n")[1:]
	var added []string
	for k, finished := uint64(0), false; !finished; k++ {
		m := goldenV1(t, func(b []byte) []byte { return b })
		m.HaltAfter(k)
		acked := false
		l, err := Open(seedDir, Config{FS: m, ChunkMaxRecords: 5})
		if err == nil {
			added = added[:0]
			for i := uint64(8); i <= 20 && err == nil; i++ {
				_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 3, Index: i}, Payload: fmt.Appendf(nil, "new-%d", i)})
				added = append(added, fmt.Sprintf("{Term:3 Index:%d}: new-%d", i, i))
			}
			if err == nil {
				err = l.Sync()
			}
			acked = err == nil && !m.Halted()
			l.Close()
		}
		finished = acked
		for seed := range uint64(20) {
			for _, mode := range []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered} {
				replay := fmt.Sprintf("halted after %d operations, %v crash, seed %d", k, mode, seed)
				l, err := Open(seedDir, Config{FS: m.Crash(rand.New(rand.NewPCG(k, seed)), mode)})
				require.NoError(t, err, replay)
				got := goldenDump(t, l)
				require.NoError(t, l.Close())
				for _, e := range old {
					require.Contains(t, got, e+"\n", replay)
				}
				if acked {
					for _, e := range added {
						require.Contains(t, got, e+"\n", replay)
					}
				}
			}
		}
	}
}

// TestV1LostFirstSectorIsReportedAsACut pins a limit docs/durability.md
// states: with both the header and the first marker of a version 1 log's
// newest chunk damaged, nothing binds what follows to the chunk, so it is
// removed like a rotation a crash cut short, and the cut is reported.
func TestV1LostFirstSectorIsReportedAsACut(t *testing.T) {
	m := goldenV1(t, func(b []byte) []byte {
		clear(b[:wal.ChunkHeaderSize+v1MarkerSize])
		return b
	})
	l, err := Open(seedDir, Config{FS: m})
	require.NoError(t, err)
	require.Equal(t, Some(LogID{Term: 2, Index: 6}), l.State().Last)
	cuts := l.Recovery().Cuts
	require.Len(t, cuts, 1)
	require.Equal(t, path.Join(seedDir, v1Newest), cuts[0].File)
	require.NoError(t, l.Close())
}
