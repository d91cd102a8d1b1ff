package raftlog

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// readCounter is an fs.FS that counts the bytes read from chunk files.
type readCounter struct {
	fs.FS
	chunkBytes atomic.Int64
}

func (c *readCounter) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".wal") {
		return f, err
	}
	return &countedFile{File: f, n: &c.chunkBytes}, nil
}

type countedFile struct {
	fs.File
	n *atomic.Int64
}

func (f *countedFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.n.Add(int64(n))
	return n, err
}

func (f *countedFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	f.n.Add(int64(n))
	return n, err
}

// summaryLog writes a log of many chunks with every kind of operation, and
// closes it.
func summaryLog(t *testing.T, m *fs.Mem) Config {
	t.Helper()
	cfg := Config{FS: m, ChunkMaxRecords: 10}
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	g := &cxGen{t: t, l: l, rng: rand.New(rand.NewPCG(7, 42)), term: 1, maxBatch: 12}
	for range 1500 {
		g.step()
	}
	require.NoError(t, l.Close())
	return cfg
}

// readAllSnapshot is the log in cfg's directory as a full replay
// (Config.ReadAll) opens it.
func readAllSnapshot(t *testing.T, cfg Config) cxSnap {
	t.Helper()
	cfg.ReadAll = true
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	defer l.Close()
	return cxSnapshot(t, l)
}

// TestOpenReadsIndexFilesNotChunks: after a clean Close, every chunk has an
// index file, and Open reads of the chunk files only their headers and
// seals, yet opens to the log that a full replay (ReadAll) gives.
func TestOpenReadsIndexFilesNotChunks(t *testing.T) {
	m := fs.NewMem()
	cfg := summaryLog(t, m)
	names, err := m.ReadDir("/log")
	require.NoError(t, err)
	var chunks int
	for _, n := range names {
		if id, ok := wal.ParseChunkName(n); ok {
			chunks++
			require.Contains(t, names, wal.IndexName(id), "chunk %s has an index file", n)
		}
	}
	require.Greater(t, chunks, 5)

	want := readAllSnapshot(t, cfg)

	rc := &readCounter{FS: m}
	cfg.FS = rc
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	read := rc.chunkBytes.Load()
	require.LessOrEqual(t, read, int64(chunks*(wal.ChunkHeaderSize+41)), "Open read %d bytes of %d chunk files", read, chunks)
	cxRequireSameSnap(t, want, cxSnapshot(t, l), "the log from its index files")
	require.NoError(t, l.Close())
}

// TestIndexFileDamageFallsBack: an index file that is missing, cut, damaged,
// or another chunk's is not used: Open reads that chunk instead, and the
// log is the same.
func TestIndexFileDamageFallsBack(t *testing.T) {
	for _, damage := range []string{"remove", "cut", "flip", "swap", "empty"} {
		t.Run(damage, func(t *testing.T) {
			m := fs.NewMem()
			cfg := summaryLog(t, m)
			want := readAllSnapshot(t, cfg)

			var idx []string
			names, _ := m.ReadDir("/log")
			for _, n := range names {
				if strings.HasSuffix(n, ".idx") {
					idx = append(idx, filepath.Join("/log", n))
				}
			}
			require.Greater(t, len(idx), 2)
			victim := idx[len(idx)/2]
			b, err := fs.ReadFile(m, victim)
			require.NoError(t, err)
			switch damage {
			case "remove":
				require.NoError(t, m.Remove(victim))
			case "cut":
				require.NoError(t, fs.WriteFile(m, victim, b[:len(b)/2], 0o644))
			case "flip":
				b[len(b)/2] ^= 0x10
				require.NoError(t, fs.WriteFile(m, victim, b, 0o644))
			case "swap":
				other, err := fs.ReadFile(m, idx[0])
				require.NoError(t, err)
				require.NoError(t, fs.WriteFile(m, victim, other, 0o644))
			case "empty":
				require.NoError(t, fs.WriteFile(m, victim, nil, 0o644))
			}
			l, err := Open("/log", cfg)
			require.NoError(t, err)
			cxRequireSameSnap(t, want, cxSnapshot(t, l), "after the index file %s was damaged (%s)", victim, damage)
			require.NoError(t, l.Close())
		})
	}
}

