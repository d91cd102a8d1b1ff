package raftlog

import (
	"fmt"
	"strings"

	"github.com/raftlog/raftlog/wal"
)

// Stat is a snapshot of a Log's shape and counters.
type Stat[L any] struct {
	// WAL holds the chunks, bytes on disk, flush metrics and the bytes
	// dropped from a torn tail at the last Open (WAL.Dropped).
	WAL wal.Stat
	// First and End bound the entries held: [First, End).
	First, End uint64
	// IndexBytes is the memory of the entry index.
	IndexBytes int64
	// CacheItems and CacheBytes are what the payload cache holds, against
	// CacheMaxItems and CacheMaxBytes.
	CacheItems    int
	CacheBytes    int64
	CacheMaxItems int
	CacheMaxBytes int64
	// CacheHits and CacheMisses count entries served by Read.
	CacheHits, CacheMisses uint64
	// Evictable is the last entry known durable: it and the entries
	// before it may leave the cache.
	Evictable Option[L]
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

// String renders the stat over several lines, one chunk per line.
func (s Stat[L]) String() string {
	var b strings.Builder
	b.WriteString("Stat{\n chunks: [\n")
	for _, c := range s.WAL.Closed {
		fmt.Fprintf(&b, "  %s,\n", chunkString(c))
	}
	fmt.Fprintf(&b, "  %s (open)\n ],\n", chunkString(s.WAL.Open))
	fmt.Fprintf(&b, " entries: [%d, %d), index: %d bytes,\n", s.First, s.End, s.IndexBytes)
	fmt.Fprintf(&b, " cache: {evictable: ..=%v, items/max: %d/%d, bytes/max: %d/%d, hit: %d, miss: %d},\n",
		fmtOpt(s.Evictable), s.CacheItems, s.CacheMaxItems, s.CacheBytes, s.CacheMaxBytes, s.CacheHits, s.CacheMisses)
	f := s.WAL.Flush
	fmt.Fprintf(&b, " disk: {bytes: %d, durable: %d, dropped at open: %d},\n", s.WAL.Bytes, s.WAL.Durable, s.WAL.Dropped)
	fmt.Fprintf(&b, " flush: {requests: %d, fsyncs: %d, requests/fsync: %.2f, writes: %d, bytes: %d, fsync min/mean/max: %v/%v/%v}\n}",
		f.Requests, f.Fsyncs, f.RequestsPerFsync(), f.Writes, f.BytesWritten, f.FsyncMin, f.FsyncMean(), f.FsyncMax)
	return b.String()
}

func chunkString(c wal.ChunkStat) string {
	return fmt.Sprintf("%s{records: %d, [%d, %d), bytes: %d}", wal.ChunkName(c.ID), c.Records, c.ID, c.End, c.Bytes())
}
