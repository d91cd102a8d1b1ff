package raftlog

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// Helpers shared by concurrency_test.go, reopen_equiv_test.go,
// reject_test.go, corrupt_read_test.go, memory_test.go, alloc_test.go and
// bench_test.go. They are prefixed with cx so that they cannot clash with
// the seed-parity tests of the same package.

type cxEntry = Entry[LogID, []byte]

// cxPayload is the payload of entry (term, index): any reader can check an
// entry it gets without shared state.
func cxPayload(term, index uint64) []byte { return fmt.Appendf(nil, "t%d-i%d", term, index) }

// cxEnt builds entry (term, index) with its derived payload.
func cxEnt(term, index uint64) cxEntry {
	return cxEntry{ID: LogID{Term: term, Index: index}, Payload: cxPayload(term, index)}
}

// cxEnts builds n consecutive entries of term starting at index from.
func cxEnts(term, from uint64, n int) []cxEntry {
	out := make([]cxEntry, n)
	for k := range out {
		out[k] = cxEnt(term, from+uint64(k))
	}
	return out
}

// cxCheckEntry reports what is wrong with an entry read at index want, or "".
func cxCheckEntry(e cxEntry, want uint64) string {
	if e.ID.Index != want {
		return fmt.Sprintf("read index %d, got id %v", want, e.ID)
	}
	if p := cxPayload(e.ID.Term, e.ID.Index); !bytes.Equal(e.Payload, p) {
		return fmt.Sprintf("entry %v: payload %q, want %q", e.ID, e.Payload, p)
	}
	return ""
}

// cxSnap is everything a Log shows a reader: its state, the bounds of its
// entries, and every entry.
type cxSnap struct {
	State      string // State().String(): Option's fields are unexported
	RawState   State[LogID, Vote, []byte]
	First, End uint64
	Entries    []cxEntry
}

// cxSnapshot reads the whole log through the public read path.
func cxSnapshot(t testing.TB, l *DefaultLog) cxSnap {
	t.Helper()
	st := l.Stat()
	s := cxSnap{State: l.State().String(), RawState: l.State(), First: st.First, End: st.End}
	for e, err := range l.Read(st.First, st.End) {
		require.NoError(t, err, "reading [%d, %d)", st.First, st.End)
		s.Entries = append(s.Entries, cxEntry{ID: e.ID, Payload: bytes.Clone(e.Payload)})
	}
	require.Len(t, s.Entries, int(st.End-st.First))
	return s
}

// cxRequireSameSnap compares two snapshots field by field, so a failure says
// which part differs.
func cxRequireSameSnap(t testing.TB, want, got cxSnap, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, want.State, got.State, msgAndArgs...)
	require.Equal(t, want.First, got.First, msgAndArgs...)
	require.Equal(t, want.End, got.End, msgAndArgs...)
	require.Equal(t, len(want.Entries), len(got.Entries), msgAndArgs...)
	for k := range want.Entries {
		require.Equal(t, want.Entries[k].ID, got.Entries[k].ID, msgAndArgs...)
		require.Equal(t, string(want.Entries[k].Payload), string(got.Entries[k].Payload), msgAndArgs...)
	}
}

// cxRaceEnabled reports whether the test binary was built with -race.
func cxRaceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestConcurrencyReadersWithWriter runs 8 readers of random windows against
// one writer that appends, truncates (rewriting the tail at a higher term),
// purges and flushes. Every entry a reader gets must be the one the model
// derives from its id, terms must not go down within a window, and the only
// errors allowed are ErrPurged, ErrPastEnd and ErrChanged while a purge or
// truncate was in flight.
func TestConcurrencyReadersWithWriter(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		cxConcurrentRun(t, fs.OS(), t.TempDir(), 1)
	})
	t.Run("mem", func(t *testing.T) {
		cxConcurrentRun(t, fs.NewMem(), "/log", 2)
	})
}

