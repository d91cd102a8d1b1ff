package raftlog

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// TestAFailedOpenKeepsTheEvidenceOfACleanClose: META of a cleanly closed log
// says where the log ends, which is how a later Open tells damage to
// acknowledged entries from a torn write. An Open that fails part-way, in
// any recovery mode and at any file operation, must leave that evidence:
// when the log's last bytes are lost afterwards, the next Open must refuse
// the log, not cut the entries as a tail that was never acknowledged. (A
// Repair of an undamaged log used to mark META open before it failed.)
func TestAFailedOpenKeepsTheEvidenceOfACleanClose(t *testing.T) {
	base, _, _ := repairFixture(t)
	ops := []faultinject.Op{faultinject.OpOpen, faultinject.OpCreate, faultinject.OpRead, faultinject.OpWrite,
		faultinject.OpSync, faultinject.OpTruncate, faultinject.OpRemove, faultinject.OpRename,
		faultinject.OpSyncDir, faultinject.OpMkdir, faultinject.OpReadDir, faultinject.OpLock}
	failures := 0
	for _, mode := range []wal.RecoveryMode{wal.TolerateTornTail, wal.Strict, wal.Repair} {
		for _, op := range ops {
			for n := 1; ; n++ {
				m := base.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
				view := faultinject.New(m, faultinject.Options{}, faultinject.Rule{Op: op, Nth: n})
				l, err := Open("/log", Config{FS: view, Recovery: mode})
				if err == nil {
					require.NoError(t, l.Close())
					break
				}
				failures++
				what := mode.String() + ": " + view.Injected()[0].String()
				chunk := newestChunk(t, m)
				cutEnd(t, m, chunk, 30)

				_, err = Open("/log", Config{FS: m})
				require.ErrorIs(t, err, ErrCorrupt, "%s: after the failed open, the loss of the log's last bytes goes unnoticed", what)
			}
		}
	}
	require.Greater(t, failures, 30, "the faults reached the opens")
}

// nameCut marks the entries found in cuts.
func nameCut(named map[uint64]bool, cuts []Cut) {
	for _, c := range cuts {
		if f, ok := c.First.Get(); ok {
			for i := f; i <= c.Last.Value(); i++ {
				named[i] = true
			}
		}
	}
}

// cutEnd cuts n bytes off the end of the file at path, durably: damage at
// rest.
func cutEnd(t *testing.T, m *fs.Mem, path string, n int64) {
	t.Helper()
	info, err := m.Stat(path)
	require.NoError(t, err)
	f, err := m.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(info.Size()-n))
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
}

// newestChunk returns the path of the newest chunk file in m's /log.
func newestChunk(t *testing.T, m *fs.Mem) string {
	t.Helper()
	names := slices.DeleteFunc(files(t, m), func(n string) bool { return !strings.HasSuffix(n, ".wal") })
	require.NotEmpty(t, names)
	slices.Sort(names)
	return "/log/" + names[len(names)-1]
}

// repairFaultOps are the file operations a repair's fault tests fail in
// turn.
var repairFaultOps = []faultinject.Op{faultinject.OpOpen, faultinject.OpCreate, faultinject.OpRead, faultinject.OpWrite,
	faultinject.OpSync, faultinject.OpTruncate, faultinject.OpRemove, faultinject.OpRename,
	faultinject.OpSyncDir, faultinject.OpReadDir}

// repairFault is what one Repair with an injected fault, and the repair
// run again after it without one, did to a log.
type repairFault struct {
	what        string             // the fault injected
	first       error              // what the faulted Repair returned
	failed      *RepairFailedError // first, when the repair failed after cutting
	named       map[uint64]bool    // the entries the cuts of either repair named
	start, last uint64             // the repaired log's first entry held and last index
}

// eachRepairFault repairs a copy of base with a fault at each occurrence
// of each of repairFaultOps that the repair reaches, repairs the copy again
// (which must open it), and calls check with what the two did. It returns
// how many faults were injected.
func eachRepairFault(t *testing.T, base *fs.Mem, check func(repairFault)) int {
	t.Helper()
	faults := 0
	for _, op := range repairFaultOps {
		for n := 1; ; n++ {
			m := base.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
			view := faultinject.New(m, faultinject.Options{}, faultinject.Rule{Op: op, Nth: n})
			l, first := Open("/log", Config{FS: view, Recovery: wal.Repair})
			f := repairFault{first: first, named: map[uint64]bool{}}
			if first == nil {
				nameCut(f.named, l.Recovery().Cuts)
				l.Close() // a fault may still fail it: the log is repaired again below
				if len(view.Injected()) == 0 {
					break
				}
			}
			faults++
			f.what = view.Injected()[0].String()
			if errors.As(first, &f.failed) {
				nameCut(f.named, f.failed.Cuts)
			}
			// A repair run again finishes the job and reports what it
			// cuts.
			r, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
			require.NoError(t, err, "%s (the first: %v)", f.what, first)
			nameCut(f.named, r.Recovery().Cuts)
			f.start, f.last = r.Stat().First, r.State().Last.Value().Index
			require.NoError(t, r.Close())
			check(f)
		}
	}
	return faults
}

