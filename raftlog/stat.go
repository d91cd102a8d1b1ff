package raftlog

import "github.com/raftlog/raftlog/wal"

// Stat is a snapshot of a Log's shape and counters.
//
// It marshals to and from JSON with the snake_case keys of its tags (wal,
// first, end, index_bytes, cache_items, ..., evictable), prints as
// {WAL:{...} First:2 End:8 ...} and logs through log/slog as a group with
// the JSON keys.
type Stat[L any] struct {
	// WAL holds the chunks, bytes on disk, flush metrics and the bytes
	// dropped from a torn tail at the last Open (WAL.Dropped).
	WAL wal.Stat `json:"wal"`
	// First and End bound the entries held: [First, End).
	First uint64 `json:"first"`
	End   uint64 `json:"end"`
	// IndexBytes is the memory of the entry index.
	IndexBytes int64 `json:"index_bytes"`
	// CacheItems and CacheBytes are what the payload cache holds, against
	// CacheMaxItems and CacheMaxBytes.
	CacheItems    int   `json:"cache_items"`
	CacheBytes    int64 `json:"cache_bytes"`
	CacheMaxItems int   `json:"cache_max_items"`
	CacheMaxBytes int64 `json:"cache_max_bytes"`
	// CacheHits and CacheMisses count entries served by Read.
	CacheHits   uint64 `json:"cache_hits"`
	CacheMisses uint64 `json:"cache_misses"`
	// Evictable is the last entry known durable: it and the entries
	// before it may leave the cache.
	Evictable Option[L] `json:"evictable"`
}

// Stat returns a snapshot of the log's shape and counters.
func (l *Log[L, P, V, U]) Stat() Stat[L] {
	s := Stat[L]{WAL: l.wal.Stat()}
	l.mu.RLock()
	defer l.mu.RUnlock()
	s.First, s.End = l.idx.first, l.idx.end()
	s.IndexBytes = l.idx.memBytes()
	s.CacheItems, s.CacheBytes = l.cache.len(), l.cache.bytes
	s.CacheMaxItems, s.CacheMaxBytes = l.cache.maxItems, l.cache.maxBytes
	s.CacheHits, s.CacheMisses = l.cache.hits.Load(), l.cache.misses.Load()
	// Positions grow with the index, so the durable entries are a prefix.
	durable := l.wal.Durable()
	lo, hi := l.idx.first, l.idx.end()
	for lo < hi {
		mid := lo + (hi-lo)/2
		if l.idx.pos(mid).End() <= durable {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo > l.idx.first {
		s.Evictable = Some(l.idx.id(lo - 1))
	}
	return s
}

// OnDiskSize is the size of the live log in bytes, from the start of its
// oldest chunk to its last record, unflushed records included.
func (l *Log[L, P, V, U]) OnDiskSize() uint64 { return l.wal.Stat().Bytes }
