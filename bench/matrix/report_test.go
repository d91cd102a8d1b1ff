package matrix

import (
	"strings"
	"testing"
	"time"

	"github.com/raftlog/raftlog/bench/limit"
	"github.com/raftlog/raftlog/bench/workload"
)

// appendRun is a successful append run of n entries in s seconds.
func appendRun(n uint64, s float64) Run {
	return Run{Result: workload.Result{Entries: n, Ops: n, Bytes: n * 128, Seconds: s,
		Latency: workload.Latency{N: int(n), P50: 1000, P99: 2000, Max: 3000}}, MaxRSS: 10 << 20, Fsyncs: -1}
}

func synthetic() *Results {
	raftlog, wal, etcd := Stores[0], Stores[1], Stores[2]
	return &Results{
		Scale: Scales["smoke"], Reps: 3, Stores: []Store{raftlog, wal, etcd},
		Versions: map[string]string{"raftlog": "this tree", "raft-wal": "v0.4.2", "etcd-wal": "v3.7.3"},
		Rows:     []string{"a128", "reopen", "seqread"},
		Limits: []LimitRun{{Loops: []limit.Result{{Loop: limit.Loop{Kind: limit.Zeroed, Bytes: 128, Ops: 10},
			OpsPerSec: 4000, MBPerSec: 0.512, P50: 250 * time.Microsecond}}, Bandwidth: 400}},
		Runs: map[string]map[string][]Run{
			// raftlog 2000/s (median of 1900, 2000, 2100); raft-wal 1000/s; etcd 500/s, one run capped.
			"a128": {
				"raftlog":  {appendRun(1900, 1), appendRun(2000, 1), appendRun(2100, 1)},
				"raft-wal": {appendRun(1000, 1), appendRun(1000, 1), appendRun(1000, 1)},
				"etcd-wal": {appendRun(500, 1), func() Run { r := appendRun(500, 1); r.Capped = true; return r }(), appendRun(500, 1)},
			},
			// reopen: raftlog 10 ms, raft-wal 40 ms, etcd failed.
			"reopen": {
				"raftlog":  {{Result: workload.Result{OpenSeconds: 0.010}}},
				"raft-wal": {{Result: workload.Result{OpenSeconds: 0.040}}},
				"etcd-wal": {{Err: "etcd-wal reopen: boom"}},
			},
		},
		Traced:  map[string]map[string]Run{"a128": {"raftlog": {Result: workload.Result{Ops: 100, CountersDelta: map[string]float64{"fsyncs": 100}}, Fsyncs: 101}}},
		Skipped: map[string]map[string]string{"seqread": {"etcd-wal": "replayed at open"}},
	}
}

