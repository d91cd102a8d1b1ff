package raftlog

import (
	"sort"
	"sync/atomic"
)

// cache holds the payloads of the newest entries, [first, first+len), so
// that reads of recent entries need no I/O. An entry may leave it only once
// its record is durable (the disk then has it for a miss to read back); the
// limits are enforced as far as that allows. The Log's mutex guards it,
// except for the hit and miss counters.
type cache[P any] struct {
	sizeOf   func(P) int
	maxItems int
	maxBytes int64

	first uint64
	items []P // items[head:] are cached
	head  int
	bytes int64

	hits, misses atomic.Uint64
}

func (c *cache[P]) len() int { return len(c.items) - c.head }

func (c *cache[P]) end() uint64 { return c.first + uint64(c.len()) }

// push caches entry i's payload; i must follow the cached ones, or the
// cache starts afresh at i.
func (c *cache[P]) push(i uint64, p P) {
	if c.len() == 0 || i != c.end() {
		c.reset(i)
	}
	c.items = append(c.items, p)
	c.bytes += int64(c.sizeOf(p))
}

// count adds to the hit and miss counters, which readers update without
// the Log's mutex.
func (c *cache[P]) count(hits, misses uint64) {
	if hits > 0 {
		c.hits.Add(hits)
	}
	if misses > 0 {
		c.misses.Add(misses)
	}
}

func (c *cache[P]) get(i uint64) (P, bool) {
	if i < c.first || i >= c.end() {
		var zero P
		return zero, false
	}
	return c.items[c.head+int(i-c.first)], true
}

// evict drops the oldest entries while the cache is over a limit (or, with
// all, while there are any) and the oldest is durable. Durability is
// monotone in the index (records reach the disk in index order), so it asks
// durable about the last entry it would drop, and searches for the durable
// prefix only when that one is not: one question per call, not per entry.
func (c *cache[P]) evict(all bool, durable func(i uint64) bool) {
	n := c.len()
	if !all {
		n = max(0, c.len()-c.maxItems)
		if over := c.bytes - c.maxBytes; over > 0 {
			over -= c.sizeOfFirst(n)
			for ; over > 0 && n < c.len(); n++ {
				over -= int64(c.sizeOf(c.items[c.head+n]))
			}
		}
	}
	if n > 0 && !durable(c.first+uint64(n-1)) {
		n = sort.Search(n, func(k int) bool { return !durable(c.first + uint64(k)) })
	}
	c.popFront(n)
	c.compact()
}

// sizeOfFirst is the bytes of the n oldest entries.
func (c *cache[P]) sizeOfFirst(n int) int64 {
	var b int64
	for _, p := range c.items[c.head : c.head+n] {
		b += int64(c.sizeOf(p))
	}
	return b
}

// popFront drops the n oldest entries.
func (c *cache[P]) popFront(n int) {
	c.bytes -= c.sizeOfFirst(n)
	clear(c.items[c.head : c.head+n])
	c.head += n
	c.first += uint64(n)
}

// truncate drops the entries from index i on.
func (c *cache[P]) truncate(i uint64) {
	var zero P
	for c.len() > 0 && c.end() > i {
		last := len(c.items) - 1
		c.bytes -= int64(c.sizeOf(c.items[last]))
		c.items[last] = zero
		c.items = c.items[:last]
	}
}

// purge drops the entries up to and including index i.
func (c *cache[P]) purge(i uint64) {
	if c.len() > 0 && c.first <= i {
		c.popFront(int(min(i+1, c.end()) - c.first))
	}
	c.compact()
}

func (c *cache[P]) reset(first uint64) {
	clear(c.items)
	c.items, c.head, c.first, c.bytes = c.items[:0], 0, first, 0
}

// compact moves the cached items to the front of the slice once the dead
// prefix is the larger part, so the slice does not grow without bound, and
// gives back a backing array far larger than what is cached (after a burst of
// appends that a single sync made evictable at once).
func (c *cache[P]) compact() {
	if c.head < 1024 || c.head*2 < len(c.items) {
		return
	}
	live := c.items[c.head:]
	if cap(c.items) > 4*max(len(live), 1024) {
		c.items, c.head = append(make([]P, 0, 2*max(len(live), 512)), live...), 0
		return
	}
	n := copy(c.items, live)
	clear(c.items[n:])
	c.items, c.head = c.items[:n], 0
}
