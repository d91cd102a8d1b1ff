package matrix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftlog/raftlog/bench/limit"
	"github.com/raftlog/raftlog/bench/workload"
)

// Row is one child workload of the matrix, run once per store and
// repetition. Some rows give two lines of the table (random reads: per read
// and with the open; purge: purge and truncation).
type Row struct {
	// ID names the row in -rows.
	ID string
	// Title is the row's line in the tables.
	Title    string
	Workload string
	Size     int
	Batch    int
	G        int
	// N is the entries the row appends (append rows).
	N func(Scale) uint64
	// Limit is the raw loop its throughput is compared with, if any.
	Limit *limit.Loop
}

// LogRow is the row that builds the log the reopen, read and purge rows use.
const LogRow = "log"

// OnLog reports whether the row reads or changes the log LogRow built.
func (r Row) OnLog() bool { return r.Workload != workload.Append }

// Supports reports whether the store can run the row, and why not.
func (r Row) Supports(s Store) (bool, string) {
	switch {
	case s.Replay && r.Workload == workload.SeqRead:
		return false, "replayed at open: its sequential read is its reopen"
	case s.Replay && r.Workload == workload.RandRead:
		return false, "no random read (replayed only)"
	case s.NoPurge && r.Workload == workload.Purge:
		return false, "no purge or truncation"
	}
	return true, ""
}

func fixed(n uint64) func(Scale) uint64 { return func(Scale) uint64 { return n } }

// Rows are every row, in the order a repetition runs them.
var Rows = []Row{
	{ID: "a128", Title: "128 B, 1 entry per durable append", Workload: workload.Append, Size: 128, Batch: 1, G: 1,
		N: func(s Scale) uint64 { return s.Single }, Limit: &limit.Loop{Kind: limit.Zeroed, Bytes: 128}},
	{ID: "a4k", Title: "4 KiB, 1 entry per durable append", Workload: workload.Append, Size: 4096, Batch: 1, G: 1,
		N: func(s Scale) uint64 { return s.Single }, Limit: &limit.Loop{Kind: limit.Zeroed, Bytes: 4096}},
	{ID: "b64", Title: "128 B, batches of 64", Workload: workload.Append, Size: 128, Batch: 64, G: 1,
		N: func(s Scale) uint64 { return s.Batch64 }, Limit: &limit.Loop{Kind: limit.Growing, Bytes: 64 * 128}},
	{ID: "b64-4k", Title: "4 KiB, batches of 64", Workload: workload.Append, Size: 4096, Batch: 64, G: 1,
		N: func(s Scale) uint64 { return s.Batch64Big }, Limit: &limit.Loop{Kind: limit.Growing, Bytes: 64 * 4096}},
	{ID: LogRow, Title: "128 B, batches of 1024 (the log the rows below use)", Workload: workload.Append, Size: 128, Batch: 1024, G: 1,
		N: func(s Scale) uint64 { return s.Log }, Limit: &limit.Loop{Kind: limit.Growing, Bytes: 1024 * 128}},
	{ID: "reopen", Title: "reopen of the log", Workload: workload.Reopen, Size: 128},
	{ID: "seqread", Title: "sequential read of the log after reopen", Workload: workload.SeqRead, Size: 128},
	{ID: "randread", Title: "random reads after reopen", Workload: workload.RandRead, Size: 128},
	{ID: "purge", Title: "purge the first half, then truncate the last 10%", Workload: workload.Purge, Size: 128},
	{ID: "c4", Title: "4 goroutines, 1 entry each, durable", Workload: workload.Append, Size: 128, Batch: 1, G: 4,
		N: func(s Scale) uint64 { return s.Single }, Limit: &limit.Loop{Kind: limit.Zeroed, Bytes: 128, Goroutines: 4}},
	{ID: "c16", Title: "16 goroutines, 1 entry each, durable", Workload: workload.Append, Size: 128, Batch: 1, G: 16,
		N: func(s Scale) uint64 { return s.Single }, Limit: &limit.Loop{Kind: limit.Zeroed, Bytes: 128, Goroutines: 16}},
}

