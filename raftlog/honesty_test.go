package raftlog

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// The examples of "recovery honesty": no acknowledged entry disappears
// without an error. Each failed before format version 2.

// Open("/a/b") where neither directory exists, one entry synced, power
// loss: the directories Open created must have survived, whatever the
// seed. And when the directories already existed, created by someone (or
// an Open that failed) without syncing, Open must sync them too.
func TestHonestyParentDirectoriesAreDurable(t *testing.T) {
	for _, pre := range []string{"", "/a", "/a/b"} {
		for seed := uint64(0); seed < 200; seed++ {
			m := fs.NewMem()
			if pre != "" {
				require.NoError(t, m.MkdirAll(pre, 0o755)) // never synced
			}
			l, err := Open("/a/b", Config{FS: m, ManualFlush: true})
			require.NoError(t, err)
			_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: 1}, Payload: []byte("x")})
			require.NoError(t, err)
			require.NoError(t, l.Sync())
			img := m.Crash(rand.New(rand.NewPCG(seed, 1)), fs.CrashOrdered)
			require.NoError(t, l.Close())

			l, err = Open("/a/b", Config{FS: img, MustExist: true})
			require.NoError(t, err, "seed %d, %q existed unsynced: the acknowledged log is gone", seed, pre)
			require.Equal(t, Some(LogID{Term: 1, Index: 1}), l.State().Last, "seed %d, %q existed unsynced", seed, pre)
			require.NoError(t, l.Close())
		}
	}
}

// The example: a vote at term 5, a few hundred entries in small
// chunks, a commit, a sync; then the newest chunk file is deleted. Open
// must refuse, naming the file, instead of opening an older log in which
// the node could vote twice in term 5. On a crashed log and a closed one,
// on the OS and in memory, and whether the newest chunk is the only one.
func TestHonestyMissingNewestChunk(t *testing.T) {
	for _, entries := range []uint64{300, 3} {
		for _, closed := range []bool{false, true} {
			for _, onOS := range []bool{false, true} {
				var fsys fs.FS = fs.NewMem()
				dir := "/log"
				if onOS {
					fsys, dir = fs.OS(), t.TempDir()
				}
				l, err := Open(dir, Config{FS: fsys, ChunkMaxBytes: 2048})
				require.NoError(t, err)
				_, err = l.SaveVote(Vote{Term: 5, NodeID: 2})
				require.NoError(t, err)
				for i := uint64(1); i <= entries; i++ {
					_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 5, Index: i}, Payload: bytes.Repeat([]byte{'p'}, 40)})
					require.NoError(t, err)
				}
				_, err = l.Commit(LogID{Term: 5, Index: entries})
				require.NoError(t, err)
				require.NoError(t, l.Sync())
				chunks := l.Stat().WAL
				newest := filepath.Join(dir, wal.ChunkName(chunks.Open.ID))
				if !closed {
					// A crash: copy the files as they are (all synced),
					// then let go of the log.
					dir = copyLogDir(t, fsys, dir, onOS)
				}
				require.NoError(t, l.Close())
				if !closed {
					newest = filepath.Join(dir, wal.ChunkName(chunks.Open.ID))
				}
				require.NoError(t, fsys.Remove(newest))

				what := "entries=" + map[bool]string{true: "many", false: "few"}[entries > 3] +
					" closed=" + map[bool]string{true: "yes", false: "no"}[closed]
				_, err = Open(dir, Config{FS: fsys})
				require.Error(t, err, "%s: the log opened without its newest chunk", what)
				require.ErrorIs(t, err, ErrCorrupt, what)
				require.ErrorIs(t, err, ErrMissingChunk, what)
				var me *wal.MissingChunkError
				require.ErrorAs(t, err, &me, what)
				require.Equal(t, chunks.Open.ID, me.Want, "%s: %v", what, err)
				require.Contains(t, err.Error(), wal.ChunkName(chunks.Open.ID), what)
				var ce *CorruptionError
				require.ErrorAs(t, err, &ce, what)
				if len(chunks.Closed) > 0 {
					// The entries of the missing chunk follow the last
					// one replayed.
					require.True(t, ce.First.IsSome(), "%s: %v", what, err)
				}
			}
		}
	}
}

