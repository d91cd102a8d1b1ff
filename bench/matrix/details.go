package matrix

import (
	"fmt"
	"sort"
	"strings"

	"github.com/raftlog/raftlog/bench/workload"
)

// details writes one table per row, a line per store.
func (r *report) details() {
	r.printf("## Rows in detail\n\n")
	for _, id := range r.Rows {
		row, _ := RowByID(id)
		cols := detailColumns(row)
		header := []string{"store"}
		for _, c := range cols {
			header = append(header, c.name)
		}
		var rows [][]string
		for _, s := range r.Stores {
			cells := []string{s.Name}
			for _, c := range cols {
				cells = append(cells, c.cell(r, row, s))
			}
			rows = append(rows, cells)
		}
		r.printf("### %s (`%s`)\n\n", row.Title, row.ID)
		r.table(header, rows)
		r.crossCheck(row)
	}
}

// column is one column of a row's table.
type column struct {
	name string
	cell func(r *report, row Row, s Store) string
}

func median(m metric) column {
	return column{m.name, func(r *report, row Row, s Store) string { return r.storeCell(row.ID, s.Name, m) }}
}

// tracedFsyncs is the fsync-family calls per append (or in all, for a purge
// run) that strace counted in the untimed traced run.
var tracedFsyncs = column{"fsyncs/append (strace)", func(r *report, row Row, s Store) string {
	t, ok := r.Traced[row.ID][s.Name]
	if !ok || t.Err != "" || t.Unsupported != "" || t.Fsyncs < 0 || t.Ops == 0 {
		return "—"
	}
	if row.Workload == workload.Purge {
		return fmt.Sprint(t.Fsyncs)
	}
	return fmtFloat(float64(t.Fsyncs) / float64(t.Ops))
}}

func detailColumns(row Row) []column {
	switch row.Workload {
	case workload.Append:
		return []column{median(mEntriesPerSec), median(mMBPerSec), median(mP50), median(mP99), median(mMax),
			tracedFsyncs, median(mStatFsyncs), median(mAllocs), median(mPeakRSS), median(mRSSAfter), median(mDisk), median(mIndexBytes)}
	case workload.Reopen:
		return []column{median(mOpen), median(mPeakRSS), median(mRSSAfter), median(mAllocs), median(mIndexBytes)}
	case workload.SeqRead:
		return []column{median(mEntriesPerSec), median(mMBPerSec), median(mReadTime), median(mOpen), median(mPeakRSS)}
	case workload.RandRead:
		return []column{median(mReadsPerSec), median(mP50), median(mP99), median(mMax), median(mOpen),
			median(mOpenPlusReads), median(mAllocs), median(mCacheHits), median(mPeakRSS)}
	case workload.Purge:
		tf := tracedFsyncs
		tf.name = "fsyncs (strace)"
		return []column{median(mPurge), median(mTruncate), tf, median(mDisk), median(mPeakRSS)}
	}
	return nil
}

// crossCheck compares raftlog's own fsync count with strace's in the
// traced run of the row.
func (r *report) crossCheck(row Row) {
	t, ok := r.Traced[row.ID][Subject]
	if !ok || t.Err != "" || t.Fsyncs < 0 {
		return
	}
	if own, ok := counter(t, "fsyncs", true); ok {
		r.printf("Cross-check, traced run: raftlog's Stat counted %.0f fsyncs, strace %d fsync-family calls.\n\n", own, t.Fsyncs)
	}
}

// storesAndMethod says how each store is configured and how the figures
// are taken.
func (r *report) storesAndMethod() {
	r.printf("## Stores\n\n")
	for _, s := range r.Stores {
		r.printf("- **%s** %s: %s\n", s.Name, r.Versions[s.Name], s.Config)
	}
	r.printf("\n")
	var na []string
	for row, m := range r.Skipped {
		for store, why := range m {
			na = append(na, fmt.Sprintf("%s on `%s`: %s", store, row, why))
		}
	}
	sort.Strings(na)
	if len(na) > 0 {
		r.printf("n/a: %s.\n\n", strings.Join(na, "; "))
	}
	r.printf("## Method\n\n")
	for _, m := range method {
		r.printf("- %s\n", m)
	}
	r.printf("\n")
}

var method = []string{
	"Each store and row runs in its own child process (one binary per store, so no other store's packages are linked or initialised); " +
		"peak RSS is the child's max RSS from the rusage the parent collects when it exits.",
	"Payload bytes derive from the index; every run reads back what it wrote or read and checks it byte for byte " +
		"(append rows: every entry up to 20,000, else 10,000 spread and the last 1,000; a replay-only store is replayed in full).",
	"Append rows: a durable append is one call of the store's own durable write (raftlog: Append then Sync). " +
		"Serial rows time the calls only (payloads are made between them); entries/s is entries over the sum of the calls; " +
		"latency is per call (per batch). MB/s counts payload bytes.",
	"Concurrent rows: the appenders keep index order under the caller's mutex. raftlog appends under it and syncs outside it " +
		"(group commit); every other store has no group commit, so its durable append runs under the mutex and the appenders " +
		"serialise behind its fsync. Latency runs from before the mutex to durability; entries/s is over the wall time.",
	"Reopen, sequential read, random reads and purge run on the log the `log` row built, in the same repetition, page cache warm. " +
		"Reopen times the open (etcd's WAL: open and replay of every entry, its only read). Random reads: the open is timed, then " +
		"the reads of indexes drawn uniformly with a fixed seed (the same for every store), each checked in full between the timed calls; " +
		"reads/s is over the sum of the calls. Sequential read uses the store's own range read where it has one (raftlog's Read(from, to)), " +
		"else one read per index, over the wall time; its loop checks each payload's length and index and folds it into a CRC-32C " +
		"(about 25 ns per 128 B entry, the same for every store), compared with the payloads written afterwards.",
	"Purge removes the first half and then truncates the last 10%, each made durable as the store does it, timed separately; " +
		"then the entries between are read back and an entry appended after the truncation is read back.",
	"fsyncs/append (strace): a separate untimed run of the row under `strace -f -e trace=" + syncCalls + "` counts the calls " +
		"started inside the child's timed window (the child prints the window; opening and closing are outside it). " +
		"fsyncs/append (Stat): raftlog's own Stat counter over the timed run, cross-checked against strace in the traced run.",
	"allocs/entry: the Go heap allocations in the child's timed section per entry; in the append rows less the harness's own " +
		"(the slice of each batch and its payloads, the same for every store, counted by making batches of the same lengths just before the section). " +
		"It includes what a store allocates once (its first chunk, its buffers), which the smoke scale's few entries do not amortise.",
	"Spread is half the range of the repetitions over the median. A run that hits the scale's MaxTime stops early and is marked capped.",
}

// failures lists failed runs, which the caller also reports by its exit
// status.
func (r *report) failures() {
	f := r.Failed()
	if len(f) == 0 {
		return
	}
	r.printf("## Failures\n\n")
	for _, e := range f {
		r.printf("- %s\n", strings.ReplaceAll(e, "\n", " "))
	}
	r.printf("\n")
}
