package workload_test

import (
	"errors"
	"testing"

	"github.com/raftlog/raftlog/bench/store/raftlogstore"
	"github.com/raftlog/raftlog/bench/workload"
)

func params(w, dir string, n uint64) workload.Params {
	return workload.Params{Workload: w, Dir: dir, N: n, Size: 100, Batch: 1, Goroutines: 1, Reads: 50, Seed: 3}
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

// TestConcurrentAppendWithGroupCommit runs 4 appenders on raftlog, which
// syncs outside the caller's mutex.
func TestConcurrentAppendWithGroupCommit(t *testing.T) {
	p := params(workload.Append, t.TempDir(), 200)
	p.Goroutines = 4
	r, err := workload.Run(raftlogstore.Name, raftlogstore.Open, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != 200 || r.Ops != 200 || r.Verified != 200 || r.Latency.N != 200 || r.Capped {
		t.Errorf("entries %d, ops %d, verified %d, latencies %d, capped %v; want 200, 200, 200, 200, false",
			r.Entries, r.Ops, r.Verified, r.Latency.N, r.Capped)
	}
	if f := r.CountersDelta["fsyncs"]; f < 1 || f > 200 {
		t.Errorf("%v fsyncs for 200 synced appends", f)
	}
}

// TestConcurrentAppendWithoutGroupCommit runs 4 appenders on a store without
// group commit, whose durable appends the caller's mutex serialises.
func TestConcurrentAppendWithoutGroupCommit(t *testing.T) {
	m := &memStore{data: map[uint64][]byte{}}
	p := params(workload.Append, t.TempDir(), 200)
	p.Goroutines = 4
	r, err := workload.Run("mem", opener(m), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != 200 || len(m.data) != 200 || r.Verified != 200 || r.Latency.N != 200 {
		t.Errorf("entries %d, stored %d, verified %d, latencies %d; want 200 each", r.Entries, len(m.data), r.Verified, r.Latency.N)
	}
}