// copyLogDir copies the chunk and META files of dir to a new directory on
// the same file system: the disk of a process that died without Close.
func copyLogDir(t *testing.T, fsys fs.FS, dir string, onOS bool) string {
	t.Helper()
	dst := dir + "-crashed"
	if onOS {
		dst = t.TempDir()
	} else {
		require.NoError(t, fsys.MkdirAll(dst, 0o755))
	}
	names, err := fsys.ReadDir(dir)
	require.NoError(t, err)
	for _, n := range names {
		if n == fs.LockFileName {
			continue
		}
		b, err := fs.ReadFile(fsys, filepath.Join(dir, n))
		require.NoError(t, err)
		require.NoError(t, fs.WriteFile(fsys, filepath.Join(dst, n), b, 0o644))
	}
	return dst
}

// The example of stale bytes: a log with vote (2,2) and entries
// 1..3 synced, the process exits without Close, and a copy of an earlier
// record lies after the synced end of the last chunk (a file system can
// show a freed block's old content there after a power loss). Open must
// cut it as a torn tail, never replay it: replaying entry 2's copy would
// drop entries 1 and 3, replaying the vote's would take the vote back.
func TestHonestyStaleRecordPastTheEndIsNotReplayed(t *testing.T) {
	for _, onOS := range []bool{false, true} {
		for _, which := range []string{"entry 2", "vote (1,1)", "marker"} {
			var fsys fs.FS = fs.NewMem()
			dir := "/log"
			if onOS {
				fsys, dir = fs.OS(), t.TempDir()
			}
			l, err := Open(dir, Config{FS: fsys})
			require.NoError(t, err)
			vpos, err := l.SaveVote(Vote{Term: 1, NodeID: 1})
			require.NoError(t, err)
			_, err = l.SaveVote(Vote{Term: 2, NodeID: 2})
			require.NoError(t, err)
			var epos []wal.Position
			for i := uint64(1); i <= 3; i++ {
				p, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 2, Index: i}, Payload: []byte{byte('a' + i)}})
				require.NoError(t, err)
				epos = append(epos, p)
			}
			require.NoError(t, l.Sync())
			want := l.State()
			end := int64(l.Stat().WAL.Open.End) // chunk 0's records end here: zeros follow
			crashed := copyLogDir(t, fsys, dir, onOS)
			require.NoError(t, l.Close())

			chunk := filepath.Join(crashed, wal.ChunkName(0))
			data, err := fs.ReadFile(fsys, chunk)
			require.NoError(t, err)
			var stale []byte
			switch which {
			case "entry 2":
				stale = data[epos[1].Offset:epos[1].End()]
			case "vote (1,1)":
				stale = data[vpos.Offset:vpos.End()]
			case "marker":
				stale = data[32 : 32+25] // the first batch's synced marker
			}
			// The stale copy lies where the next record would go, over
			// the zeros written ahead (or past the end, if fewer).
			damaged := append(data[:end:end], stale...)
			if len(data) > len(damaged) {
				damaged = append(damaged, data[len(damaged):]...)
			}
			require.NoError(t, fs.WriteFile(fsys, chunk, damaged, 0o644))

			var logs bytes.Buffer
			l, err = Open(crashed, Config{FS: fsys, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			require.NoError(t, err, "%s", which)
			require.Equal(t, want, l.State(), "%s copied past the end must not replay", which)
			var got []uint64
			for e, err := range l.Read(1, 4) {
				require.NoError(t, err)
				got = append(got, e.ID.Index)
			}
			require.Equal(t, []uint64{1, 2, 3}, got, which)
			rep := l.Recovery()
			require.Len(t, rep.Cuts, 1, "%s: the stale bytes are cut, and the cut is reported", which)
			require.Equal(t, end, rep.Cuts[0].Offset, which)
			// The cut counts the stale bytes, not the zeros after them.
			torn := int64(len(damaged))
			for torn > end && damaged[torn-1] == 0 {
				torn--
			}
			require.Equal(t, torn-end, rep.Cuts[0].Bytes, which)
			require.LessOrEqual(t, torn-end, int64(len(stale)), which)
			require.False(t, rep.Cuts[0].Durable, which)
			require.Contains(t, logs.String(), "level=WARN", "every cut is logged")
			require.Equal(t, want, rep.State)
			require.NoError(t, l.Close())
		}
	}
}

