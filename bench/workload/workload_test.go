package workload_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/bench/store/boltstore"
	"github.com/raftlog/raftlog/bench/store/etcdwalstore"
	"github.com/raftlog/raftlog/bench/store/raftlogstore"
	"github.com/raftlog/raftlog/bench/store/raftwalstore"
	"github.com/raftlog/raftlog/bench/store/tidwallstore"
	"github.com/raftlog/raftlog/bench/workload"
)

var adapters = []struct {
	name   string
	open   store.Opener
	replay bool // reads only by replay: no seqread, randread or purge
}{
	{raftlogstore.Name, raftlogstore.Open, false},
	{raftwalstore.Name, raftwalstore.Open, false},
	{etcdwalstore.Name, etcdwalstore.Open, true},
	{tidwallstore.Name, tidwallstore.Open, false},
	{boltstore.Name, boltstore.Open, false},
}

func params(w, dir string, n uint64) workload.Params {
	return workload.Params{Workload: w, Dir: dir, N: n, Size: 100, Batch: 1, Goroutines: 1, Reads: 50, Seed: 3}
}

// TestEveryStoreRunsEveryWorkload builds a log of 100 entries in batches of
// 7 (the last one short) with each store, then runs every workload on it.
func TestEveryStoreRunsEveryWorkload(t *testing.T) {
	for _, a := range adapters {
		t.Run(a.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "log")
			p := params(workload.Append, dir, 100)
			p.Batch = 7
			r, err := workload.Run(a.name, a.open, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Entries != 100 || r.Ops != 15 || r.Verified != 100 || r.Latency.N != 15 || r.Bytes != 100*100 {
				t.Errorf("append: entries %d, ops %d, verified %d, latencies %d, bytes %d; want 100, 15, 100, 15, 10000",
					r.Entries, r.Ops, r.Verified, r.Latency.N, r.Bytes)
			}
			if r.Seconds <= 0 || r.WindowEnd < r.WindowStart || r.DiskBytes <= 0 || r.RSSAfter <= 0 {
				t.Errorf("append: implausible measurements %+v", r)
			}
			if l := r.Latency; l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max {
				t.Errorf("append: latency %+v is not ordered", l)
			}

			r, err = workload.Run(a.name, a.open, params(workload.Reopen, dir, 100))
			if err != nil {
				t.Fatal(err)
			}
			if r.OpenSeconds <= 0 || r.Verified == 0 {
				t.Errorf("reopen: open %v s, verified %d", r.OpenSeconds, r.Verified)
			}
			if a.replay && r.Verified != 100 {
				t.Errorf("reopen of a replayed store checked %d entries, want all 100", r.Verified)
			}

			for _, w := range []string{workload.SeqRead, workload.RandRead, workload.Purge} {
				r, err = workload.Run(a.name, a.open, params(w, dir, 100))
				if err != nil {
					t.Fatalf("%s: %v", w, err)
				}
				if a.replay {
					if r.Unsupported == "" {
						t.Errorf("%s: a replay-only store ran it", w)
					}
					continue
				}
				if r.Unsupported != "" || r.Verified == 0 {
					t.Errorf("%s: unsupported %q, verified %d", w, r.Unsupported, r.Verified)
				}
				want := map[string]uint64{workload.SeqRead: 100, workload.RandRead: 50, workload.Purge: 5}[w]
				if r.Verified != want {
					t.Errorf("%s: verified %d entries, want %d", w, r.Verified, want)
				}
				if w == workload.Purge && (r.PurgeSeconds <= 0 || r.TruncateSeconds <= 0) {
					t.Errorf("purge: purge %v s, truncate %v s", r.PurgeSeconds, r.TruncateSeconds)
				}
			}
		})
	}
}

// TestConcurrentAppendKeepsEveryEntry runs 4 appenders on a store with
// group commit and on one without.
func TestConcurrentAppendKeepsEveryEntry(t *testing.T) {
	for _, a := range adapters[:2] {
		t.Run(a.name, func(t *testing.T) {
			p := params(workload.Append, t.TempDir(), 200)
			p.Goroutines = 4
			r, err := workload.Run(a.name, a.open, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Entries != 200 || r.Ops != 200 || r.Verified != 200 || r.Latency.N != 200 || r.Capped {
				t.Errorf("entries %d, ops %d, verified %d, latencies %d, capped %v; want 200, 200, 200, 200, false",
					r.Entries, r.Ops, r.Verified, r.Latency.N, r.Capped)
			}
		})
	}
}

func TestRaftlogCountsAnFsyncPerSerialAppend(t *testing.T) {
	r, err := workload.Run(raftlogstore.Name, raftlogstore.Open, params(workload.Append, t.TempDir(), 50))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.CountersDelta["fsyncs"]; got < 50 {
		t.Errorf("raftlog's Stat counted %v fsyncs over 50 durable appends, want at least 50", got)
	}
}

func TestMaxTimeCapsAnAppendRun(t *testing.T) {
	p := params(workload.Append, t.TempDir(), 1_000_000)
	p.MaxTime = 1
	r, err := workload.Run(raftlogstore.Name, raftlogstore.Open, p)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Capped || r.Entries >= p.N || r.Verified != r.Entries {
		t.Errorf("capped %v, entries %d of %d, verified %d: want a capped run, checked", r.Capped, r.Entries, p.N, r.Verified)
	}
}

func TestValidateNamesTheBadParameter(t *testing.T) {
	for param, p := range map[string]workload.Params{
		"dir":      {Workload: workload.Append, N: 1, Size: 1, Batch: 1, Goroutines: 1, Reads: 1},
		"n":        {Workload: workload.Append, Dir: "d", Size: 1, Batch: 1, Goroutines: 1, Reads: 1},
		"batch":    {Workload: workload.Append, Dir: "d", N: 1, Size: 1, Goroutines: 1, Reads: 1},
		"workload": {Workload: "scan", Dir: "d", N: 1, Size: 1, Batch: 1, Goroutines: 1, Reads: 1},
	} {
		var pe *workload.ParamError
		if err := p.Validate(); !errors.As(err, &pe) || pe.Param != param {
			t.Errorf("%+v: got %v, want a ParamError for -%s", p, err, param)
		}
	}
}