// TestStaleIndexOfLastChunk: the index file a Close wrote for the last chunk
// no longer describes it once the log is written again; after a crash
// (no Close) Open replays that chunk, and every entry written is there.
func TestStaleIndexOfLastChunk(t *testing.T) {
	m := fs.NewMem()
	cfg := Config{FS: m, ChunkMaxRecords: 1000}
	l, err := Open("/log", cfg)
	require.NoError(t, err)
	cxAppendEach(t, l, cxEnts(1, 1, 10)...)
	require.NoError(t, l.Close())
	require.Contains(t, files(t, m), wal.IndexName(0))

	l, err = Open("/log", cfg)
	require.NoError(t, err)
	cxAppendEach(t, l, cxEnts(1, 11, 20)...)
	require.NoError(t, l.Sync())
	want := cxSnapshot(t, l)
	crashed := m.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
	require.NoError(t, l.Close())

	cfg.FS = crashed
	l, err = Open("/log", cfg)
	require.NoError(t, err)
	cxRequireSameSnap(t, want, cxSnapshot(t, l), "after a crash, with the last chunk's index file from an earlier Close")
	require.NoError(t, l.Close())
}

// FuzzApplySummary: a summary of any bytes is refused or applied, never a
// panic; a refused one changes nothing.
func FuzzApplySummary(f *testing.F) {
	m := fs.NewMem()
	cfg := Config{FS: m, ChunkMaxRecords: 5}
	l, err := Open("/log", cfg)
	if err != nil {
		f.Fatal(err)
	}
	for i := uint64(1); i <= 12; i++ {
		if _, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1 + i/6, Index: i}, Payload: fmt.Appendf(nil, "p%d", i)}); err != nil {
			f.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		f.Fatal(err)
	}
	names, _ := m.ReadDir("/log")
	for _, n := range names {
		if strings.HasSuffix(n, ".idx") {
			b, _ := fs.ReadFile(m, filepath.Join("/log", n))
			if len(b) > 60 {
				f.Add(b[56 : len(b)-4]) // the summary inside the index file
			}
		}
	}
	// Version 1 summaries, as the first logs of format 2 hold them.
	v1, _ := filepath.Glob(filepath.Join(goldenRoot, "v2", "*.idx"))
	for _, n := range v1 {
		b, _ := os.ReadFile(n)
		if len(b) > 60 {
			f.Add(b[56 : len(b)-4])
		}
	}
	f.Add([]byte{summaryVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		fresh := &Log[LogID, []byte, Vote, []byte]{t: DefaultTypes}
		fresh.idx.withIndex = DefaultTypes.WithIndex
		fresh.idx.same = func(a, b LogID) bool { return a == b }
		if err := (machine[LogID, []byte, Vote, []byte]{fresh}).ApplySummary(b, 0); err != nil {
			require.Zero(t, fresh.idx.n, "a refused summary changes nothing")
			return
		}
		// An applied one holds records within the chunk's 32 bits, each
		// ending at or before the next.
		x := &fresh.idx
		for i := x.first; i < x.end(); i++ {
			p := x.pos(i)
			require.NotZero(t, p.Size, "entry %d", i)
			require.LessOrEqual(t, p.End(), uint64(1)<<32, "entry %d", i)
			if i+1 < x.end() {
				require.LessOrEqual(t, p.End(), x.pos(i+1).Offset, "entry %d", i)
			}
		}
	})
}