func TestRenderComputesRatiosAgainstTheBestPeer(t *testing.T) {
	var b strings.Builder
	if err := Render(&b, synthetic()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"2.00 (raft-wal) |", // a128: 2000 / 1000, raft-wal beating etcd
		"4.00 (raft-wal)",   // reopen: 40 ms / 10 ms, lower is better
		"2,000 ±5%",         // median and half range
		"500 ±0% (capped)",  // a capped run is marked
		" error |",          // a failed run shows
		" n/a |",            // a skipped store shows
		"= **0.50** of `128 B + fdatasync, zero-filled`", // 2000 entries/s over 4000 iterations/s
		"Stat counted 100 fsyncs, strace 101",
		"- etcd-wal reopen: boom", // the failures section
		"**raft-wal** v0.4.2",     // versions in the stores section
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

// TestDiskFractionPairsEachRunWithTheLoopBesideIt: with the row's raw loop
// measured right before each raftlog run, "of disk" is the median of the
// paired ratios (1900/1900, 2000/8000, 2100/2100: 1.00), not the ratio of
// the medians (0.95) nor the rep-start limit line's (0.50).
func TestDiskFractionPairsEachRunWithTheLoopBesideIt(t *testing.T) {
	res := synthetic()
	loop := limit.Loop{Kind: limit.Zeroed, Bytes: 128, Ops: 10}
	res.Beside = map[string][]limit.Result{"a128": {
		{Loop: loop, OpsPerSec: 1900, MBPerSec: 0.24}, {Loop: loop, OpsPerSec: 8000, MBPerSec: 1}, {Loop: loop, OpsPerSec: 2100, MBPerSec: 0.27}}}
	var b strings.Builder
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"= **1.00** of `128 B + fdatasync, zero-filled`, that loop run right before each of raftlog's runs",
		" 1.00, 0.25, 1.00 |", // the table of the loops beside the runs
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	res.Beside["a128"] = res.Beside["a128"][:2] // not one per run: the limit line's figure again
	b.Reset()
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "= **0.50** of `128 B + fdatasync, zero-filled`.") {
		t.Errorf("with a loop missing, the report does not fall back to the limit line:\n%s", out)
	}
}

func TestSelectRowsBringsTheLogItReads(t *testing.T) {
	rows, err := SelectRows("reopen,a128")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "a128,log,reopen" {
		t.Errorf("SelectRows(reopen,a128) = %s, want a128,log,reopen (run order, with the log)", got)
	}
	if _, err := SelectRows("a128,bogus"); err == nil {
		t.Error("an unknown row was accepted")
	}
}

func TestSelectStoresKeepsTheSubject(t *testing.T) {
	ss, err := SelectStores("raft-boltdb")
	if err != nil || len(ss) != 2 || ss[0].Name != Subject || ss[1].Name != "raft-boltdb" {
		t.Errorf("SelectStores(raft-boltdb) = %v, %v; want raftlog and raft-boltdb", ss, err)
	}
	if _, err := SelectStores("leveldb"); err == nil {
		t.Error("an unknown store was accepted")
	}
}

func TestRotateAlternatesTheFirstStore(t *testing.T) {
	for rep, want := range []string{"raftlog", "raft-wal", "etcd-wal"} {
		if got := rotate(Stores[:3], rep)[0].Name; got != want {
			t.Errorf("repetition %d starts with %s, want %s", rep, got, want)
		}
	}
}

func TestEstimateGrowsWithTheWork(t *testing.T) {
	lr := LimitRun{Loops: []limit.Result{{Loop: limit.Loop{Kind: limit.Growing, Bytes: 128, Ops: 100}, OpsPerSec: 1000, P50: time.Millisecond}}}
	cfg := Config{Stores: Stores, Rows: Rows, Scale: Scales["smoke"], Reps: 1}
	one := Estimate(cfg, lr)
	cfg.Reps = 3
	three := Estimate(cfg, lr)
	cfg.Trace = true
	traced := Estimate(cfg, lr)
	if one <= 0 || three <= 2*one || traced <= three {
		t.Errorf("estimates: 1 rep %v, 3 reps %v, 3 reps traced %v; want each larger", one, three, traced)
	}
}

// TestSixteenAppendersReadAgainstTheGroupLoop: the c16 target reads as a
// multiple of one appender (24,000 over 2,000 entries/s: 12.0x), the group
// loop's multiple of the one-goroutine loop in the same limit line (56,000
// over 4,000 iterations/s: 14.0x), and raftlog's fraction of the group
// loop (24,000 / 56,000: 0.43), which the summary's "of disk" column
// shows too; the one-goroutine loop is not taken for the group loop.
func TestSixteenAppendersReadAgainstTheGroupLoop(t *testing.T) {
	res := synthetic()
	res.Rows = append(res.Rows, "c16")
	res.Limits[0].Loops = append(res.Limits[0].Loops, limit.Result{
		Loop: limit.Loop{Kind: limit.Zeroed, Bytes: 128, Ops: 10, Goroutines: 16}, OpsPerSec: 56000, MBPerSec: 7.2, P50: 280 * time.Microsecond, PerFsync: 16})
	res.Runs["c16"] = map[string][]Run{
		"raftlog":  {appendRun(24000, 1), appendRun(24000, 1), appendRun(24000, 1)},
		"raft-wal": {appendRun(1000, 1), appendRun(1000, 1), appendRun(1000, 1)},
	}
	var b strings.Builder
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"raftlog **12.0x** one appender (c16 over a128 entries/s, a ratio of the medians)",
		"`16 goroutines: 128 B each + a shared fdatasync, zero-filled` **14.0x** `128 B + fdatasync, zero-filled` (the median",
		"raftlog **0.43** of the group loop.",
		"|            0.43 |",                                             // the summary's "of disk" column
		"| 16 goroutines: 128 B each + a shared fdatasync, zero-filled |", // the limit line, bounding c16
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

// TestBatchesOf4KReadAgainstTheLoopOfTheirFramedBytes: the 4 KiB batch row's
// target line gives raftlog's fraction of the aligned loop and, beside it,
// of the loop writing the bytes raftlog writes per batch.
func TestBatchesOf4KReadAgainstTheLoopOfTheirFramedBytes(t *testing.T) {
	res := synthetic()
	res.Rows = append(res.Rows, "b64-4k")
	res.Limits[0].Loops = append(res.Limits[0].Loops,
		limit.Result{Loop: limit.Loop{Kind: limit.Growing, Bytes: 64 * 4096, Ops: 10}, OpsPerSec: 1000, MBPerSec: 262.144, P50: time.Millisecond},
		limit.Result{Loop: limit.Loop{Kind: limit.Growing, Bytes: FramedBatch4K, Ops: 10}, OpsPerSec: 800, MBPerSec: 211.2, P50: time.Millisecond})
	// 38,400 entries a second: 600 batches, 157.3 MB/s of payload.
	run := Run{Result: workload.Result{Entries: 38400, Ops: 600, Bytes: 38400 * 4096, Seconds: 1,
		Latency: workload.Latency{N: 600, P50: 1000, P99: 2000, Max: 3000}}, MaxRSS: 10 << 20, Fsyncs: -1}
	res.Runs["b64-4k"] = map[string][]Run{"raftlog": {run, run, run}}
	var b strings.Builder
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"= **0.60** of `256 KiB + fdatasync, growing` (262 MB/s)",
		"raftlog **0.75** of `263961 B + fdatasync, growing`, a loop writing the bytes raftlog writes per batch",
		"| 263961 B + fdatasync, growing ", // the limit line
		"b64-4k, as written |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}

	// A run saved before the loop existed, rendered again with -from.
	res.Limits[0].Loops = res.Limits[0].Loops[:len(res.Limits[0].Loops)-1]
	b.Reset()
	if err := Render(&b, res); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "= **0.60** of `256 KiB") || strings.Contains(out, "263961") {
		t.Errorf("without the loop at the framed bytes, the report should keep the aligned figure and leave that loop out:\n%s", out)
	}
}
