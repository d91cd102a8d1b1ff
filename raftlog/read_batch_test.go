package raftlog

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
)

// TestReadSeesAnEditInsideABatch: Read takes up to readBatch entries under
// one lock, but an edit made between two items, inside a batch or at its
// edge, must show in the next item exactly as if every entry were taken
// alone: a truncate that replaced the entry yielded last ends the read with
// ErrChanged, a purge with ErrPurged, a Close with ErrClosed, a truncate
// below the range's end with ErrPastEnd; a truncate past the entry yielded
// last followed by new entries lets the read go on into them. Entries come
// from the cache or from the file.
func TestReadSeesAnEditInsideABatch(t *testing.T) {
	const n = 3 * readBatch
	type want struct {
		more int   // entries after the edit, before the error or the end
		err  error // nil: the read ends after more entries
	}
	edits := []struct {
		name string
		edit func(t *testing.T, l *DefaultLog, at uint64)
		want func(at uint64) want
	}{
		{"truncate the entry yielded last and append a new branch", func(t *testing.T, l *DefaultLog, at uint64) {
			cxMust(t)(l.Truncate(at - 1))
			cxAppendEach(t, l, cxEnts(2, at-1, n-int(at)+2)...)
		}, func(uint64) want { return want{0, ErrChanged} }},
		{"truncate everything", func(t *testing.T, l *DefaultLog, _ uint64) {
			cxMust(t)(l.Truncate(1))
		}, func(uint64) want { return want{0, ErrChanged} }},
		{"truncate after the entry yielded last", func(t *testing.T, l *DefaultLog, at uint64) {
			cxMust(t)(l.Truncate(at + 3))
		}, func(uint64) want { return want{0, ErrPastEnd} }},
		{"truncate after the entry yielded last and append a new branch", func(t *testing.T, l *DefaultLog, at uint64) {
			cxMust(t)(l.Truncate(at + 3))
			cxAppendEach(t, l, cxEnts(2, at+3, n-int(at)-2)...)
		}, func(at uint64) want { return want{int(n - at), nil} }},
		{"purge past the entry yielded last", func(t *testing.T, l *DefaultLog, at uint64) {
			cxMust(t)(l.Purge(LogID{Term: 1, Index: at + 2}))
		}, func(uint64) want { return want{0, ErrPurged} }},
		{"close", func(t *testing.T, l *DefaultLog, _ uint64) {
			require.NoError(t, l.Close())
		}, func(uint64) want { return want{0, ErrClosed} }},
	}
	for _, cached := range []bool{true, false} {
		for _, at := range []uint64{5, readBatch, readBatch + 1} {
			for _, ed := range edits {
				t.Run(fmt.Sprintf("cached=%v/after %d/%s", cached, at, ed.name), func(t *testing.T) {
					cfg := Config{FS: fs.NewMem()}
					if !cached {
						cfg.CacheMaxItems = -1
					}
					l, err := Open("/log", cfg)
					require.NoError(t, err)
					defer l.Close()
					cxAppendEach(t, l, cxEnts(1, 1, n)...)
					require.NoError(t, l.Sync())
					if !cached {
						l.DrainCacheEvictable()
					}
					require.Equal(t, cached, l.Stat().CacheItems == n)

					w := ed.want(at)
					next, after := uint64(1), -1 // entries yielded after the edit
					var end error
					for e, err := range l.Read(1, n+1) {
						if err != nil {
							end = err
							break
						}
						require.Empty(t, cxCheckEntry(e, next))
						// Only a branch appended after the entry yielded last
						// may follow it.
						if e.ID.Term != 1 {
							require.True(t, after >= 0 && next >= at+3, "entry %v", e.ID)
						}
						next++
						if after >= 0 {
							after++
						}
						if e.ID.Index == at {
							ed.edit(t, l, at)
							after = 0
						}
					}
					require.Equal(t, w.more, after, "entries yielded after the edit (ended with %v)", end)
					if w.err == nil {
						require.NoError(t, end)
						return
					}
					require.ErrorIs(t, end, w.err)
					var changed *ChangedError
					if errors.As(end, &changed) {
						require.Equal(t, at, changed.Index, "the entry replaced")
					}
				})
			}
		}
	}
}

// TestReadCountsTheEntriesItYields: the cache's hit and miss counters count
// the entries a Read yielded, not the batch it took: a caller that stops
// early, or an edit that makes the Read take its batch again, does not
// inflate them.
func TestReadCountsTheEntriesItYields(t *testing.T) {
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("cached=%v", cached), func(t *testing.T) {
			cfg := Config{FS: fs.NewMem()}
			if !cached {
				cfg.CacheMaxItems = -1
			}
			l, err := Open("/log", cfg)
			require.NoError(t, err)
			defer l.Close()
			cxAppendEach(t, l, cxEnts(1, 1, 3*readBatch)...)
			require.NoError(t, l.Sync())
			if !cached {
				l.DrainCacheEvictable()
			}
			counted := func() uint64 { st := l.Stat(); return st.CacheHits + st.CacheMisses }

			n := 0
			for _, err := range l.Read(1, 3*readBatch+1) {
				require.NoError(t, err)
				if n++; n == 3 {
					break
				}
			}
			require.Equal(t, uint64(3), counted(), "a Read stopped after 3 entries")

			// An edit after the 5th entry: the Read takes entries 6.. again.
			n = 0
			for e, err := range l.Read(1, 11) {
				require.NoError(t, err)
				n++
				if e.ID.Index == 5 {
					cxMust(t)(l.Commit(e.ID)) // not an edit of the entries
					cxMust(t)(l.Truncate(20))
				}
			}
			require.Equal(t, 10, n)
			require.Equal(t, uint64(13), counted(), "3 entries, then 10")
			st := l.Stat()
			if cached {
				require.Zero(t, st.CacheMisses)
			} else {
				require.Zero(t, st.CacheHits)
			}
		})
	}
}