// RowByID returns the row with that ID.
func RowByID(id string) (Row, bool) {
	i := slices.IndexFunc(Rows, func(r Row) bool { return r.ID == id })
	if i < 0 {
		return Row{}, false
	}
	return Rows[i], true
}

// SelectRows returns the rows named in a comma-separated list ("" or "all":
// every row), in run order. A row on the log brings the row that builds it.
func SelectRows(list string) ([]Row, error) {
	if list == "" || list == "all" {
		return Rows, nil
	}
	want := strings.Split(list, ",")
	for _, w := range want {
		if _, ok := RowByID(w); !ok {
			var ids []string
			for _, r := range Rows {
				ids = append(ids, r.ID)
			}
			return nil, fmt.Errorf("matrix: unknown row %q (known: %s)", w, strings.Join(ids, ", "))
		}
	}
	needLog := slices.ContainsFunc(want, func(id string) bool { r, _ := RowByID(id); return r.OnLog() })
	var out []Row
	for _, r := range Rows {
		if slices.Contains(want, r.ID) || (r.ID == LogRow && needLog) {
			out = append(out, r)
		}
	}
	return out, nil
}

// params returns the child parameters of the row at a scale.
func (r Row) params(sc Scale, dir string, logEntries uint64) workload.Params {
	p := workload.Params{Workload: r.Workload, Dir: dir, Size: r.Size, Batch: max(r.Batch, 1), Goroutines: max(r.G, 1),
		Reads: max(sc.Reads, 1), Seed: 1}
	if r.OnLog() {
		p.N = logEntries
	} else {
		p.N = r.N(sc)
	}
	if r.MaxTimeApplies() {
		p.MaxTime = sc.MaxTime
	}
	return p
}

// FramedBatch4K is the bytes raftlog writes for one of row b64-4k's
// batches: 64 records of 4,124 bytes (4,096 of payload, 19 of its op, log
// id and payload length, 9 of the record's length, kind and checksum)
// behind the round's 25-byte synced marker. Records lie back to back, so
// these writes start and end inside a page, where the row's own loop
// writes whole pages; the limit line measures both.
const FramedBatch4K = 64*4124 + 25

// LimitLoops are the limit line's loops at a scale: the 128 B and 4 KiB
// loops into each kind of file, one loop at the bytes of each batch row
// into a growing file (and a zero-filled one at 256 KiB, and a growing one
// at FramedBatch4K), and the 128 B loop from as many goroutines as each
// concurrent row runs, sharing fdatasyncs, over as many entries as the row
// appends.
func LimitLoops(sc Scale) []limit.Loop {
	var out []limit.Loop
	for _, b := range []int{128, 4096} {
		for _, k := range []limit.Kind{limit.Zeroed, limit.Fallocated, limit.Growing} {
			out = append(out, limit.Loop{Kind: k, Bytes: b, Ops: sc.RawOps})
		}
	}
	out = append(out,
		limit.Loop{Kind: limit.Growing, Bytes: 64 * 128, Ops: sc.RawOps},
		limit.Loop{Kind: limit.Growing, Bytes: 1024 * 128, Ops: max(1, int(sc.RawBytes/(1024*128)))},
		limit.Loop{Kind: limit.Zeroed, Bytes: 64 * 4096, Ops: max(1, int(sc.RawBytes/(64*4096)))},
		limit.Loop{Kind: limit.Growing, Bytes: 64 * 4096, Ops: max(1, int(sc.RawBytes/(64*4096)))},
		limit.Loop{Kind: limit.Growing, Bytes: FramedBatch4K, Ops: max(1, int(sc.RawBytes/FramedBatch4K))},
		limit.Loop{Kind: limit.Zeroed, Bytes: 128, Ops: int(sc.Single), Goroutines: 4},
		limit.Loop{Kind: limit.Zeroed, Bytes: 128, Ops: int(sc.Single), Goroutines: 16},
	)
	return out
}