func cxConcurrentRun(t *testing.T, fsys fs.FS, dir string, seed uint64) {
	const (
		readers     = 8
		writerOps   = 1000
		minReads    = 300 // per reader, even if the writer is done first
		maxWindow   = 24
		chunkRecs   = 20
		cacheItems  = 16
		firstIndex  = 1
		startTerm   = 1
		maxBatch    = 8
		purgeMargin = 8
	)
	cfg := Config{FS: fsys, ChunkMaxRecords: chunkRecs, CacheMaxItems: cacheItems}
	l, err := Open(dir, cfg)
	require.NoError(t, err)

	// Mutations that can make a read fail: started is bumped before the
	// call, finished after it returns.
	var started, finished atomic.Uint64
	writerDone := make(chan struct{})

	type readerResult struct {
		reads, entries, rangeErrs int
		bad                       []string
	}
	results := make([]readerResult, readers)
	var wg, ready sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(r)+100))
			res := &results[r]
			for n := 0; ; n++ {
				if n >= minReads {
					select {
					case <-writerDone:
						return
					default:
					}
				}
				f0 := finished.Load()
				st := l.Stat()
				if st.End <= st.First {
					continue
				}
				a := st.First + rng.Uint64N(st.End-st.First)
				b := min(a+1+rng.Uint64N(maxWindow), st.End)
				res.reads++
				want, prevTerm := a, uint64(0)
				for e, err := range l.Read(a, b) {
					if err != nil {
						s1 := started.Load()
						switch {
						case !errors.Is(err, ErrPurged) && !errors.Is(err, ErrPastEnd) && !errors.Is(err, ErrChanged):
							res.bad = append(res.bad, fmt.Sprintf("read [%d, %d) at %d: unexpected error %v", a, b, want, err))
						case s1 == f0:
							res.bad = append(res.bad, fmt.Sprintf("read [%d, %d) at %d: %v with no purge or truncate in flight (stat said [%d, %d))", a, b, want, err, st.First, st.End))
						default:
							res.rangeErrs++
						}
						break
					}
					if msg := cxCheckEntry(e, want); msg != "" {
						res.bad = append(res.bad, msg)
					}
					if e.ID.Term < prevTerm {
						res.bad = append(res.bad, fmt.Sprintf("read [%d, %d): term went down from %d to %d at %v", a, b, prevTerm, e.ID.Term, e.ID))
					}
					prevTerm = e.ID.Term
					res.entries++
					want++
				}
			}
		}()
	}

	// The writer and its model: term of every index in [first, next).
	rng := rand.New(rand.NewPCG(seed, 7))
	terms := map[uint64]uint64{}
	first, next, term := uint64(firstIndex), uint64(firstIndex), uint64(startTerm)
	appendBatch := func() {
		n := 1 + rng.IntN(maxBatch)
		_, err := l.Append(cxEnts(term, next, n)...)
		require.NoError(t, err)
		for k := range n {
			terms[next+uint64(k)] = term
		}
		next += uint64(n)
	}
	var truncates, purges, syncs, flushes, appends int
	ready.Wait() // every reader is running before the first write
	func() {
		defer close(writerDone)
		for range writerOps {
			switch p := rng.IntN(100); {
			case p < 50:
				appendBatch()
				appends++
			case p < 62 && next > first+1:
				// Truncate at an index whose predecessor is held, then
				// rewrite the tail at a higher term.
				at := first + 1 + rng.Uint64N(next-first-1)
				started.Add(1)
				_, err := l.Truncate(at)
				finished.Add(1)
				require.NoError(t, err, "truncate at %d of [%d, %d)", at, first, next)
				for i := at; i < next; i++ {
					delete(terms, i)
				}
				next = at
				term++
				appendBatch()
				truncates++
			case p < 70 && next > first+purgeMargin:
				upto := first + rng.Uint64N(next-first-purgeMargin)
				started.Add(1)
				_, err := l.Purge(LogID{Term: terms[upto], Index: upto})
				finished.Add(1)
				require.NoError(t, err, "purge (%d, %d)", terms[upto], upto)
				for i := first; i <= upto; i++ {
					delete(terms, i)
				}
				first = upto + 1
				purges++
			case p < 85:
				require.NoError(t, l.Sync())
				syncs++
			default:
				require.NoError(t, l.Flush(false, nil))
				flushes++
			}
		}
	}()
	wg.Wait()

	var total readerResult
	for _, r := range results {
		total.reads += r.reads
		total.entries += r.entries
		total.rangeErrs += r.rangeErrs
		total.bad = append(total.bad, r.bad...)
	}
	st := l.Stat()
	t.Logf("writer: %d appends, %d truncates, %d purges, %d syncs, %d flushes; log [%d, %d), %d closed chunks",
		appends, truncates, purges, syncs, flushes, st.First, st.End, len(st.WAL.Closed))
	t.Logf("readers: %d windows, %d entries checked, %d range errors from concurrent purge/truncate; cache hits %d, misses %d",
		total.reads, total.entries, total.rangeErrs, st.CacheHits, st.CacheMisses)
	require.Empty(t, total.bad, "mismatches (first ones): %v", total.bad[:min(len(total.bad), 10)])
	require.NotZero(t, st.CacheMisses, "the test must read from disk")
	require.NotZero(t, st.CacheHits, "the test must read from the cache")

	// The final log is the model, before and after a reopen.
	check := func(l *DefaultLog) {
		s := cxSnapshot(t, l)
		require.Equal(t, first, s.First)
		require.Equal(t, next, s.End)
		for _, e := range s.Entries {
			require.Equal(t, terms[e.ID.Index], e.ID.Term, "term of index %d", e.ID.Index)
			require.Empty(t, cxCheckEntry(e, e.ID.Index))
		}
	}
	check(l)
	require.NoError(t, l.Close())
	l, err = Open(dir, cfg)
	require.NoError(t, err)
	// This caught Append batches crossing a chunk boundary writing a stale
	// checkpoint (see TestReopenEquivBatchAcrossRotation).
	check(l)
	require.NoError(t, l.Close())
}

