package prometheus_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/raftlog/raftlog/fs"
	raftlogprom "github.com/raftlog/raftlog/metrics/prometheus"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func entry(i uint64) raftlog.Entry[raftlog.LogID, []byte] {
	return raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: i}, Payload: []byte("payload")}
}

// tornLog writes four entries with two syncs on m, closes the log, adds a
// torn record to its chunk and reopens it with no cache for durable
// entries: recovery cuts 7 bytes. The flush worker runs only when asked
// (ManualFlush), so every counter is exact.
func tornLog(t *testing.T) *raftlog.DefaultLog {
	t.Helper()
	m := fs.NewMem()
	must(t, m.MkdirAll("/log", 0o755))
	cfg := raftlog.Config{FS: m, ManualFlush: true}
	l, err := raftlog.Open("/log", cfg)
	must(t, err)
	_, err = l.Append(entry(1), entry(2))
	must(t, err)
	must(t, l.Sync())
	_, err = l.Append(entry(3), entry(4))
	must(t, err)
	must(t, l.Sync())
	// A process crash (the log is never closed), then a torn write at
	// its tail.
	m = m.Crash(rand.New(rand.NewPCG(1, 1)), fs.CrashProcess)
	must(t, l.Close())
	cfg.FS = m

	names, err := m.ReadDir("/log")
	must(t, err)
	chunk := ""
	for _, n := range names {
		if _, ok := wal.ParseChunkName(n); ok {
			chunk = n
		}
	}
	// The torn record lands right after the synced data, inside the
	// zeros the log wrote ahead of it.
	path := filepath.Join("/log", chunk)
	f, err := m.OpenFile(path, os.O_RDWR, 0)
	must(t, err)
	data, err := io.ReadAll(f)
	must(t, err)
	end := len(bytes.TrimRight(data, "\x00"))
	_, err = f.WriteAt([]byte{0x30, 0, 0, 0, 1, 'a', 'b'}, int64(end))
	must(t, err)
	must(t, f.Close())

	cfg.CacheMaxItems = -1 // only entries not yet durable stay cached
	l, err = raftlog.Open("/log", cfg)
	must(t, err)
	t.Cleanup(func() { l.Close() })
	return l
}

// gather scrapes reg and returns its metric families by name.
func gather(t *testing.T, reg *prom.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	must(t, err)
	m := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return m
}

