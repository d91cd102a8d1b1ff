package raftlog

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestCacheEvictsWhatTheRuleSays compares evict, which asks about
// durability once per call, with the rule it implements, one entry at a
// time: drop the oldest entry while the cache is over a limit (or, with all,
// while it holds any) and that entry is durable. Sizes, limits and the
// durable frontier are random; the frontier may sit before, inside or past
// what the limits would drop.
func TestCacheEvictsWhatTheRuleSays(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 3000 {
		c := cache[[]byte]{
			sizeOf:   func(p []byte) int { return len(p) },
			maxItems: rng.IntN(40),
			maxBytes: int64(rng.IntN(400)),
		}
		first := 1 + rng.Uint64N(1000)
		n := rng.IntN(60)
		for i := range n {
			c.push(first+uint64(i), make([]byte, rng.IntN(30)))
		}
		c.popFront(min(rng.IntN(3), c.len()))             // a head left by earlier evictions
		frontier := c.first + uint64(rng.IntN(c.len()+2)) // entries below it are durable
		all := rng.IntN(4) == 0

		want := c.len()
		wantBytes := c.bytes
		for k := c.first; want > 0 && (all || want > c.maxItems || wantBytes > c.maxBytes) && k < frontier; k++ {
			wantBytes -= int64(len(c.items[c.head+int(k-c.first)]))
			want--
		}
		asked := 0
		c.evict(all, func(i uint64) bool {
			asked++
			if i < c.first || i >= c.end() {
				t.Fatalf("round %d: asked about entry %d outside the cache [%d, %d)", round, i, c.first, c.end())
			}
			return i < frontier
		})
		if c.len() != want || c.bytes != wantBytes {
			t.Fatalf("round %d (all %v, limits %d items %d bytes, frontier %d): %d entries of %d bytes left, want %d of %d",
				round, all, c.maxItems, c.maxBytes, frontier, c.len(), c.bytes, want, wantBytes)
		}
		if asked > 1+bits.Len(uint(n)) {
			t.Fatalf("round %d: asked about durability %d times for %d entries", round, asked, n)
		}
	}
}
