package wal

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// countSM counts what Open replays; its checkpoint is empty.
type countSM[R any] struct{ n int }

func (s *countSM[R]) Apply(R, Position) error { s.n++; return nil }
func (s *countSM[R]) Checkpoint([]R) (zero R) { return zero }

func openBench(b *testing.B, dir string) *WAL[string] {
	b.Helper()
	w, err := Open[string](Config{Dir: dir, FS: fs.OS()}, codec.String, &countSM[string]{})
	if err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkAppendSync appends a batch of records and syncs, on the real file
// system: the cost of one durable write batch.
func BenchmarkAppendSync(b *testing.B) {
	for _, size := range []int{128, 4096} {
		for _, batch := range []int{1, 64, 1024} {
			b.Run(fmt.Sprintf("size=%d/batch=%d", size, batch), func(b *testing.B) {
				w := openBench(b, b.TempDir())
				defer w.Close()
				rec := strings.Repeat("x", size)
				b.SetBytes(int64(size * batch))
				before := w.Stat().Flush
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for j := 0; j < batch; j++ {
						if _, err := w.Append(rec); err != nil {
							b.Fatal(err)
						}
					}
					if err := w.Sync(); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				runtime.ReadMemStats(&ms1)
				after := w.Stat().Flush
				n := float64(b.N * batch)
				b.ReportMetric(n/b.Elapsed().Seconds(), "records/s")
				b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/n, "allocs/record")
				b.ReportMetric(float64(after.Fsyncs-before.Fsyncs)/float64(b.N), "fsyncs/op")
			})
		}
	}
}

// BenchmarkConcurrentSync: g goroutines each append a 128-byte record and
// Sync, b.N/g times; group commit shares the fsyncs.
func BenchmarkConcurrentSync(b *testing.B) {
	for _, g := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			w := openBench(b, b.TempDir())
			defer w.Close()
			rec := strings.Repeat("c", 128)
			per := max(1, b.N/g)
			before := w.Stat().Flush
			errs := make(chan error, g)
			var wg sync.WaitGroup
			b.ResetTimer()
			for i := 0; i < g; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < per; j++ {
						if _, err := w.Append(rec); err != nil {
							errs <- err
							return
						}
						if err := w.Sync(); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			after := w.Stat().Flush
			b.ReportMetric(float64(g*per)/b.Elapsed().Seconds(), "records/s")
			if f := after.Fsyncs - before.Fsyncs; f > 0 {
				b.ReportMetric(float64(after.Requests-before.Requests)/float64(f), "requests/fsync")
			}
		})
	}
}

// rawCodec stores a []byte as the record body itself and decodes nothing
// (the value is nil): BenchmarkOpen then measures the WAL's replay (reads,
// framing, checksums) and not the allocation of a million decoded values.
type rawCodec struct{}

func (rawCodec) Append(dst, v []byte) ([]byte, error) { return append(dst, v...), nil }
func (rawCodec) Decode(src []byte) ([]byte, int, error) {
	return nil, len(src), nil
}

// BenchmarkOpen times Open+Close of a log of 1M records of 128 bytes
// (built once, default chunk size), reporting records replayed per second
// and the heap it takes.
func BenchmarkOpen(b *testing.B) {
	const n, size = 1 << 20, 128
	dir := b.TempDir()
	cfg := Config{Dir: dir, FS: fs.OS()}
	w, err := Open[[]byte](cfg, rawCodec{}, &countSM[[]byte]{})
	if err != nil {
		b.Fatal(err)
	}
	rec := []byte(strings.Repeat("o", size))
	for i := 0; i < n; i++ {
		if _, err := w.Append(rec); err != nil {
			b.Fatal(err)
		}
		if i%(64<<10) == 0 {
			if err := w.Flush(false, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	st := w.Stat()
	chunks := len(st.Closed) + 1
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d records of %d bytes: %d chunks, %d MiB", n, size, chunks, st.Bytes>>20)
	b.Run("records=1M", func(b *testing.B) {
		var heap, alloc uint64
		for i := 0; i < b.N; i++ {
			var ms0, ms1 runtime.MemStats
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			b.StartTimer()
			sm := &countSM[[]byte]{}
			w, err := Open[[]byte](cfg, rawCodec{}, sm)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			heap = max(heap, ms1.HeapInuse-min(ms1.HeapInuse, ms0.HeapInuse))
			alloc += ms1.TotalAlloc - ms0.TotalAlloc
			if sm.n != n+chunks { // n records plus a checkpoint per chunk
				b.Fatalf("replayed %d records, want %d and %d checkpoints", sm.n, n, chunks)
			}
			b.StartTimer()
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(heap), "peak-heapinuse-B")
		b.ReportMetric(float64(alloc)/float64(b.N), "alloc-B/op")
	})
}

// TestAppendZeroAlloc: once the buffer has grown, Append allocates nothing.
func TestAppendZeroAlloc(t *testing.T) {
	m := fs.NewMem()
	require.NoError(t, m.MkdirAll("/wal", 0o755))
	w, err := Open[string](Config{Dir: "/wal", FS: m, ManualWorker: true}, codec.String, &countSM[string]{})
	require.NoError(t, err)
	defer w.Close()
	rec := strings.Repeat("z", 100)
	const runs = 1000
	// Grow a buffer that holds more than the measured appends, then make it
	// the appender's buffer again: the first Step takes it (and keeps it as
	// the spare once written), the second swaps it back in.
	for i := 0; i < 2*runs; i++ {
		_, err := w.Append(rec)
		require.NoError(t, err)
	}
	require.True(t, w.Step())
	_, err = w.Append(rec)
	require.NoError(t, err)
	require.True(t, w.Step())
	var appendErr error
	allocs := testing.AllocsPerRun(runs, func() {
		if _, err := w.Append(rec); err != nil {
			appendErr = err
		}
	})
	require.NoError(t, appendErr)
	require.Zero(t, allocs, "allocations per Append of a %d-byte string", len(rec))
}
