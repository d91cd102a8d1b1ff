package workload

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
)

// runAppend appends p.N entries to a new store, checks them and measures the
// disk it took.
func runAppend(p Params, open store.Opener, r *Result) error {
	s, err := open(p.Dir)
	if err != nil {
		return err
	}
	if p.Goroutines == 1 {
		err = appendSerial(p, s, r)
	} else {
		err = appendConcurrent(p, s, r)
	}
	if err == nil {
		err = verifyAfterAppend(p, s, open, r)
	} else {
		s.Close()
	}
	if err != nil {
		return err
	}
	r.DiskBytes, r.DiskApparent, err = DiskUsage(p.Dir)
	return err
}

// batch returns the entries [from, from+n) with fresh payloads (a log may
// keep a payload it was handed).
func batch(from uint64, n, size int) []store.Entry {
	es := make([]store.Entry, n)
	for i := range es {
		es[i] = store.Entry{Index: from + uint64(i), Payload: payload.New(from+uint64(i), size)}
	}
	return es
}

// entryMaker makes the batches of an append row and counts the heap
// allocations making them costs (the slice and the payloads), so that the
// row's allocations per entry are the store's alone. It is not safe for
// concurrent use: the concurrent row calls it under its mutex.
type entryMaker struct {
	size   int
	each   map[int]uint64 // allocations of one batch, by its length
	allocs uint64         // of the batches made so far
}

// newEntryMaker measures, before the timed section, what making a batch of
// each length p's rows use allocates: batch allocates the same for the
// same length every time. The store is open by then, and its goroutines
// may allocate meanwhile: the least of a few counts is the harness's own.
func newEntryMaker(p Params) *entryMaker {
	m := &entryMaker{size: p.Size, each: make(map[int]uint64)}
	for _, n := range []int{p.Batch, int(p.N % uint64(p.Batch))} {
		if n == 0 {
			continue
		}
		const counts, tries = 3, 4
		gc := debug.SetGCPercent(-1) // a collection may allocate: none while counting
		for c := range counts {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range tries {
				madeSink = batch(1, n, p.Size)
			}
			runtime.ReadMemStats(&after)
			if got := (after.Mallocs - before.Mallocs) / tries; c == 0 || got < m.each[n] {
				m.each[n] = got
			}
		}
		debug.SetGCPercent(gc)
		madeSink = nil
	}
	return m
}

// madeSink keeps the batches newEntryMaker makes escaping to the heap, as
// the rows' batches do, so that the compiler allocates them the same way.
var madeSink []store.Entry

// batch returns the entries [from, from+n), as batch does, and counts what
// making them allocated.
func (m *entryMaker) batch(from uint64, n int) []store.Entry {
	m.allocs += m.each[n]
	return batch(from, n, m.size)
}

// appendSerial times each durable append; the payloads are made between the
// timed calls, and Seconds is the sum of the calls.
func appendSerial(p Params, s store.Store, r *Result) error {
	rec := newRecorder(int(p.N)/p.Batch + 1)
	var busy time.Duration
	mk := newEntryMaker(p)
	sec := begin(s)
	next := uint64(1)
	for next <= p.N {
		if p.MaxTime > 0 && time.Since(sec.start) > p.MaxTime {
			r.Capped = true
			break
		}
		es := mk.batch(next, int(min(uint64(p.Batch), p.N-next+1)))
		t := time.Now()
		if err := s.Append(es); err != nil {
			return err
		}
		d := time.Since(t)
		rec.add(d)
		busy += d
		next += uint64(len(es))
		r.Ops++
	}
	r.Entries = next - 1
	r.Bytes = r.Entries * uint64(p.Size)
	sec.harness = mk.allocs
	sec.end(r)
	r.Seconds = busy.Seconds()
	r.Latency = rec.summary()
	return nil
}

// appendConcurrent runs p.Goroutines appenders that keep index order under
// one mutex, as a Raft node's callers would. A store.GroupCommitter appends
// under the mutex and syncs outside it, so that waiting syncs can share an
// fsync; any other store makes its durable append under the mutex, which
// serialises the appenders behind its fsync. A call's latency runs from
// before the mutex to durability; Seconds is the wall time.
func appendConcurrent(p Params, s store.Store, r *Result) error {
	gc, group := s.(store.GroupCommitter)
	var (
		mu   sync.Mutex
		next = uint64(1)
		ops  int
		lat  = make([]time.Duration, (p.N+uint64(p.Batch)-1)/uint64(p.Batch)) // one slot per call, by its turn
		wg   sync.WaitGroup
		errs = make([]error, p.Goroutines)
		mk   = newEntryMaker(p)
	)
	sec := begin(s)
	for g := range p.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = func() error {
				for {
					t := time.Now()
					mu.Lock()
					if next > p.N || (p.MaxTime > 0 && t.Sub(sec.start) > p.MaxTime) {
						mu.Unlock()
						return nil
					}
					es := mk.batch(next, int(min(uint64(p.Batch), p.N-next+1)))
					next += uint64(len(es))
					turn := ops
					ops++
					var err error
					if group {
						err = gc.AppendNoSync(es)
						mu.Unlock()
						if err == nil {
							err = gc.Sync()
						}
					} else {
						err = s.Append(es)
						mu.Unlock()
					}
					if err != nil {
						return err
					}
					lat[turn] = time.Since(t)
				}
			}()
		}()
	}
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			return fmt.Errorf("appender %d: %w", g, err)
		}
	}
	r.Entries, r.Ops = next-1, uint64(ops)
	r.Capped = r.Entries < p.N
	r.Bytes = r.Entries * uint64(p.Size)
	sec.harness = mk.allocs
	sec.end(r)
	r.Latency = (&recorder{d: lat[:ops]}).summary()
	return nil
}
