package matrix

import (
	"math"
	"time"

	"github.com/raftlog/raftlog/bench/limit"
	"github.com/raftlog/raftlog/bench/workload"
)

// The cost model's constants, fitted to runs on the reference machine type
// (2 cores, ext4 on a virtio disk).
const (
	childStart     = 0.07   // seconds to start, open and close a child
	fsyncOverhead  = 1.5    // a store's durable append over the raw loop's iteration
	cpuPerEntry    = 4e-6   // seconds per appended entry, beyond the fsyncs
	boltPerEntry   = 20e-6  // the same for raft-boltdb, which updates a B+tree
	boltFsyncs     = 2      // raft-boltdb fsyncs data pages, then the meta page
	openPerEntry   = 1.5e-6 // seconds per entry of the log to open it
	readPerEntry   = 4.5e-6 // seconds per entry of the log to read it in order
	randReadCost   = 6e-6   // seconds per random read
	verifyPerEntry = 5e-6   // seconds per entry checked after an append run
	purgeCost      = 0.1    // seconds per purge run
	straceOverhead = 1.3    // a traced run's slowdown
)

// Estimate predicts the whole run's duration from the first limit line. Each
// durable append costs 1.5 times the median iteration of the raw loop that
// writes as many bytes into a growing file (twice that for raft-boltdb) plus
// a CPU cost per entry; under G appenders a group-committing store shares its fsyncs among
// up to G; each read row costs a time per entry of the log; every child
// costs a start; the limit line runs once a repetition, and each row's
// loop once more. The traced pass repeats the append and purge rows once. It
// is a prediction, not a bound: the progress lines tell the real time, and
// MaxTime caps each append and random-read run.
func Estimate(cfg Config, lr LimitRun) time.Duration {
	var rep, traced float64
	for _, row := range cfg.Rows {
		for _, s := range cfg.Stores {
			if ok, _ := row.Supports(s); !ok {
				continue
			}
			t := childStart + rowCost(cfg.Scale, lr, row, s)
			if row.MaxTimeApplies() {
				t = math.Min(t, cfg.Scale.MaxTime.Seconds()+childStart)
			}
			rep += t
			if row.Workload == workload.Append || row.Workload == workload.Purge {
				traced += t * straceOverhead
			}
		}
	}
	loopCost := func(r limit.Result) float64 {
		t := float64(r.Loop.Ops) / math.Max(r.OpsPerSec, 1)
		if r.Loop.Kind == limit.Zeroed && lr.Bandwidth > 0 { // zero-filling the file first
			t += float64(r.Loop.Ops*r.Loop.Bytes) / (lr.Bandwidth * 1e6)
		}
		return t
	}
	var limits float64
	for _, r := range lr.Loops {
		limits += loopCost(r)
	}
	for _, row := range cfg.Rows { // each row's loop again, right before raftlog's run
		if row.Limit == nil {
			continue
		}
		if r, ok := lr.find(*row.Limit); ok {
			limits += loopCost(r)
		}
	}
	if lr.Bandwidth > 0 {
		limits += float64(cfg.Scale.RawBytes) / (lr.Bandwidth * 1e6)
	}
	total := float64(cfg.Reps) * (rep + limits)
	if cfg.Trace {
		total += traced
	}
	return time.Duration(total * float64(time.Second))
}

// MaxTimeApplies reports whether Scale.MaxTime caps the row's runs: the
// append rows but the log (which the read rows need whole), and the random
// reads (a store that loads a segment per read would take hours).
func (r Row) MaxTimeApplies() bool {
	return r.Workload == workload.Append && r.ID != LogRow || r.Workload == workload.RandRead
}

// rowCost is the model's time for one run of the row by one store.
func rowCost(sc Scale, lr LimitRun, row Row, s Store) float64 {
	n := float64(sc.Log)
	switch row.Workload {
	case workload.Reopen:
		return n * openPerEntry
	case workload.SeqRead:
		return n * (openPerEntry + readPerEntry)
	case workload.RandRead:
		return n*openPerEntry + float64(sc.Reads)*randReadCost
	case workload.Purge:
		return purgeCost
	}
	n = float64(row.N(sc))
	appends := math.Ceil(n / float64(row.Batch))
	fsync, cpu := fsyncCost(lr, row.Size*row.Batch)*fsyncOverhead, cpuPerEntry
	if s.Name == "raft-boltdb" {
		fsync, cpu = fsync*boltFsyncs, boltPerEntry
	}
	if s.Group && row.G > 1 {
		appends /= float64(row.G)
	}
	return appends*fsync + n*cpu + math.Min(n, verifySampled)*verifyPerEntry
}

// verifySampled is about how many entries an append run checks at most.
const verifySampled = 20_000

// fsyncCost is the median iteration of the growing-file loop nearest in bytes
// to b, in seconds.
func fsyncCost(lr LimitRun, b int) float64 {
	best, bestGap := 0.0, math.Inf(1)
	for _, r := range lr.Loops {
		if r.Loop.Kind != limit.Growing {
			continue
		}
		if gap := math.Abs(math.Log(float64(r.Loop.Bytes) / float64(b))); gap < bestGap {
			best, bestGap = r.P50.Seconds(), gap
		}
	}
	return best
}