// TestARepairThatFailsAfterCuttingSaysWhatItCut: a Repair that had cut a
// damaged log (its later chunks moved to backups) and then failed, at any
// file operation, leaves the cuts made, and a later repair reports only
// where they began (a Cut with Earlier set). The failed Open's error is
// then the only word of the entries gone: it must name them, so that every
// entry the log no longer serves was reported by one Open or another (but
// the damaged entry itself, and those of a chunk that is gone, which no
// Open can find).
func TestARepairThatFailsAfterCuttingSaysWhatItCut(t *testing.T) {
	_, pos, st := repairFixture(t)
	second := st.WAL.Closed[1].ID // holds entries k to the third chunk's first - 1
	k := uint64(0)
	for i := uint64(1); i <= 60; i++ {
		if pos[i].Chunk == second && k == 0 {
			k = i
		}
	}
	chunk := func(id uint64) string { return "/log/" + wal.ChunkName(id) }
	failedAfterCuts := 0
	for _, c := range []struct {
		name   string
		damage func(m *fs.Mem)
		unseen func(i uint64) bool // entries no Open can name
	}{
		{"an entry of a closed chunk", func(m *fs.Mem) {
			require.NoError(t, m.Corrupt(chunk(second), int64(pos[k].Offset-pos[k].Chunk)+20, 0x10))
		}, func(i uint64) bool { return i == k }},
		{"a closed chunk's checkpoint", func(m *fs.Mem) {
			require.NoError(t, m.Corrupt(chunk(second), 65, 0x10))
		}, func(uint64) bool { return false }},
		{"the newest chunk's entry", func(m *fs.Mem) {
			require.NoError(t, m.Corrupt(chunk(st.WAL.Open.ID), int64(pos[60].Offset-pos[60].Chunk)+20, 0x10))
		}, func(i uint64) bool { return i == 60 }},
		{"a missing closed chunk", func(m *fs.Mem) {
			require.NoError(t, m.Remove(chunk(second)))
		}, func(i uint64) bool { return pos[i].Chunk == second }},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, _, _ := repairFixture(t)
			c.damage(base)
			eachRepairFault(t, base, func(f repairFault) {
				if f.failed != nil {
					failedAfterCuts++
					require.NotEmpty(t, f.failed.Cuts, f.what)
				}
				for i := f.last + 1; i <= 60; i++ {
					require.True(t, f.named[i] || c.unseen(i), "%s: entry %d is gone, and no Open named it (the first: %v)", f.what, i, f.first)
				}
			})
		})
	}
	require.Greater(t, failedAfterCuts, 10, "the faults came after cuts")
}

// TestAFileAfterACleanCloseIsNotTakenForAnInterruptedRotation: Close
// finishes every rotation, and a rotation after a reopen marks META open
// before it creates a file. So a chunk file past the last chunk of a log
// that META says was closed cleanly is damage (a file copied in, bytes
// added at rest): Open must refuse the log and leave the file, not delete
// it as the head of a rotation that a crash interrupted.
func TestAFileAfterACleanCloseIsNotTakenForAnInterruptedRotation(t *testing.T) {
	base, _, st := repairFixture(t)
	last := st.WAL.Open
	middle, err := fs.ReadFile(base, "/log/"+wal.ChunkName(st.WAL.Closed[1].ID))
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"a copy of another chunk", middle},
		{"garbage", []byte("not a chunk at all, but bytes someone left here")},
		{"zeros", make([]byte, 4096)},
		{"empty", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := base.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
			path := "/log/" + wal.ChunkName(last.ID+1_000_000)
			f, err := m.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
			require.NoError(t, err)
			_, err = f.Write(c.data)
			require.NoError(t, err)
			require.NoError(t, f.Sync())
			require.NoError(t, f.Close())
			require.NoError(t, m.SyncDir("/log"))

			// It says which file is not the log's, not that entries
			// of unknown indexes are unreadable: none is damaged.
			_, err = Open("/log", Config{FS: m})
			require.ErrorIs(t, err, ErrCorrupt)
			var stray *wal.StrayChunkError
			require.True(t, errors.As(err, &stray), "%v", err)
			require.Equal(t, path, stray.File)
			require.Equal(t, last.ID, stray.Last)
			require.NotContains(t, err.Error(), "unreadable")
			got, err := fs.ReadFile(m, path)
			require.NoError(t, err, "the file is still there")
			require.Equal(t, len(c.data), len(got))

			// A repair moves it aside, says so of it alone (not of the
			// intact chunk before it: a cut of 0 bytes there, with a
			// backup, before), and keeps every entry.
			l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
			require.NoError(t, err)
			require.Equal(t, uint64(60), l.State().Last.Value().Index)
			cuts := l.Recovery().Cuts
			require.Len(t, cuts, 1, "%v", cuts)
			require.Equal(t, path, cuts[0].File)
			require.Equal(t, int64(0), cuts[0].Offset)
			require.NotEmpty(t, cuts[0].Backup)
			require.Contains(t, cuts[0].Reason, "but this file follows it")
			require.NoError(t, l.Close())
		})
	}
	// Bytes past the clean end of the last chunk as well: they are cut
	// first, and the file after it with them.
	m := base.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
	lastPath := "/log/" + wal.ChunkName(last.ID)
	info, err := m.Stat(lastPath)
	require.NoError(t, err)
	size := info.Size()
	f, err := m.OpenFile(lastPath, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("bytes past the end"), int64(size))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	path := "/log/" + wal.ChunkName(last.ID+1_000_000)
	require.NoError(t, fs.WriteFile(m, path, []byte("foreign"), 0o644))
	l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
	require.NoError(t, err)
	require.Equal(t, uint64(60), l.State().Last.Value().Index)
	cuts := l.Recovery().Cuts
	require.Len(t, cuts, 2, "%v", cuts)
	require.Equal(t, path, cuts[0].File)
	require.Equal(t, lastPath, cuts[1].File)
	require.Equal(t, size, cuts[1].Offset)
	require.Equal(t, int64(len("bytes past the end")), cuts[1].Bytes)
	require.NoError(t, l.Close())
}

