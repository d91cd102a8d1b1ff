package raftlog

// Go counterpart of the seed's tests/test_compat.rs (SPEC 8.4): the on-disk
// format is locked down by log directories checked in under
// testdata/golden/, one per chunk format version (wal.FormatVersion) and
// version of the chunk summaries in index files (summaryVersion): v<N> for
// summary version 1, v<N>-summary<M> after. Each holds the files of a fixed
// scenario and dump.txt, the log as read back (the State line, then
// "<id>: <payload>" per entry).
//
//   - Read compatibility: every stored version must open (from a copy, so the
//     fixture is never modified) and read back exactly its dump.txt; where
//     it has index files, Open must take every chunk from them, not replay
//     it.
//   - Write compatibility: the scenario, run now, must write the current
//     version's .wal and .idx files and META byte for byte, and no other.
//
// Any format change must add a new golden version directory, never rewrite
// the old one: bump wal.FormatVersion (or summaryVersion) and run this test
// with -update, which creates the current directory when it does not exist.
// -update refuses to overwrite an existing version directory with different
// bytes; deleting one to regenerate it is only legitimate if that format
// version was never released.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

var goldenRoot = filepath.Join("testdata", "golden")

// goldenCurrentDir holds the fixture of the format this code writes.
var goldenCurrentDir = filepath.Join(goldenRoot, goldenDirName(wal.FormatVersion, summaryVersion))

func goldenDirName(format, summary int) string {
	if summary == 1 {
		return fmt.Sprintf("v%d", format)
	}
	return fmt.Sprintf("v%d-summary%d", format, summary)
}

// goldenScenario is the seed's create_raft_log: 5-record chunks; append
// (1,0)..(1,3), truncate(2), append (2,2),(2,3), commit (1,2), purge (1,1),
// append (2,4)..(2,7), one sync flush, then Close (which seals the log, not
// yet sealed, with a final Synced marker: part of the golden bytes). It runs
// on the real file system in dir and returns the log's textual dump.
func goldenScenario(t *testing.T, dir string) string {
	t.Helper()
	// Chunk salts from a fixed seed: the same scenario writes the same bytes.
	l, err := Open(dir, Config{FS: fs.OS(), ChunkMaxRecords: 5, Rand: rand.NewChaCha8([32]byte{})})
	require.NoError(t, err)
	seedSampleOps(t, l, false)
	require.NoError(t, l.Sync())
	dump := goldenDump(t, l)
	require.NoError(t, l.Close())
	return dump
}

// goldenDump is the seed's dump_raft_log_data: the state, then every entry
// the log holds as "<id>: <payload>".
func goldenDump(t *testing.T, l *DefaultLog) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n", l.State())
	st := l.Stat()
	for en, err := range l.Read(st.First, st.End) {
		require.NoError(t, err)
		fmt.Fprintf(&b, "%v: %s\n", en.ID, en.Payload)
	}
	return b.String()
}

// goldenWALFiles returns the .wal files, their .idx index files and the
// META file in dir, name -> content.
func goldenWALFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string][]byte{}
	for _, en := range entries {
		if en.IsDir() || !strings.HasSuffix(en.Name(), ".wal") && !strings.HasSuffix(en.Name(), ".idx") && en.Name() != wal.MetaFileName {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		require.NoError(t, err)
		files[en.Name()] = b
	}
	return files
}

func goldenNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// test_compat, write half (test_version_write_compat).
func TestSeedCompatWrite(t *testing.T) {
	dir := t.TempDir()
	dump := goldenScenario(t, dir)
	got := goldenWALFiles(t, dir)
	require.NotEmpty(t, got)

	if *update {
		goldenUpdate(t, got, dump)
	}

	want := goldenWALFiles(t, goldenCurrentDir)
	require.Equal(t, goldenNames(want), goldenNames(got), "the .wal files written vs those of %s", goldenCurrentDir)
	for _, name := range goldenNames(want) {
		require.Equal(t, want[name], got[name], "content of %s: stored in %s (expected) vs written now", name, goldenCurrentDir)
	}
	wantDump, err := os.ReadFile(filepath.Join(goldenCurrentDir, "dump.txt"))
	require.NoError(t, err)
	require.Equal(t, string(wantDump), dump, "the log as read back after writing it")
}

// goldenUpdate creates the current version's fixture, refusing to change an
// existing one.
func goldenUpdate(t *testing.T, files map[string][]byte, dump string) {
	t.Helper()
	if _, err := os.Stat(goldenCurrentDir); err == nil {
		old := goldenWALFiles(t, goldenCurrentDir)
		oldDump, _ := os.ReadFile(filepath.Join(goldenCurrentDir, "dump.txt"))
		same := string(oldDump) == dump && slices.Equal(goldenNames(old), goldenNames(files))
		for n := range files {
			same = same && string(old[n]) == string(files[n])
		}
		if !same {
			t.Fatalf("-update: %s exists and differs from what this code writes. Never rewrite a released "+
				"golden version: bump wal.FormatVersion (now %d) or summaryVersion (now %d) and rerun with -update "+
				"to add a new directory.", goldenCurrentDir, wal.FormatVersion, summaryVersion)
		}
		return
	}
	require.NoError(t, os.MkdirAll(goldenCurrentDir, 0o755))
	for n, b := range files {
		require.NoError(t, os.WriteFile(filepath.Join(goldenCurrentDir, n), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(goldenCurrentDir, "dump.txt"), []byte(dump), 0o644))
	t.Logf("-update: wrote %s", goldenCurrentDir)
}

// test_compat, read half (test_version_read_compat): every stored version.
func TestSeedCompatRead(t *testing.T) {
	versions, err := os.ReadDir(goldenRoot)
	require.NoError(t, err)
	n := 0
	for _, v := range versions {
		if !v.IsDir() {
			continue
		}
		n++
		t.Run(v.Name(), func(t *testing.T) {
			src := filepath.Join(goldenRoot, v.Name())
			files := goldenWALFiles(t, src)
			require.NotEmpty(t, files, "no .wal file in %s", src)

			// Open a copy: Open takes a lock and may repair the last
			// chunk, and the fixture must stay as it is.
			dir := t.TempDir()
			for name, b := range files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
			}
			rc := &readCounter{FS: fs.OS()}
			l, err := Open(dir, Config{FS: rc})
			require.NoError(t, err, "opening a copy of %s", src)
			defer l.Close()
			require.Zero(t, l.Stat().WAL.Dropped, "a cleanly closed log has no torn tail")
			var chunks, indexes int
			for name := range files {
				if strings.HasSuffix(name, ".wal") {
					chunks++
				} else if strings.HasSuffix(name, ".idx") {
					indexes++
				}
			}
			if indexes > 0 {
				require.Equal(t, chunks, indexes, "every chunk of %s has an index file", src)
				require.LessOrEqual(t, rc.chunkBytes.Load(), int64(chunks*(wal.ChunkHeaderSize+41)),
					"Open took every chunk of %s from its index file, reading only headers and seals", src)
			}

			want, err := os.ReadFile(filepath.Join(src, "dump.txt"))
			require.NoError(t, err)
			require.Equal(t, string(want), goldenDump(t, l), "%s/dump.txt (expected) vs the log read back", src)
		})
	}
	require.NotZero(t, n, "no golden version under %s", goldenRoot)
	require.DirExists(t, goldenCurrentDir, "the current format version %d (summary version %d) has no golden directory",
		wal.FormatVersion, summaryVersion)
}
