package raftlog

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// TestTheEntriesOfAMissingChunkAreNamed: when chunk files before the newest
// ones are gone, cut short or replaced, Open refuses the log with a
// *CorruptionError whose range must hold every entry the lost chunk held
// (a Raft node refetches that range): it used to name the entries after
// the log's last one, as if nothing it held were lost.
func TestTheEntriesOfAMissingChunkAreNamed(t *testing.T) {
	for _, purged := range []bool{false, true} {
		base, pos, st := repairFixture(t)
		if purged {
			l, err := Open("/log", Config{FS: base})
			require.NoError(t, err)
			_, err = l.Purge(LogID{Term: 3, Index: 3})
			require.NoError(t, err)
			require.NoError(t, l.Close())
		}
		chunks := append(st.WAL.Closed, st.WAL.Open)
		held := func(id uint64) (first, last uint64) {
			for i := uint64(1); i <= 60; i++ {
				if pos[i].Chunk == id {
					if first == 0 {
						first = i
					}
					last = i
				}
			}
			return first, last
		}
		for k, c := range chunks[:len(chunks)-1] {
			path := "/log/" + wal.ChunkName(c.ID)
			for _, damage := range []string{"removed", "cut short", "replaced by another chunk"} {
				name := fmt.Sprintf("purged=%v/chunk %d %s", purged, k, damage)
				t.Run(name, func(t *testing.T) {
					m := base.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
					switch damage {
					case "removed":
						require.NoError(t, m.Remove(path))
					case "cut short":
						f, err := m.OpenFile(path, os.O_RDWR, 0)
						require.NoError(t, err)
						require.NoError(t, f.Truncate(200))
						require.NoError(t, f.Sync())
						require.NoError(t, f.Close())
					case "replaced by another chunk":
						other, err := fs.ReadFile(m, "/log/"+wal.ChunkName(chunks[(k+1)%len(chunks)].ID))
						require.NoError(t, err)
						require.NoError(t, fs.WriteFile(m, path, other, 0o644))
					}
					_, err := Open("/log", Config{FS: m})
					var ce *CorruptionError
					require.True(t, errors.As(err, &ce), "%v", err)
					first, last := held(c.ID)
					if purged && first <= 3 {
						first = 4 // the purge made the entries before it obsolete
					}
					if first > last {
						return
					}
					// The range is bounded where the log can tell: after
					// the chunks that follow, and, in a purged log, at its
					// purge point (the first index of a log never purged
					// is unknown).
					if f, ok := ce.First.Get(); ok {
						require.LessOrEqual(t, f, first, "entries %d to %d were in the chunk: %v", first, last, err)
					} else {
						require.False(t, purged, "a purged log knows where its entries start: %v", err)
					}
					l, ok := ce.Last.Get()
					require.True(t, ok, "the entries after the chunk bound the range: %v", err)
					require.GreaterOrEqual(t, l, last, "entries %d to %d were in the chunk: %v", first, last, err)
				})
			}
		}
	}
}

// TestACorruptionSaysItsCauseOnce: the message of damage in a cleanly
// closed log gave the checksum mismatch twice.
func TestACorruptionSaysItsCauseOnce(t *testing.T) {
	m, pos, _ := repairFixture(t)
	p := pos[60] // in the newest chunk
	require.NoError(t, m.Corrupt("/log/"+wal.ChunkName(p.Chunk), int64(p.Offset-p.Chunk)+20, 0x10))
	_, err := Open("/log", Config{FS: m, ReadAll: true})
	require.ErrorIs(t, err, ErrCorrupt)
	require.Equal(t, 1, strings.Count(err.Error(), "checksum mismatch"), err.Error())
}
