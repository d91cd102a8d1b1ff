package raftlog

// Shared fixtures and helpers of the seed's test suite (SPEC section 8,
// src/tests/sample_data.rs): build_sample_data, build_sample_data_purge_upto_3
// and golden-file handling.
//
// Golden files live under testdata/. Run
//
//	go test ./raftlog -run <Test> -update
//
// to rewrite them from what the code produces now, then review the diff
// before checking it in. (The format fixtures under testdata/golden/ follow a
// stricter rule: see golden_test.go.)

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from the current output")

// seedDir is where every test on fs.Mem keeps its log.
const seedDir = "/log"

type seedEnt = Entry[LogID, []byte]

// se builds an entry with the default types: log id (term, index), payload.
func se(term, index uint64, payload string) seedEnt {
	return seedEnt{ID: LogID{Term: term, Index: index}, Payload: []byte(payload)}
}

func slid(term, index uint64) LogID { return LogID{Term: term, Index: index} }

// seedOpen opens the log in seedDir on m with cfg (cfg.FS is set to m) and
// closes it at the end of the test if the test did not.
func seedOpen(t testing.TB, m *fs.Mem, cfg Config) *DefaultLog {
	t.Helper()
	cfg.FS = m
	if cfg.PreallocateBytes == 0 {
		// The seed's file layout: chunk files hold their records and
		// nothing else, so sizes and dumps compare exactly. Zeros written
		// ahead have tests of their own (package wal, the simulator).
		cfg.PreallocateBytes = -1
	}
	if cfg.Rand == nil {
		// Chunk salts from a fixed seed: dumps of damage (which print
		// checksums) are then the same on every run.
		cfg.Rand = rand.NewChaCha8([32]byte{1})
	}
	l, err := Open(seedDir, cfg)
	require.NoError(t, err, "Open(%s)", seedDir)
	t.Cleanup(func() {
		if err := l.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("closing the log at the end of the test: %v", err)
		}
	})
	return l
}

func seedAppend(t testing.TB, l *DefaultLog, entries ...seedEnt) {
	t.Helper()
	_, err := l.Append(entries...)
	require.NoError(t, err, "Append(%s)", seedFmtEntries(entries))
}

// seedReadAll collects Read(from, to): the entries read before the first error,
// and that error.
func seedReadAll(l *DefaultLog, from, to uint64) ([]seedEnt, error) {
	var got []seedEnt
	for en, err := range l.Read(from, to) {
		if err != nil {
			return got, err
		}
		got = append(got, en)
	}
	return got, nil
}

// seedRequireRead requires Read(from, to) to yield exactly want, without error.
func seedRequireRead(t testing.TB, l *DefaultLog, from, to uint64, want ...seedEnt) {
	t.Helper()
	got, err := seedReadAll(l, from, to)
	require.NoError(t, err, "Read(%d, %d)", from, to)
	require.Equal(t, seedFmtEntries(want), seedFmtEntries(got), "Read(%d, %d): expected vs actual entries", from, to)
}

// seedRequireReadErr requires Read(from, to) to fail with target before it yields
// any entry.
func seedRequireReadErr(t testing.TB, l *DefaultLog, from, to uint64, target error) {
	t.Helper()
	got, err := seedReadAll(l, from, to)
	require.ErrorIs(t, err, target, "Read(%d, %d)", from, to)
	require.Empty(t, got, "Read(%d, %d) must yield no entry before its error", from, to)
}

// seedFmtEntries renders entries one per line as "(term, index): payload".
func seedFmtEntries(es []seedEnt) string {
	var b strings.Builder
	for _, en := range es {
		fmt.Fprintf(&b, "%v: %s\n", en.ID, en.Payload)
	}
	return b.String()
}

// seedState builds a State of the default types.
func seedState(vote Option[Vote], last, committed, purged Option[LogID], userData Option[[]byte]) State[LogID, Vote, []byte] {
	return State[LogID, Vote, []byte]{Vote: vote, Last: last, Committed: committed, Purged: purged, UserData: userData}
}

func seedDump(t testing.TB, l *DefaultLog) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, l.Dump(&b), "Dump")
	return b.String()
}

func seedDumpDir(t testing.TB, fsys fs.FS, dir string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, DumpDir(fsys, dir, DefaultTypes, &b), "DumpDir(%s)", dir)
	return b.String()
}

// seedRequireGolden compares got with the file testdata/<name>, or rewrites the
// file with -update.
func seedRequireGolden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "reading golden file %s (run with -update to create it)", path)
	require.Equal(t, string(want), got, "golden file %s (expected) vs actual output; rerun with -update if the change is intended", path)
}

