package raftlog

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestCacheEvictsWhatTheRuleSays compares evict, which asks about
// durability a few times per call, with the rule it implements, one entry
// at a time: drop the oldest entry while the cache is over a limit (or, with
// all, while it holds any) and that entry is durable. Sizes, limits and the
// durable frontier are random; the frontier may sit before, inside or past
// what the limits would drop. It also bounds the work: a payload is sized
// only when it is dropped, whatever the cache holds beyond.
func TestCacheEvictsWhatTheRuleSays(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 3000 {
		sized := 0
		c := cache[[]byte]{
			sizeOf:   func(p []byte) int { sized++; return len(p) },
			maxItems: rng.IntN(40),
			maxBytes: int64(rng.IntN(400)),
		}
		first := 1 + rng.Uint64N(1000)
		n := rng.IntN(60)
		for i := range n {
			c.push(first+uint64(i), make([]byte, rng.IntN(30)))
		}
		c.purge(c.first + uint64(rng.IntN(3)) - 1)        // a head left by earlier evictions
		frontier := c.first + uint64(rng.IntN(c.len()+2)) // entries below it are durable
		all := rng.IntN(4) == 0

		want := c.len()
		wantBytes := c.bytes
		for k := c.first; want > 0 && (all || want > c.maxItems || wantBytes > c.maxBytes) && k < frontier; k++ {
			wantBytes -= int64(len(c.items[c.head+int(k-c.first)]))
			want--
		}
		asked, held := 0, c.len()
		sized = 0
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
		if asked > 2+bits.Len(uint(held)) || sized != held-want {
			t.Fatalf("round %d: asked about durability %d times and sized %d payloads to drop %d of %d entries",
				round, asked, sized, held-want, held)
		}
	}
}

// TestCachePurgeBounds purges below, inside, at the end of and beyond the
// cached entries, up to the largest index (where i+1 would wrap).
func TestCachePurgeBounds(t *testing.T) {
	for _, c := range []struct {
		upto       uint64
		first, len uint64
	}{
		{upto: 9, first: 10, len: 5},
		{upto: 10, first: 11, len: 4},
		{upto: 12, first: 13, len: 2},
		{upto: 14, first: 15, len: 0},
		{upto: 100, first: 15, len: 0},
		{upto: math.MaxUint64, first: 15, len: 0},
	} {
		ca := cache[[]byte]{sizeOf: func(p []byte) int { return len(p) }}
		for i := range uint64(5) {
			ca.push(10+i, []byte{1, 2})
		}
		ca.purge(c.upto)
		if ca.len() != int(c.len) || (ca.len() > 0 && ca.first != c.first) || ca.bytes != int64(2*c.len) {
			t.Errorf("purge(%d) of [10, 15): [%d, %d) of %d bytes, want %d entries from %d", c.upto, ca.first, ca.end(), ca.bytes, c.len, c.first)
		}
	}
}