// TestDamagedNewestChunkIsNeverLostAfterAWrite: the newest chunk of a
// cleanly closed log is damaged at rest, with its size unchanged: zeroed or
// overwritten with garbage from an entry to its end, or in the middle with
// its end intact. The default Open may take the chunk from its index file
// without reading it; the first write then marks META open, and a crash
// before that write is durable makes the next Open replay the chunk. In
// every crash mode that Open fails with a corruption error or holds every
// entry the log acknowledged (each read back whole or refused as corrupt):
// never a shorter log.
func TestDamagedNewestChunkIsNeverLostAfterAWrite(t *testing.T) {
	const synced = 20
	for _, tc := range []struct {
		name   string
		damage func(b []byte, off int64)
	}{
		{"zeros to the end", func(b []byte, off int64) { clear(b[off:]) }},
		{"garbage to the end", func(b []byte, off int64) {
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range b[off:] {
				b[off+int64(i)] = byte(rng.Uint32())
			}
		}},
		{"a record zeroed", func(b []byte, off int64) { clear(b[off : off+8]) }},
		{"a bit flipped", func(b []byte, off int64) { b[off+6] ^= 0x10 }},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "-"), func(t *testing.T) {
			m := fs.NewMem()
			cfg := Config{FS: m}
			l, err := Open("/log", cfg)
			require.NoError(t, err)
			cxAppendEach(t, l, cxEnts(1, 1, synced)...)
			require.NoError(t, l.Sync())
			path, off, _ := cxRecordSpot(l, 15)
			require.NoError(t, l.Close())
			b, err := fs.ReadFile(m, path)
			require.NoError(t, err)
			tc.damage(b, off)
			f, err := m.OpenFile(path, os.O_RDWR, 0) // in place, durably: damage at rest
			require.NoError(t, err)
			_, err = f.WriteAt(b, 0)
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			require.NoError(t, f.Close())

			l, err = Open("/log", cfg)
			if err != nil {
				require.ErrorIs(t, err, ErrCorrupt)
				return
			}
			defer l.Close()
			cxAppendEach(t, l, cxEnt(1, synced+1))
			require.NoError(t, l.Flush(false, nil))
			require.NoError(t, l.WaitIdle())
			for seed := range uint64(30) {
				mode := []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered}[seed%3]
				img := cfg
				img.FS = m.Crash(rand.New(rand.NewPCG(seed, 3)), mode)
				l2, err := Open("/log", img)
				if err != nil {
					require.ErrorIs(t, err, ErrCorrupt, "seed %d, %v", seed, mode)
					continue
				}
				last, _ := l2.State().Last.Get()
				require.GreaterOrEqual(t, last.Index, uint64(synced), "seed %d, %v: the log opened shorter, with %v", seed, mode, l2.Recovery())
				for i := uint64(1); i <= synced; i++ {
					for e, err := range l2.Read(i, i+1) {
						if err != nil {
							require.ErrorIs(t, err, ErrCorrupt, "entry %d", i)
						} else {
							require.Empty(t, cxCheckEntry(e, i))
						}
					}
				}
				require.NoError(t, l2.Close())
			}
		})
	}
}

// TestSummaryPositionsRefused: positions that a wrapping sum would let
// through, or that break the layout, are refused (Open then replays the
// chunk), in both versions; nothing is applied.
func TestSummaryPositionsRefused(t *testing.T) {
	u32s := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = appendU32(b, v)
		}
		return b
	}
	uvs := func(vs ...uint64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	for name, c := range map[string]struct {
		version byte
		pos     []byte
	}{
		"v2 gap size wraps":           {2, append(u32s(16, 64), uvs(1, 0, 1<<64-11, 10)...)},
		"v2 last size wraps":          {2, append(u32s(16, 64), uvs(0, 1<<64-54)...)},
		"v2 last size past 32 bits":   {2, append(u32s(16, 64), uvs(0, 1<<32)...)},
		"v2 gap past the next offset": {2, append(u32s(16, 64), uvs(1, 0, 49, 10)...)},
		"v2 offsets not increasing":   {2, append(u32s(64, 16), uvs(0, 10)...)},
		"v2 size 0":                   {2, append(u32s(16, 64), uvs(0, 0)...)},
		"v2 bytes left over":          {2, append(u32s(16, 64), uvs(0, 10, 7)...)},
		"v1 size past the next":       {1, u32s(16, 64, 49, 10)},
		"v1 size 0":                   {1, u32s(16, 64, 0, 10)},
		"v1 last size wraps":          {1, u32s(16, 1<<32-8, 48, 10)},
	} {
		t.Run(name, func(t *testing.T) {
			l := &Log[LogID, []byte, Vote, []byte]{t: DefaultTypes}
			l.idx.withIndex, l.idx.same = DefaultTypes.WithIndex, func(a, b LogID) bool { return a == b }
			st, err := recordCodec[LogID, []byte, Vote, []byte]{t: &l.t}.Append(nil, record[LogID, []byte, Vote, []byte]{op: opState, state: &State[LogID, Vote, []byte]{}})
			require.NoError(t, err)
			b := []byte{c.version}
			b = binary.AppendUvarint(b, uint64(len(st)))
			b = append(b, st...)
			b = binary.LittleEndian.AppendUint64(b, 1) // held
			b = binary.LittleEndian.AppendUint64(b, 2) // count
			b = binary.LittleEndian.AppendUint64(b, 1) // first
			b = binary.LittleEndian.AppendUint64(b, 2) // n
			b = binary.AppendUvarint(b, 1)             // one run of ids
			b = binary.LittleEndian.AppendUint64(b, 1)
			id, err := LogIDCodec.Append(nil, LogID{Term: 1, Index: 1})
			require.NoError(t, err)
			b = binary.AppendUvarint(b, uint64(len(id)))
			b = append(b, id...)
			good := append(slices.Clone(b), u32s(16, 64)...)
			if c.version == 1 {
				good = append(good, u32s(48, 10)...)
			} else {
				good = append(good, uvs(0, 10)...)
			}
			require.NoError(t, machine[LogID, []byte, Vote, []byte]{l}.ApplySummary(good, 0), "the well-formed variant applies")
			require.Equal(t, wal.Position{Offset: 16, Size: 48}, l.idx.pos(1))
			require.Equal(t, wal.Position{Offset: 64, Size: 10}, l.idx.pos(2))

			fresh := &Log[LogID, []byte, Vote, []byte]{t: DefaultTypes}
			fresh.idx.withIndex, fresh.idx.same = l.idx.withIndex, l.idx.same
			err = machine[LogID, []byte, Vote, []byte]{fresh}.ApplySummary(append(b, c.pos...), 0)
			require.ErrorIs(t, err, errSummary)
			require.Zero(t, fresh.idx.n, "a refused summary applies nothing")
		})
	}
}

