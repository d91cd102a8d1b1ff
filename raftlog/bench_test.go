package raftlog

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftlog/raftlog/fs"
)

// cxFill returns a payload of size bytes.
func cxFill(size int) []byte {
	p := make([]byte, size)
	for k := range p {
		p[k] = byte('a' + k%26)
	}
	return p
}

// cxBuildLog appends n entries of the payload, in batches of 1024 with a
// Sync every 64 batches and at the end.
func cxBuildLog(b *testing.B, l *DefaultLog, n int, payload []byte) {
	b.Helper()
	entries := make([]cxEntry, 1024)
	for done := 0; done < n; {
		k := min(len(entries), n-done)
		for j := range k {
			entries[j] = cxEntry{ID: LogID{Term: 1, Index: uint64(done + j + 1)}, Payload: payload}
		}
		if _, err := l.Append(entries[:k]...); err != nil {
			b.Fatal(err)
		}
		done += k
		if done%(64*1024) == 0 || done == n {
			if err := l.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAppendSync: each op appends a batch and syncs it, on the OS file
// system. Reports entries/s, allocs/entry (every goroutine's, the flush
// worker's included) and fsyncs/op.
func BenchmarkAppendSync(b *testing.B) {
	for _, size := range []int{128, 4096} {
		for _, batch := range []int{1, 64, 1024} {
			b.Run(fmt.Sprintf("size=%d/batch=%d", size, batch), func(b *testing.B) {
				l, err := Open(b.TempDir(), Config{FS: fs.OS()})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				payload := cxFill(size)
				entries := make([]cxEntry, batch)
				next := uint64(1)
				b.SetBytes(int64(size * batch))
				fsyncs0 := l.Stat().WAL.Flush.Fsyncs
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				ops := 0
				for b.Loop() {
					for k := range entries {
						entries[k] = cxEntry{ID: LogID{Term: 1, Index: next}, Payload: payload}
						next++
					}
					if _, err := l.Append(entries...); err != nil {
						b.Fatal(err)
					}
					if err := l.Sync(); err != nil {
						b.Fatal(err)
					}
					ops++
				}
				runtime.ReadMemStats(&ms1)
				fsyncs := l.Stat().WAL.Flush.Fsyncs - fsyncs0
				total := float64(ops * batch)
				b.ReportMetric(total/b.Elapsed().Seconds(), "entries/s")
				b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/total, "allocs/entry")
				b.ReportMetric(float64(fsyncs)/float64(ops), "fsyncs/op")
			})
		}
	}
}

// BenchmarkAppendCPU measures the time Append takes per entry, which is CPU
// (it does no I/O): each op appends a batch of 1024 entries of 128 bytes on
// the OS file system and syncs it (the benchmark matrix's log row), and only
// the Append calls are timed (append-ns/entry; ns/op includes the Sync).
func BenchmarkAppendCPU(b *testing.B) {
	const batch = 1024
	l, err := Open(b.TempDir(), Config{FS: fs.OS()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	payload := cxFill(128)
	entries := make([]cxEntry, batch)
	next := uint64(1)
	b.SetBytes(int64(len(payload) * batch))
	b.ReportAllocs()
	var inAppend time.Duration
	ops := 0
	for b.Loop() {
		for k := range entries {
			entries[k] = cxEntry{ID: LogID{Term: 1, Index: next}, Payload: payload}
			next++
		}
		start := time.Now()
		if _, err := l.Append(entries...); err != nil {
			b.Fatal(err)
		}
		inAppend += time.Since(start)
		if err := l.Sync(); err != nil {
			b.Fatal(err)
		}
		ops++
	}
	b.ReportMetric(float64(inAppend.Nanoseconds())/float64(ops*batch), "append-ns/entry")
}

// BenchmarkRead reads one random entry per op from a log of 100k entries
// of 128 bytes on the OS file system: from the payload cache (hit), or,
// with CacheMaxItems -1 after Sync and DrainCacheEvictable, with one pread
// and a checksum per entry (miss; the OS page cache is warm).
func BenchmarkRead(b *testing.B) {
	const n = 100_000
	for _, c := range []struct {
		name       string
		cacheItems int
	}{
		{"hit", 2 * n},
		{"miss", -1},
	} {
		b.Run(c.name, func(b *testing.B) {
			l, err := Open(b.TempDir(), Config{FS: fs.OS(), CacheMaxItems: c.cacheItems})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			cxBuildLog(b, l, n, cxFill(128))
			if c.cacheItems < 0 {
				l.DrainCacheEvictable()
				if l.Stat().CacheItems != 0 {
					b.Fatal("entries left in the cache")
				}
			}
			st0 := l.Stat()
			rng := rand.New(rand.NewPCG(1, 2))
			sink := 0
			b.ReportAllocs()
			for b.Loop() {
				i := 1 + rng.Uint64N(n)
				for e, err := range l.Read(i, i+1) {
					if err != nil {
						b.Fatal(err)
					}
					sink += len(e.Payload)
				}
			}
			st := l.Stat()
			hits, misses := st.CacheHits-st0.CacheHits, st.CacheMisses-st0.CacheMisses
			if (c.cacheItems < 0) != (hits == 0) || sink == 0 {
				b.Fatalf("hits %d misses %d", hits, misses)
			}
			b.ReportMetric(float64(misses)/float64(hits+misses), "miss-ratio")
		})
	}
}

// cxHeapObjects is the bytes of live and not yet swept heap objects, read
// without stopping the world.
func cxHeapObjects(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkOpen1M times Open+Close of a log of 1M entries of 128 bytes
// (built once). Reported: the live heap with the log open (after a GC),
// the bytes Open allocates in total, and the peak heap seen during one
// untimed Open by a sampler.
func BenchmarkOpen1M(b *testing.B) {
	const n = 1 << 20
	dir := b.TempDir()
	cfg := Config{FS: fs.OS()}
	l, err := Open(dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	cxBuildLog(b, l, n, cxFill(128))
	disk := l.OnDiskSize()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}

	// One untimed Open with a sampler of the heap.
	base := cxHeap()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var stop atomic.Bool
	peakCh := make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		for !stop.Load() {
			peak = max(peak, cxHeapObjects(s))
			runtime.Gosched()
		}
		peakCh <- peak
	}()
	l, err = Open(dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	stop.Store(true)
	peak := <-peakCh
	peak = max(peak, cxHeapObjects(samples))
	live := cxHeap()
	if st := l.Stat(); st.End-st.First != n {
		b.Fatalf("reopened [%d, %d)", st.First, st.End)
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	opens := 0
	for b.Loop() {
		l, err := Open(dir, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
		opens++
	}
	runtime.ReadMemStats(&ms1)
	const mb = 1 << 20
	b.ReportMetric(b.Elapsed().Seconds()/float64(opens), "s/open")
	b.ReportMetric(float64(disk)/mb, "disk-MB")
	b.ReportMetric(float64(int64(live)-int64(base))/mb, "live-heap-MB")
	b.ReportMetric(float64(int64(peak)-int64(base))/mb, "peak-heap-MB")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(opens)/mb, "alloc-MB/open")
}
