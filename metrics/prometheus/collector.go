// Package prometheus exports a raftlog Log's Stat as Prometheus metrics.
//
//	reg.MustRegister(raftlogprom.New[raftlog.LogID](l, raftlogprom.Options{}))
//
// On each scrape the collector takes one Stat snapshot and reports it:
// flush requests, writes, bytes and fsyncs as counters, the fsync latency
// as a histogram, the group-commit factor, the payload cache's hits and
// misses, the entries held and the bytes recovery dropped at Open. It is a
// nested module, so that programs which do not use it do not link
// client_golang.
package prometheus

import (
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

// Source is what the collector reads: every *raftlog.Log has this method.
type Source[L any] interface {
	Stat() raftlog.Stat[L]
}

// StatFunc makes a function a Source.
type StatFunc[L any] func() raftlog.Stat[L]

// Stat calls f.
func (f StatFunc[L]) Stat() raftlog.Stat[L] { return f() }

// Options configures a Collector. The zero value is fine.
type Options struct {
	// Namespace prefixes every metric name; default "raftlog".
	Namespace string
	// ConstLabels are added to every metric, to tell several logs of one
	// process apart (say {"log": "group-7"}).
	ConstLabels prom.Labels
}

// Collector is a prometheus.Collector over a log's Stat. L is the log's id
// type. It is safe for concurrent scrapes: each takes its own snapshot.
type Collector[L any] struct {
	src   Source[L]
	descs descs
}

// New returns a collector of src's Stat.
func New[L any](src Source[L], o Options) *Collector[L] {
	if o.Namespace == "" {
		o.Namespace = "raftlog"
	}
	return &Collector[L]{src: src, descs: newDescs(o)}
}

// Describe sends the descriptor of every metric the collector reports.
func (c *Collector[L]) Describe(ch chan<- *prom.Desc) {
	for _, d := range c.descs.all() {
		ch <- d
	}
}

// Collect takes one Stat snapshot and sends every metric.
func (c *Collector[L]) Collect(ch chan<- prom.Metric) {
	s := c.src.Stat()
	d := &c.descs
	f := s.WAL.Flush
	counter := func(desc *prom.Desc, v uint64) { ch <- prom.MustNewConstMetric(desc, prom.CounterValue, float64(v)) }
	gauge := func(desc *prom.Desc, v float64) { ch <- prom.MustNewConstMetric(desc, prom.GaugeValue, v) }

	counter(d.flushRequests, f.Requests)
	counter(d.flushSteps, f.Steps)
	counter(d.writes, f.Writes)
	counter(d.bytesWritten, f.BytesWritten)
	counter(d.fsyncs, f.Fsyncs)
	ch <- prom.MustNewConstHistogram(d.fsyncSeconds, f.Fsyncs, f.FsyncTotal.Seconds(), fsyncBuckets(f))
	gauge(d.groupCommit, f.RequestsPerFsync())

	counter(d.cacheHits, s.CacheHits)
	counter(d.cacheMisses, s.CacheMisses)
	gauge(d.cacheItems, float64(s.CacheItems))
	gauge(d.cacheBytes, float64(s.CacheBytes))

	gauge(d.entries, float64(s.End-s.First))
	gauge(d.firstIndex, float64(s.First))
	gauge(d.endIndex, float64(s.End))
	gauge(d.indexBytes, float64(s.IndexBytes))

	gauge(d.chunks, float64(len(s.WAL.Closed)+1))
	gauge(d.logBytes, float64(s.WAL.Bytes))
	gauge(d.unsyncedBytes, float64(s.WAL.Open.End-min(s.WAL.Durable, s.WAL.Open.End)))
	gauge(d.droppedBytes, float64(s.WAL.Dropped))
}

// fsyncBucketBase is the upper bound of wal.FlushStat.FsyncHist's first
// bucket; bucket i counts fsyncs under fsyncBucketBase * 2^i.
const fsyncBucketBase = 16 * time.Microsecond

// fsyncBuckets turns FsyncHist into Prometheus's cumulative buckets, keyed
// by upper bound in seconds. Its last bucket, which holds everything slower,
// is the +Inf bucket, which Prometheus derives from the count.
func fsyncBuckets(f wal.FlushStat) map[float64]uint64 {
	b := make(map[float64]uint64, wal.FsyncBuckets-1)
	var cum uint64
	for i := range wal.FsyncBuckets - 1 {
		cum += f.FsyncHist[i]
		b[(fsyncBucketBase << i).Seconds()] = cum
	}
	return b
}