// TestConcurrencyReadersDuringClose: readers of entries on disk that race a
// Close must see ErrClosed, never a false ErrCorrupt from reading a file
// that Close just closed.
func TestConcurrencyReadersDuringClose(t *testing.T) {
	const (
		rounds  = 20
		readers = 4
		entries = 100
		warmup  = 5 // full reads per reader before Close
	)
	for _, variant := range []struct {
		name string
		fsys func() fs.FS
		dir  func(t *testing.T) string
	}{
		{"mem", func() fs.FS { return fs.NewMem() }, func(*testing.T) string { return "/log" }},
		{"os", fs.OS, func(t *testing.T) string { return t.TempDir() }},
	} {
		t.Run(variant.name, func(t *testing.T) {
			var closedErrs, corrupt int
			var firstBad error
			for round := range rounds {
				l, err := Open(variant.dir(t), Config{FS: variant.fsys(), CacheMaxItems: -1})
				require.NoError(t, err)
				cxAppendEach(t, l, cxEnts(1, 1, entries)...)
				require.NoError(t, l.Sync())
				l.DrainCacheEvictable()

				errs := make([]error, readers)
				var wg, warm sync.WaitGroup
				for r := range readers {
					wg.Add(1)
					warm.Add(1)
					go func() {
						defer wg.Done()
						warmed := false
						defer func() {
							if !warmed {
								warm.Done()
							}
						}()
						for n := 1; ; n++ {
							for e, err := range l.Read(1, entries+1) {
								if err != nil {
									errs[r] = err
									return
								}
								if msg := cxCheckEntry(e, e.ID.Index); msg != "" {
									errs[r] = errors.New(msg)
									return
								}
							}
							if n == warmup {
								warmed = true
								warm.Done()
							}
						}
					}()
				}
				warm.Wait()
				require.NoError(t, l.Close())
				wg.Wait()
				for _, err := range errs {
					switch {
					case errors.Is(err, ErrClosed):
						closedErrs++
					default:
						corrupt++
						if firstBad == nil {
							firstBad = fmt.Errorf("round %d: %w", round, err)
						}
					}
				}
			}
			t.Logf("%d rounds x %d readers: %d ErrClosed, %d other errors", rounds, readers, closedErrs, corrupt)
			require.NoError(t, firstBad, "a read racing Close must fail with ErrClosed")
		})
	}
}

// TestConcurrencyReadCloseInterleaving replays, step by step, the
// interleaving that TestConcurrencyReadersDuringClose hits by chance: Read
// has looked up an entry's position under the lock and released it (as
// read.go's entry does before loading a cache miss), then Close closes the
// files, then the load runs. The error must say closed, not corrupt.
func TestConcurrencyReadCloseInterleaving(t *testing.T) {
	l, err := Open("/log", Config{FS: fs.NewMem(), CacheMaxItems: -1})
	require.NoError(t, err)
	cxAppendEach(t, l, cxEnts(1, 1, 10)...)
	require.NoError(t, l.Sync())
	l.DrainCacheEvictable()

	l.mu.RLock()
	require.False(t, l.closed)
	pos := l.idx.pos(5)
	l.mu.RUnlock()

	require.NoError(t, l.Close())

	_, err = l.wal.Load(pos)
	t.Logf("load after close: %v", err)
	require.ErrorIs(t, err, ErrClosed, "a load interrupted by Close reports %T: %v", err, err)
	require.NotErrorIs(t, err, ErrCorrupt)
}
