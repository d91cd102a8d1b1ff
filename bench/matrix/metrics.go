package matrix

import (
	"fmt"
	"math"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/raftlog/raftlog/bench/workload"
)

// metric is one figure of a run.
type metric struct {
	name   string
	higher bool // higher is better
	get    func(Run) (float64, bool)
	format func(float64) string
}

func perSecond(n uint64, s float64) (float64, bool) {
	if s <= 0 {
		return 0, false
	}
	return float64(n) / s, true
}

func positive(v float64) (float64, bool) { return v, v > 0 }

func counter(r Run, name string, delta bool) (float64, bool) {
	m := r.Counters
	if delta {
		m = r.CountersDelta
	}
	v, ok := m[name]
	return v, ok
}

var (
	mEntriesPerSec = metric{"entries/s", true, func(r Run) (float64, bool) { return perSecond(r.Entries, r.Seconds) }, fmtRate}
	mReadsPerSec   = metric{"reads/s", true, func(r Run) (float64, bool) { return perSecond(r.Entries, r.Seconds) }, fmtRate}
	mMBPerSec      = metric{"MB/s", true, func(r Run) (float64, bool) {
		v, ok := perSecond(r.Bytes, r.Seconds)
		return v / 1e6, ok
	}, fmtFloat}
	mP50 = metric{"p50", false, func(r Run) (float64, bool) { return float64(r.Latency.P50), r.Latency.N > 0 }, fmtNanos}
	mP99 = metric{"p99", false, func(r Run) (float64, bool) { return float64(r.Latency.P99), r.Latency.N > 0 }, fmtNanos}
	mMax = metric{"max", false, func(r Run) (float64, bool) { return float64(r.Latency.Max), r.Latency.N > 0 }, fmtNanos}

	mAllocs   = metric{"allocs/entry", false, func(r Run) (float64, bool) { return r.AllocsPerEntry, r.Entries > 0 }, fmtFloat}
	mPeakRSS  = metric{"peak RSS", false, func(r Run) (float64, bool) { return positive(float64(r.MaxRSS)) }, fmtBytes}
	mRSSAfter = metric{"RSS after", false, func(r Run) (float64, bool) { return positive(float64(r.RSSAfter)) }, fmtBytes}
	mDisk     = metric{"on disk", false, func(r Run) (float64, bool) { return positive(float64(r.DiskBytes)) }, fmtBytes}

	mOpen          = metric{"open", false, func(r Run) (float64, bool) { return positive(r.OpenSeconds) }, fmtSeconds}
	mOpenPlusReads = metric{"open + reads", false, func(r Run) (float64, bool) { return positive(r.OpenSeconds + r.Seconds) }, fmtSeconds}
	mReadTime      = metric{"time", false, func(r Run) (float64, bool) { return positive(r.Seconds) }, fmtSeconds}
	mPurge         = metric{"purge", false, func(r Run) (float64, bool) { return positive(r.PurgeSeconds) }, fmtSeconds}
	mTruncate      = metric{"truncate", false, func(r Run) (float64, bool) { return positive(r.TruncateSeconds) }, fmtSeconds}

	// mStatFsyncs is the fsyncs per append call that the store's own
	// counters report (raftlog's Stat).
	mStatFsyncs = metric{"fsyncs/append (Stat)", false, func(r Run) (float64, bool) {
		v, ok := counter(r, "fsyncs", true)
		return v / float64(r.Ops), ok && r.Ops > 0
	}, fmtFloat}
	// mIndexBytes is raftlog's index memory per entry held.
	mIndexBytes = metric{"index B/entry", false, func(r Run) (float64, bool) {
		b, ok1 := counter(r, "index_bytes", false)
		n, ok2 := counter(r, "entries", false)
		return b / n, ok1 && ok2 && n > 0
	}, fmtFloat}
	mCacheHits = metric{"cache hits", true, func(r Run) (float64, bool) {
		h, ok := counter(r, "cache_hits", true)
		m, _ := counter(r, "cache_misses", true)
		return h / (h + m), ok && h+m > 0
	}, func(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }}
)

// values collects a metric over the runs that succeeded.
func values(runs []Run, m metric) Summary {
	var xs []float64
	for _, r := range runs {
		if r.Err != "" || r.Unsupported != "" {
			continue
		}
		if v, ok := m.get(r); ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
			xs = append(xs, v)
		}
	}
	return summarize(xs)
}

// cell renders a summary: the median and, over several repetitions, the
// spread.
func cell(s Summary, m metric) string {
	if s.N == 0 {
		return "—"
	}
	out := m.format(s.Median)
	if s.N > 1 {
		out += fmt.Sprintf(" ±%.0f%%", s.Spread()*100)
	}
	return out
}

// headline is the figure a progress line shows for a run.
func headline(row Row, r Run) string {
	switch row.Workload {
	case workload.Reopen:
		return "open " + fmtSeconds(r.OpenSeconds)
	case workload.Purge:
		return fmt.Sprintf("purge %s, truncate %s", fmtSeconds(r.PurgeSeconds), fmtSeconds(r.TruncateSeconds))
	case workload.RandRead:
		v, _ := mReadsPerSec.get(r)
		return fmt.Sprintf("%s reads/s, open %s", fmtRate(v), fmtSeconds(r.OpenSeconds))
	case workload.SeqRead:
		v, _ := mEntriesPerSec.get(r)
		return fmt.Sprintf("%s entries/s in %s", fmtRate(v), fmtSeconds(r.Seconds))
	}
	v, _ := mEntriesPerSec.get(r)
	capped := ""
	if r.Capped {
		capped = " (capped)"
	}
	return fmt.Sprintf("%s entries/s, p50 %s, peak RSS %s%s", fmtRate(v), fmtNanos(float64(r.Latency.P50)), fmtBytes(float64(r.MaxRSS)), capped)
}

func fmtRate(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	return humanize.Comma(int64(math.Round(v)))
}

func fmtFloat(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) < 10:
		return fmt.Sprintf("%.2f", v)
	case math.Abs(v) < 1000:
		return fmt.Sprintf("%.0f", v)
	}
	return humanize.Comma(int64(math.Round(v)))
}

func fmtBytes(v float64) string { return humanize.IBytes(uint64(v)) }

func fmtNanos(v float64) string {
	d := time.Duration(v)
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3g µs", v/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3g ms", v/1e6)
	}
	return fmt.Sprintf("%.3g s", v/1e9)
}

func fmtSeconds(s float64) string { return fmtNanos(s * 1e9) }

func fmtDuration(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}