// TestSummaryMatchesTheIndex: the summaries a seal writes, read from the
// index's blocks, runs and gaps a block at a time, give Open exactly the
// index that a full replay builds, entry by entry (id and position), with
// and without Types.WithIndex, over a history of batches that cross chunk
// boundaries, votes and commits between entries, truncates and purges.
func TestSummaryMatchesTheIndex(t *testing.T) {
	plain := DefaultTypes
	plain.WithIndex = nil
	for name, types := range map[string]Types[LogID, []byte, Vote, []byte]{"WithIndex": DefaultTypes, "an id per entry": plain} {
		for _, chunkRecords := range []int{10, 60} {
			t.Run(fmt.Sprintf("%s/%d records a chunk", name, chunkRecords), func(t *testing.T) {
				testSummaryMatchesTheIndex(t, types, chunkRecords)
			})
		}
	}
}

func testSummaryMatchesTheIndex(t *testing.T, types Types[LogID, []byte, Vote, []byte], chunkRecords int) {
	m := fs.NewMem()
	cfg := Config{FS: m, ChunkMaxRecords: chunkRecords}
	type entry struct {
		id  LogID
		pos wal.Position
	}
	// reopened is the index of the log opened with cfg: its first index and
	// every entry's id and position.
	reopened := func(cfg Config) (uint64, []entry) {
		l, err := OpenWith("/log", types, cfg)
		require.NoError(t, err)
		defer func() { require.NoError(t, l.Close()) }()
		x := &l.idx
		var es []entry
		for i := x.first; i < x.end(); i++ {
			es = append(es, entry{x.id(i), x.pos(i)})
		}
		return x.first, es
	}
	l, err := OpenWith("/log", types, cfg)
	require.NoError(t, err)
	g := &cxGen{t: t, l: l, rng: rand.New(rand.NewPCG(11, 3)), term: 1, maxBatch: 25}
	compared := 0
	for round := range 20 {
		for range 100 {
			g.step()
		}
		require.NoError(t, g.l.Close())

		full := cfg
		full.ReadAll = true
		wantFirst, want := reopened(full)
		rc := &readCounter{FS: m}
		withSummaries := cfg
		withSummaries.FS = rc
		gotFirst, got := reopened(withSummaries)
		require.Less(t, rc.chunkBytes.Load(), int64(8<<10), "round %d: Open took the chunks from their summaries", round)
		require.Equal(t, wantFirst, gotFirst, "round %d", round)
		require.Equal(t, len(want), len(got), "round %d", round)
		for k := range want {
			require.Equal(t, want[k], got[k], "round %d: entry %d", round, wantFirst+uint64(k))
		}
		compared += len(want)

		g.l, err = OpenWith("/log", types, cfg)
		require.NoError(t, err)
	}
	require.NoError(t, g.l.Close())
	require.Greater(t, compared, 500)
}
