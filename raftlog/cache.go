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
// all, while there are any) and the oldest is durable. It costs a few
// questions to durable and one size per entry dropped, however many
// unsynced entries the cache holds.
func (c *cache[P]) evict(all bool, durable func(i uint64) bool) {
	most := c.len() // what the limits may drop: all but maxItems, unless over maxBytes
	if !all && c.bytes <= c.maxBytes {
		most = max(0, c.len()-c.maxItems)
	}
	n, freed := 0, int64(0)
	for d := c.durablePrefix(most, durable); n < d && (all || c.len()-n > c.maxItems || c.bytes-freed > c.maxBytes); n++ {
		freed += int64(c.sizeOf(c.items[c.head+n]))
	}
	c.drop(n, freed)
	c.compact()
}

// durablePrefix is how many of the first most entries are durable. They are
// a prefix: the cache holds the index's last entries, whose records end at
// increasing WAL offsets (entries kept by a truncate lie below those
// appended after it), and durable means ending at or below one offset. So
// it asks about the last and the first, and searches only between.
func (c *cache[P]) durablePrefix(most int, durable func(i uint64) bool) int {
	switch {
	case most == 0:
		return 0
	case durable(c.first + uint64(most-1)):
		return most
	case !durable(c.first):
		return 0
	}
	return sort.Search(most, func(k int) bool { return !durable(c.first + uint64(k)) })
}

// drop drops the n oldest entries, whose payloads are bytes in all.
func (c *cache[P]) drop(n int, bytes int64) {
	c.bytes -= bytes
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
		n := int(min(i, c.end()-1)-c.first) + 1
		var bytes int64
		for _, p := range c.items[c.head : c.head+n] {
			bytes += int64(c.sizeOf(p))
		}
		c.drop(n, bytes)
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