// TestANilFileSystemIsTheOSOne: the functions that read a log without
// opening it take a file system, and nil is the OS one, as Config.FS's zero
// value is (DumpDir panicked on nil).
func TestANilFileSystemIsTheOSOne(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Config{})
	require.NoError(t, err)
	_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: 1}, Payload: []byte("one")})
	require.NoError(t, err)
	require.NoError(t, l.Close())

	var out strings.Builder
	require.NoError(t, DumpDir(nil, dir, DefaultTypes, &out))
	require.Contains(t, out.String(), `Append({Term:1 Index:1}, "one")`)
	ok, err := wal.Exists(nil, dir)
	require.NoError(t, err)
	require.True(t, ok)
	records := 0
	require.NoError(t, wal.Scan(nil, dir, codec.Bytes, func(wal.Found[[]byte]) error { records++; return nil }))
	require.Positive(t, records)
}

// TestARepairFailedErrorListsOnlyCutsMade: in Repair mode, a crashed log
// with a torn tail (which recovery cuts without a backup, after it has
// said so) fails at every fault of every file operation in turn. A
// *RepairFailedError lists cuts that stay made; the torn tail's is made
// only once the rotation that follows cuts the file, so an Open that fails
// before then must not list it (it listed it, the file still whole, at 7
// faults before).
func TestARepairFailedErrorListsOnlyCutsMade(t *testing.T) {
	m := fs.NewMem()
	l, err := Open("/log", Config{FS: m})
	require.NoError(t, err)
	for i := uint64(1); i <= 5; i++ {
		_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: i}, Payload: []byte("payload")})
		require.NoError(t, err)
		require.NoError(t, l.Sync())
	}
	base := m.Crash(nil, fs.CrashProcess)
	require.NoError(t, l.Close())
	newest := newestChunk(t, base)
	b, err := fs.ReadFile(base, newest)
	require.NoError(t, err)
	end := len(bytes.TrimRight(b, "\x00"))
	f, err := base.OpenFile(newest, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0x30, 0, 0, 0, 1, 'a', 'b'}, int64(end))
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	torn, err := base.Stat(newest)
	require.NoError(t, err)

	listed := 0
	for _, op := range []faultinject.Op{faultinject.OpOpen, faultinject.OpCreate, faultinject.OpRead, faultinject.OpWrite,
		faultinject.OpSync, faultinject.OpTruncate, faultinject.OpRename, faultinject.OpSyncDir} {
		for n := 1; ; n++ {
			img := base.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
			view := faultinject.New(img, faultinject.Options{}, faultinject.Rule{Op: op, Nth: n})
			l, err := Open("/log", Config{FS: view, Recovery: wal.Repair})
			if err == nil {
				l.Close()
				if len(view.Injected()) == 0 {
					break
				}
				continue
			}
			var rf *RepairFailedError
			if !errors.As(err, &rf) {
				continue
			}
			listed++
			now, serr := img.Stat(newest)
			for _, c := range rf.Cuts {
				require.True(t, c.Durable, "%s: a cut not made is listed as made: %v", view.Injected()[0], c)
			}
			require.False(t, serr == nil && now.Size() == torn.Size(), "%s: the torn file is whole, yet: %v", view.Injected()[0], err)
		}
	}
	require.Zero(t, listed, "nothing here is a repair's durable cut")
}
