package wal

import (
	"sync"
	"time"
)

// ChunkStat describes one chunk.
type ChunkStat struct {
	// ID is the global offset of the chunk's first byte.
	ID uint64
	// Records counts the caller's records in it, its checkpoint included.
	Records int
	// End is the global offset just past its last byte, unflushed bytes
	// included.
	End uint64
}

// Bytes is the chunk's size.
func (c ChunkStat) Bytes() uint64 { return c.End - c.ID }

// Stat is a snapshot of a WAL's state and counters.
type Stat struct {
	// Closed lists the closed chunks, oldest first (not those scheduled
	// for removal).
	Closed []ChunkStat
	// Open is the chunk being appended to.
	Open ChunkStat
	// Bytes is the size of the live log: from the start of the oldest
	// chunk to the end of the last record, unflushed bytes included.
	Bytes uint64
	// Durable is the global offset before which everything is fsynced.
	Durable uint64
	// Dropped is the number of bytes Open cut from the log (Report has
	// each cut).
	Dropped int64
	// Flush holds the flush worker's counters.
	Flush FlushStat
}

// FlushStat counts the flush worker's work.
type FlushStat struct {
	// Steps is the number of worker rounds that did something.
	Steps uint64
	// Requests is the number of Flush requests served.
	Requests uint64
	// Writes and BytesWritten count write calls and bytes written, records
	// only.
	Writes, BytesWritten uint64
	// ZeroFilled counts the bytes of zeros written ahead of the records
	// (Config.PreallocateBytes).
	ZeroFilled uint64
	// Fsyncs counts file fsyncs (chunk rotation included).
	Fsyncs uint64
	// FsyncMin, FsyncMax and FsyncTotal summarise fsync latency.
	FsyncMin, FsyncMax, FsyncTotal time.Duration
	// FsyncHist counts fsyncs by latency: bucket i holds those under
	// 2^i * 16µs; the last bucket holds the rest.
	FsyncHist [FsyncBuckets]uint64
}

// FsyncBuckets is the number of buckets of FlushStat.FsyncHist.
const FsyncBuckets = 16

// FsyncMean is the mean fsync latency.
func (f FlushStat) FsyncMean() time.Duration {
	if f.Fsyncs == 0 {
		return 0
	}
	return f.FsyncTotal / time.Duration(f.Fsyncs)
}

// RequestsPerFsync is the group-commit factor: flush requests served per
// fsync.
func (f FlushStat) RequestsPerFsync() float64 {
	if f.Fsyncs == 0 {
		return 0
	}
	return float64(f.Requests) / float64(f.Fsyncs)
}

type flushStats struct {
	mu sync.Mutex
	s  FlushStat
}

func (f *flushStats) step(requests int) {
	f.mu.Lock()
	f.s.Steps++
	f.s.Requests += uint64(requests)
	f.mu.Unlock()
}

func (f *flushStats) wrote(n int) {
	f.mu.Lock()
	f.s.Writes++
	f.s.BytesWritten += uint64(n)
	f.mu.Unlock()
}

func (f *flushStats) zeroFilled(n int) {
	f.mu.Lock()
	f.s.ZeroFilled += uint64(n)
	f.mu.Unlock()
}

func (f *flushStats) fsynced(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &f.s
	if s.Fsyncs == 0 || d < s.FsyncMin {
		s.FsyncMin = d
	}
	s.FsyncMax = max(s.FsyncMax, d)
	s.FsyncTotal += d
	s.Fsyncs++
	b := 0
	for limit := 16 * time.Microsecond; d >= limit && b < FsyncBuckets-1; limit *= 2 {
		b++
	}
	s.FsyncHist[b]++
}

func (f *flushStats) get() FlushStat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s
}

// Stat returns a snapshot of the chunks and counters.
func (w *WAL[R]) Stat() Stat {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunksMu.RLock()
	defer w.chunksMu.RUnlock()
	s := Stat{Durable: w.synced, Dropped: w.report.Bytes(), Flush: w.stats.get()}
	for _, c := range w.chunks[:len(w.chunks)-1] {
		s.Closed = append(s.Closed, c.stat())
	}
	s.Open = w.open.stat()
	s.Bytes = w.open.end - w.chunks[0].id
	return s
}