// value is the one sample of a counter or gauge family.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	if !ok || len(mf.GetMetric()) != 1 {
		t.Fatalf("no single sample of %s", name)
	}
	m := mf.GetMetric()[0]
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// TestCollect registers the collector over a live log, scrapes it, and
// compares every metric with the log's Stat.
func TestCollect(t *testing.T) {
	l := tornLog(t)
	for range l.Read(1, 3) { // two misses: durable entries are not cached
	}
	_, err := l.Append(entry(5))
	must(t, err)
	for range l.Read(5, 6) { // a hit: not yet durable, so cached
	}

	reg := prom.NewPedanticRegistry()
	reg.MustRegister(raftlogprom.New[raftlog.LogID](l, raftlogprom.Options{ConstLabels: prom.Labels{"log": "g1"}}))
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	s := l.Stat()
	if s.WAL.Dropped != 7 || s.CacheHits != 1 || s.CacheMisses != 2 {
		t.Fatalf("the test log: dropped %d, hits %d, misses %d; want 7, 1, 2", s.WAL.Dropped, s.CacheHits, s.CacheMisses)
	}
	mfs := gather(t, reg)
	if len(mfs) != 19 {
		t.Errorf("%d metric families, want 19", len(mfs))
	}
	f := s.WAL.Flush
	for name, want := range map[string]float64{
		"raftlog_recovery_dropped_bytes": 7,
		"raftlog_cache_hits_total":       1,
		"raftlog_cache_misses_total":     2,
		"raftlog_cache_items":            float64(s.CacheItems),
		"raftlog_entries":                5,
		"raftlog_first_index":            1,
		"raftlog_end_index":              6,
		"raftlog_flush_requests_total":   float64(f.Requests),
		"raftlog_fsyncs_total":           float64(f.Fsyncs),
		"raftlog_writes_total":           float64(f.Writes),
		"raftlog_written_bytes_total":    float64(f.BytesWritten),
		"raftlog_group_commit_factor":    f.RequestsPerFsync(),
		"raftlog_unsynced_bytes":         float64(s.WAL.Open.End - s.WAL.Durable),
		"raftlog_log_bytes":              float64(s.WAL.Bytes),
		"raftlog_chunks":                 2, // the cut chunk, sealed, and the one recovery started
	} {
		if got := value(t, mfs, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if value(t, mfs, "raftlog_unsynced_bytes") == 0 {
		t.Errorf("raftlog_unsynced_bytes = 0 with entry 5 appended and not synced")
	}
	h := mfs["raftlog_fsync_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != f.Fsyncs || h.GetSampleSum() != f.FsyncTotal.Seconds() {
		t.Errorf("fsync histogram: count %d, sum %v; want %d, %v", h.GetSampleCount(), h.GetSampleSum(), f.Fsyncs, f.FsyncTotal.Seconds())
	}
	for _, m := range mfs {
		if l := m.GetMetric()[0].GetLabel(); len(l) != 1 || l[0].GetName() != "log" || l[0].GetValue() != "g1" {
			t.Errorf("%s has labels %v, want log=g1", m.GetName(), l)
		}
	}

	// After a sync nothing is unsynced.
	must(t, l.Sync())
	if got := value(t, gather(t, reg), "raftlog_unsynced_bytes"); got != 0 {
		t.Errorf("raftlog_unsynced_bytes after Sync = %v, want 0", got)
	}
}

// TestFsyncHistogram: FsyncHist's buckets become cumulative Prometheus
// buckets with upper bounds 16µs * 2^i, the last one folded into +Inf; any
// log id type works (here a func returning a Stat[uint64]).
func TestFsyncHistogram(t *testing.T) {
	var f wal.FlushStat
	f.FsyncHist[0], f.FsyncHist[3], f.FsyncHist[14], f.FsyncHist[15] = 2, 1, 4, 5
	f.Fsyncs, f.FsyncTotal = 12, 3*time.Second
	src := raftlogprom.StatFunc[uint64](func() raftlog.Stat[uint64] {
		return raftlog.Stat[uint64]{WAL: wal.Stat{Flush: f}, Evictable: raftlog.Some[uint64](9)}
	})
	reg := prom.NewPedanticRegistry()
	reg.MustRegister(raftlogprom.New[uint64](src, raftlogprom.Options{Namespace: "node"}))
	h := gather(t, reg)["node_fsync_duration_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 12 || h.GetSampleSum() != 3 {
		t.Fatalf("count %d, sum %v; want 12, 3", h.GetSampleCount(), h.GetSampleSum())
	}
	b := h.GetBucket()
	if len(b) != wal.FsyncBuckets-1 {
		t.Fatalf("%d buckets, want %d (the last is +Inf)", len(b), wal.FsyncBuckets-1)
	}
	want := map[int]uint64{0: 2, 1: 2, 2: 2, 3: 3, 13: 3, 14: 7}
	for i, bk := range b {
		if bound := (16 * time.Microsecond << i).Seconds(); bk.GetUpperBound() != bound {
			t.Errorf("bucket %d: upper bound %v, want %v", i, bk.GetUpperBound(), bound)
		}
		if w, ok := want[i]; ok && bk.GetCumulativeCount() != w {
			t.Errorf("bucket %d (le %v): %d, want %d", i, bk.GetUpperBound(), bk.GetCumulativeCount(), w)
		}
	}
}

// TestScrapeOverHTTP: what a Prometheus server scraping /metrics reads.
func TestScrapeOverHTTP(t *testing.T) {
	l := tornLog(t)
	reg := prom.NewRegistry()
	reg.MustRegister(raftlogprom.New[raftlog.LogID](l, raftlogprom.Options{}))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	for _, want := range []string{
		"# TYPE raftlog_fsync_duration_seconds histogram\n",
		`raftlog_fsync_duration_seconds_bucket{le="1.6e-05"} `,
		`raftlog_fsync_duration_seconds_bucket{le="+Inf"} `,
		"raftlog_recovery_dropped_bytes 7\n",
		"raftlog_entries 4\n",
		"# TYPE raftlog_fsyncs_total counter\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the scrape has no %q:\n%s", want, body)
		}
	}
}
