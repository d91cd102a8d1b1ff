package raftlog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
)

// TestCacheDurablePrefixHoldsOnALiveLog checks, on a Log's own state after
// each of random appends (new terms too), truncates, purges, state updates,
// flushes with and without fsync, steps, drains, syncs and reopens, what the
// cache's eviction relies on: the cache holds the index's last entries, the
// index's records end at increasing offsets, the durable cached entries are
// a prefix, no entry left the cache before it was durable, and evict drops
// exactly what the rule applied one entry at a time drops.
func TestCacheDurablePrefixHoldsOnALiveLog(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { testCacheDurablePrefix(t, seed) })
	}
}

func testCacheDurablePrefix(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	m := fs.NewMem()
	cfg := Config{ManualFlush: true, CacheMaxItems: 1 + rng.IntN(6), CacheMaxBytes: int64(1 + rng.IntN(60)), ChunkMaxRecords: 4 + rng.IntN(8)}
	if rng.IntN(3) == 0 {
		cfg.CacheMaxItems = -1
	}
	l := seedOpen(t, m, cfg)
	defer func() { l.Close() }()
	term := uint64(1)
	for step := range 300 {
		st := l.State()
		next, first := l.nextIndex(st.Last), l.nextIndex(st.Purged)
		var what string
		var err error
		switch rng.IntN(10) {
		case 0, 1, 2:
			if !st.Last.IsSome() {
				next = uint64(rng.IntN(30))
			}
			if rng.IntN(4) == 0 {
				term++
			}
			es := make([]seedEnt, 1+rng.IntN(4))
			for k := range es {
				es[k] = seedEnt{ID: LogID{Term: term, Index: next + uint64(k)}, Payload: make([]byte, rng.IntN(20))}
			}
			what = fmt.Sprintf("Append(%d..%d)", next, next+uint64(len(es))-1)
			_, err = l.Append(es...)
		case 3:
			at := first + uint64(rng.IntN(int(next-first)+2))
			what = fmt.Sprintf("Truncate(%d)", at)
			_, err = l.Truncate(at)
		case 4:
			id := LogID{Term: term, Index: first + uint64(rng.IntN(int(next-first)+3))}
			if got, e := l.LogIDAt(id.Index); e == nil {
				id = got
			}
			what = fmt.Sprintf("Purge(%v)", id)
			_, err = l.Purge(id)
		case 5:
			term++
			st.Last = Some(LogID{Term: term, Index: next + uint64(rng.IntN(5))})
			st.Purged = None[LogID]()
			what = fmt.Sprintf("UpdateState(last %v)", st.Last)
			_, err = l.UpdateState(st)
		case 6:
			sync := rng.IntN(2) == 0
			what = fmt.Sprintf("Flush(%v)", sync)
			err = l.Flush(sync, nil)
		case 7:
			what = "Step"
			_, err = l.Step()
		case 8:
			what = "DrainCacheEvictable"
			l.DrainCacheEvictable()
		case 9:
			what = "reopen"
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = seedOpen(t, m, cfg)
		}
		checkCacheDurablePrefix(t, l, fmt.Sprintf("step %d, %s (%v)", step, what, err))
	}
}

// checkCacheDurablePrefix checks the properties TestCacheDurablePrefix-
// HoldsOnALiveLog lists on l's state now.
func checkCacheDurablePrefix(t *testing.T, l *DefaultLog, after string) {
	t.Helper()
	l.mu.RLock()
	defer l.mu.RUnlock()
	c, x := &l.cache, &l.idx
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf("after %s: cache [%d, %d), index [%d, %d), durable to %d: %s",
			after, c.first, c.end(), x.first, x.end(), l.wal.Durable(), fmt.Sprintf(format, a...))
	}
	if c.len() > 0 && (c.first < x.first || c.end() != x.end()) {
		fail("the cache is not the index's last entries")
	}
	for i := x.first + 1; i < x.end(); i++ {
		if x.pos(i).End() <= x.pos(i-1).End() {
			fail("entry %d's record ends at %d, not above entry %d's (%d)", i, x.pos(i).End(), i-1, x.pos(i-1).End())
		}
	}
	for i := c.first + 1; i < c.end(); i++ {
		if l.durable(i) && !l.durable(i-1) {
			fail("entry %d is durable and entry %d is not", i, i-1)
		}
	}
	cached := x.end() // the first cached entry's index
	if c.len() > 0 {
		cached = c.first
	}
	for i := x.first; i < cached; i++ {
		if !l.durable(i) {
			fail("entry %d left the cache before it was durable", i)
		}
	}
	for _, all := range []bool{false, true} {
		clone := func() *cache[[]byte] {
			return &cache[[]byte]{sizeOf: c.sizeOf, maxItems: c.maxItems, maxBytes: c.maxBytes,
				first: c.first, items: slices.Clone(c.items), head: c.head, bytes: c.bytes}
		}
		rule, got := clone(), clone()
		for rule.len() > 0 && (all || rule.len() > rule.maxItems || rule.bytes > rule.maxBytes) && l.durable(rule.first) {
			rule.drop(1, int64(rule.sizeOf(rule.items[rule.head])))
		}
		got.evict(all, l.durable)
		if got.first != rule.first || got.len() != rule.len() || got.bytes != rule.bytes {
			fail("evict(%v) leaves [%d, %d) of %d bytes, the rule [%d, %d) of %d bytes",
				all, got.first, got.end(), got.bytes, rule.first, rule.end(), rule.bytes)
		}
	}
}
