package workload

import (
	"slices"
	"time"
)

// recorder keeps every timed call's duration; its buffer is allocated before
// the timed section so that recording does not allocate.
type recorder struct {
	d []time.Duration
}

func newRecorder(capacity int) *recorder {
	return &recorder{d: make([]time.Duration, 0, capacity)}
}

func (r *recorder) add(d time.Duration) { r.d = append(r.d, d) }

// summary sorts the durations and returns the median, the 99th percentile
// (nearest rank) and the maximum.
func (r *recorder) summary() Latency {
	n := len(r.d)
	if n == 0 {
		return Latency{}
	}
	slices.Sort(r.d)
	rank := func(q float64) int64 {
		i := int(q*float64(n)+0.999999) - 1
		return int64(r.d[min(max(i, 0), n-1)])
	}
	return Latency{N: n, P50: rank(0.50), P99: rank(0.99), Max: int64(r.d[n-1])}
}
