package workload

import (
	"runtime"
	"time"

	"github.com/raftlog/raftlog/bench/store"
)

// section measures a timed section: its window, the heap allocations in it
// and the change of the store's own counters across it.
type section struct {
	s       store.Store // nil until the store is open
	start   time.Time
	mallocs uint64
	harness uint64 // allocations in the section that were the harness's own
	c0      map[string]float64
}

func counters(s store.Store) map[string]float64 {
	if c, ok := s.(store.Counter); ok && s != nil {
		return c.Counters()
	}
	return nil
}

// begin starts a section on s, or on a store still to open (s nil, set
// sec.s once it is open: its counters then count from zero).
func begin(s store.Store) *section {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sec := &section{s: s, mallocs: ms.Mallocs, c0: counters(s)}
	sec.start = time.Now()
	return sec
}

// end closes the section: it sets the window, the wall time (which a
// caller may replace by the sum of its timed calls), the resident memory,
// the allocations per entry (less the harness's, if the caller set them)
// and the counters.
func (sec *section) end(r *Result) {
	stop := time.Now()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.WindowStart, r.WindowEnd = sec.start.UnixMicro(), stop.UnixMicro()
	r.Seconds = stop.Sub(sec.start).Seconds()
	r.RSSAfter = residentBytes()
	if r.Entries > 0 {
		n := ms.Mallocs - sec.mallocs
		n -= min(sec.harness, n)
		r.AllocsPerEntry = float64(n) / float64(r.Entries)
	}
	if c1 := counters(sec.s); c1 != nil {
		r.Counters, r.CountersDelta = c1, make(map[string]float64, len(c1))
		for k, v := range c1 {
			r.CountersDelta[k] = v - sec.c0[k]
		}
	}
}