// A refused Config or Types leaves nothing behind: no directory is made.
func TestHonestyRefusedConfigWritesNothing(t *testing.T) {
	m := fs.NewMem()
	for _, cfg := range []Config{
		{FS: m, ChunkMaxBytes: -1},
		{FS: m, ChunkMaxRecords: 1},
		{FS: m, MaxRecordBytes: -5},
		{FS: m, Recovery: wal.RecoveryMode(99)},
	} {
		_, err := Open("/new/log", cfg)
		require.ErrorIs(t, err, ErrConfig, "%+v", cfg)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		_, err = m.Stat("/new")
		require.ErrorIs(t, err, fs.ErrNotExist, "a refused %s left a directory behind", ce.Field)
	}
	bad := DefaultTypes
	bad.Index = nil
	_, err := OpenWith("/new/log", bad, Config{FS: m})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "Types.Index", ce.Field)
	_, err = m.Stat("/new")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// Config.MustExist: a mistyped path on restart is an error, not a new log
// that forgot the vote; an existing log opens as usual.
func TestHonestyMustExist(t *testing.T) {
	m := fs.NewMem()
	for _, dir := range []string{"/nowhere/log", "/"} {
		_, err := Open(dir, Config{FS: m, MustExist: true})
		require.ErrorIs(t, err, ErrNoLog, dir)
		var ne *NoLogError
		require.ErrorAs(t, err, &ne)
		require.True(t, strings.HasSuffix(err.Error(), "must"), err.Error())
	}
	_, err := m.Stat("/nowhere")
	require.True(t, errors.Is(err, fs.ErrNotExist), "MustExist creates nothing")

	l, err := Open("/log", Config{FS: m})
	require.NoError(t, err)
	_, err = l.SaveVote(Vote{Term: 3, NodeID: 1})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	l, err = Open("/log", Config{FS: m, MustExist: true})
	require.NoError(t, err)
	require.Equal(t, Some(Vote{Term: 3, NodeID: 1}), l.State().Vote)
	require.NoError(t, l.Close())
}

// Every cut Open makes is in its report with the entries found in the bytes
// it dropped, and logged at WARN.
func TestHonestyTornTailReportNamesEntries(t *testing.T) {
	m := fs.NewMem()
	l, err := Open("/log", Config{FS: m, ManualFlush: true})
	require.NoError(t, err)
	appendRange := func(from, to uint64, payload string) []wal.Position {
		var pos []wal.Position
		for i := from; i <= to; i++ {
			p, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: i}, Payload: []byte(payload)})
			require.NoError(t, err)
			pos = append(pos, p)
		}
		return pos
	}
	appendRange(1, 5, "synced")
	require.NoError(t, l.Sync())
	// Two more batches, written but never synced: 6..7, then 8..9.
	torn := appendRange(6, 7, "unsynced")
	require.NoError(t, l.WaitIdle())
	appendRange(8, 9, "unsynced")
	require.NoError(t, l.WaitIdle())
	img := m.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
	require.NoError(t, l.Close())
	// A power loss that landed everything but the sector of entry 6.
	require.NoError(t, img.Corrupt("/log/"+wal.ChunkName(0), int64(torn[0].Offset)+3, 0x40))

	var logs bytes.Buffer
	l, err = Open("/log", Config{FS: img, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, Some(LogID{Term: 1, Index: 5}), l.State().Last)
	rep := l.Recovery()
	require.Len(t, rep.Cuts, 1)
	c := rep.Cuts[0]
	require.Equal(t, int64(torn[0].Offset), c.Offset)
	require.False(t, c.Durable)
	// Entry 7 follows the torn one in the same batch, with no marker to
	// resynchronise at, so it is not named (nothing is guessed); the next
	// batch's entries are.
	require.Equal(t, Some[uint64](8), c.First, "%+v", c)
	require.Equal(t, Some[uint64](9), c.Last, "%+v", c)
	out := logs.String()
	require.Contains(t, out, "level=WARN")
	require.Contains(t, out, wal.ChunkName(0))
}
