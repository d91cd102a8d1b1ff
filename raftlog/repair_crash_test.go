package raftlog

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
	"github.com/stretchr/testify/require"
)

// TestACrashDuringARepairLosesNothingItWouldKeep damages the repair
// fixture in several ways, halts the machine at every step of a Repair and
// crashes there (process kill, ordered and reordered power loss): a Repair
// run after the crash must give the log an uninterrupted Repair gives,
// state and entries. And a log that had a META file has one in every crash
// image, and a damaged one is replaced only with a backup of it beside:
// META is what says a log exists.
func TestACrashDuringARepairLosesNothingItWouldKeep(t *testing.T) {
	flip := func(index uint64) func(*fs.Mem, map[uint64]wal.Position, Stat[LogID]) {
		return func(m *fs.Mem, pos map[uint64]wal.Position, _ Stat[LogID]) {
			p := pos[index]
			require.NoError(t, m.Corrupt(filepath.Join("/log", wal.ChunkName(p.Chunk)), int64(p.Offset-p.Chunk)+20, 0x10))
		}
	}
	damages := map[string]func(*fs.Mem, map[uint64]wal.Position, Stat[LogID]){
		"a record in the first chunk":  flip(5),
		"a record in a closed chunk":   flip(30),
		"a record in the newest chunk": flip(58),
		"META": func(m *fs.Mem, _ map[uint64]wal.Position, _ Stat[LogID]) {
			require.NoError(t, m.Corrupt(filepath.Join("/log", wal.MetaFileName), 3, 0x01))
		},
		"META and a record": func(m *fs.Mem, pos map[uint64]wal.Position, st Stat[LogID]) {
			flip(30)(m, pos, st)
			require.NoError(t, m.Corrupt(filepath.Join("/log", wal.MetaFileName), 3, 0x01))
		},
		"META removed": func(m *fs.Mem, _ map[uint64]wal.Position, _ Stat[LogID]) {
			require.NoError(t, m.Remove(filepath.Join("/log", wal.MetaFileName)))
		},
		"the checkpoint of a closed chunk": func(m *fs.Mem, pos map[uint64]wal.Position, _ Stat[LogID]) {
			p := pos[firstEntries(pos)[1]] // its record follows the checkpoint
			require.NoError(t, m.Corrupt(filepath.Join("/log", wal.ChunkName(p.Chunk)), int64(p.Offset-p.Chunk)-10, 0x04))
		},
		"a closed chunk cut short in its checkpoint": func(m *fs.Mem, pos map[uint64]wal.Position, _ Stat[LogID]) {
			p := pos[firstEntries(pos)[1]]
			f, err := m.OpenFile(filepath.Join("/log", wal.ChunkName(p.Chunk)), os.O_RDWR, 0)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(76)) // the checkpoint starts at 57
			require.NoError(t, f.Sync())
			require.NoError(t, f.Close())
		},
		"the newest chunk removed": func(m *fs.Mem, _ map[uint64]wal.Position, st Stat[LogID]) {
			require.NoError(t, m.Remove(filepath.Join("/log", wal.ChunkName(st.WAL.Open.ID))))
		},
	}
	metaDamaged := map[string]bool{"META": true, "META and a record": true}
	for what, damage := range damages {
		t.Run(what, func(t *testing.T) {
			damaged, pos, st := repairFixture(t)
			damage(damaged, pos, st)
			metaPath := filepath.Join("/log", wal.MetaFileName)
			meta, metaErr := fs.ReadFile(damaged, metaPath)
			want, err := repairedLog(t, damaged.Crash(nil, fs.CrashProcess))
			require.NoError(t, err)
			eachRepairCrash(damaged, 6, func(after *fs.Mem, replay string) {
				if metaErr == nil {
					b, err := fs.ReadFile(after, metaPath)
					require.NoError(t, err, "no META left: %s", replay)
					if metaDamaged[what] && string(b) != string(meta) {
						backup, err := fs.ReadFile(after, metaPath+".broken")
						require.NoError(t, err, "META replaced without a backup of the damaged one: %s", replay)
						require.Equal(t, meta, backup, replay)
					}
				}
				got, err := repairedLog(t, after)
				require.NoError(t, err, replay)
				require.Equal(t, want, got, replay)
			})
		})
	}
}

// eachRepairCrash halts a Repair of damaged after each number of its file
// operations in turn, from none until one runs to its end, and crashes the
// machine there (process kill, ordered and reordered power loss, seeds
// seeds each): check gets each crash image and how to replay it.
func eachRepairCrash(damaged *fs.Mem, seeds uint64, check func(after *fs.Mem, replay string)) {
	for k, finished := uint64(0), false; !finished; k++ {
		img := damaged.Crash(nil, fs.CrashProcess)
		img.HaltAfter(k)
		l, err := Open("/log", Config{FS: img, Recovery: wal.Repair})
		if err == nil {
			err = l.Close() // fails once the machine has halted
		}
		finished = err == nil && !img.Halted()
		for seed := range seeds {
			for _, mode := range []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered} {
				replay := fmt.Sprintf("halted after %d operations of the repair, %v crash, seed %d", k, mode, seed)
				check(img.Crash(rand.New(rand.NewPCG(k, seed)), mode), replay)
			}
		}
	}
}

// requireRepairsAsOne: every crash of a Repair of damaged (eachRepairCrash)
// leaves a log that the next Repair gives as an uninterrupted one does.
func requireRepairsAsOne(t *testing.T, damaged *fs.Mem, seeds uint64) {
	t.Helper()
	want, err := repairedLog(t, damaged.Crash(nil, fs.CrashProcess))
	require.NoError(t, err)
	eachRepairCrash(damaged, seeds, func(after *fs.Mem, replay string) {
		got, err := repairedLog(t, after)
		require.NoError(t, err, replay)
		require.Equal(t, want, got, replay)
	})
}

// repairedLog opens the log in m in Repair mode and returns its state and
// entries as goldenDump writes them.
func repairedLog(t *testing.T, m *fs.Mem) (string, error) {
	t.Helper()
	l, err := Open("/log", Config{FS: m, Recovery: wal.Repair})
	if err != nil {
		return "", err
	}
	defer l.Close()
	return goldenDump(t, l), nil
}