// seedChunkIDs returns the ids of the live chunks, closed then open.
func seedChunkIDs(s wal.Stat) []uint64 {
	var ids []uint64
	for _, c := range s.Closed {
		ids = append(ids, c.ID)
	}
	return append(ids, s.Open.ID)
}

// seedChunkFiles lists the chunk files in dir with their sizes.
func seedChunkFiles(t testing.TB, fsys fs.FS, dir string) map[string]int64 {
	t.Helper()
	names, err := fsys.ReadDir(dir)
	require.NoError(t, err)
	files := map[string]int64{}
	for _, n := range names {
		if _, ok := wal.ParseChunkName(n); !ok {
			continue
		}
		fi, err := fsys.Stat(filepath.Join(dir, n))
		require.NoError(t, err)
		files[n] = fi.Size()
	}
	return files
}

// seedCfg5 is the seed's fixture config, chunk_max_records = 5, with the flush
// worker stepped by the caller. Sync, WaitIdle and Close step it inline, so
// every write batch (and the Synced marker that starts it) falls at the same
// place on every run: with the flush goroutine, a worker round that starts
// right after a Sync returns may write records appended meanwhile as a batch
// of their own, which moves later offsets. Tests that compare dumps, offsets
// or positions use it; the others run the flush goroutine.
var seedCfg5 = Config{ChunkMaxRecords: 5, ManualFlush: true}

// seedEnd is the global offset just past the last record written.
func seedEnd(l *DefaultLog) uint64 { return l.Stat().WAL.Open.End }

var (
	seedSampleState = seedState(None[Vote](), Some(slid(2, 7)), Some(slid(1, 2)), Some(slid(1, 1)), None[[]byte]())
	// seedSampleEntries are the entries build_sample_data leaves: [2, 8).
	seedSampleEntries = []seedEnt{se(2, 2, "world"), se(2, 3, "foo"), se(2, 4, "world"), se(2, 5, "foo"), se(2, 6, "bar"), se(2, 7, "wow")}
)

// buildSampleData is the seed's build_sample_data: append (1,0)..(1,3),
// truncate(2), append (2,2),(2,3), commit (1,2), purge (1,1), sync, append
// (2,4)..(2,7), sync. The log must have 5-record chunks. The dump it leaves is
// asserted by TestPurgeRemovesChunks (testdata/dump/sample_data.txt).
func buildSampleData(t testing.TB, l *DefaultLog) {
	t.Helper()
	require.Equal(t, 5, l.cfg.ChunkMaxRecords, "the sample data needs 5-record chunks")

	seedSampleOps(t, l, true)
	require.NoError(t, l.Sync())

	require.Equal(t, seedSampleState, l.State(), "state after build_sample_data")
}

// buildSampleDataPurgeUpto3 is the seed's build_sample_data_purge_upto_3:
// build_sample_data, purge (2,3), sync, and the dump must then be
// testdata/dump/sample_data_purge_upto_3.txt. The seed sleeps 100 ms so its
// worker can delete the purged chunks; here the purged chunk files are gone
// when Sync returns (the worker removes them in the round that makes the purge
// durable), which the dump, listing the directory, shows.
func buildSampleDataPurgeUpto3(t testing.TB, l *DefaultLog) {
	t.Helper()
	buildSampleData(t, l)
	_, err := l.Purge(slid(2, 3))
	require.NoError(t, err)
	require.NoError(t, l.Sync())

	require.Equal(t, seedState(None[Vote](), Some(slid(2, 7)), Some(slid(1, 2)), Some(slid(2, 3)), None[[]byte]()), l.State(),
		"state after build_sample_data_purge_upto_3")
	seedRequireGolden(t, "dump/sample_data_purge_upto_3.txt", seedDump(t, l))
}

// seedSampleOps makes the operations of the seed's sample scenario, up to
// the last append and without its final sync: append (1,0..3), truncate(2),
// append (2,2..3), commit((1,2)), purge((1,1)), [sync,] append (2,4..7).
func seedSampleOps(t testing.TB, l *DefaultLog, syncMidway bool) {
	t.Helper()
	seedAppend(t, l, se(1, 0, "hi"), se(1, 1, "hello"), se(1, 2, "world"), se(1, 3, "foo"))
	_, err := l.Truncate(2)
	require.NoError(t, err)
	seedAppend(t, l, se(2, 2, "world"), se(2, 3, "foo"))
	_, err = l.Commit(slid(1, 2))
	require.NoError(t, err)
	_, err = l.Purge(slid(1, 1))
	require.NoError(t, err)
	if syncMidway {
		require.NoError(t, l.Sync())
	}
	seedAppend(t, l, se(2, 4, "world"), se(2, 5, "foo"), se(2, 6, "bar"), se(2, 7, "wow"))
}
