package matrix

import (
	"fmt"
	"io"
	"slices"

	"github.com/dustin/go-humanize"

	"github.com/raftlog/raftlog/bench/limit"
)

// report renders Results; its methods look figures up by row and store.
type report struct {
	*Results
	w   io.Writer
	err error
}

// Render writes the Markdown report: the machine line, the summary table
// with ratios to the best peer and to the disk, the targets, the limit line,
// a table per row, the stores' configurations and the method.
func Render(w io.Writer, res *Results) error {
	r := &report{Results: res, w: w}
	r.header()
	r.summary()
	r.targets()
	r.limitLine()
	r.details()
	r.storesAndMethod()
	r.failures()
	return r.err
}

func (r *report) printf(format string, args ...any) {
	if r.err == nil {
		_, r.err = fmt.Fprintf(r.w, format, args...)
	}
}

func (r *report) table(header []string, rows [][]string) {
	if r.err == nil {
		r.err = markdown(r.w, header, rows)
	}
	r.printf("\n")
}

func (r *report) ran(row string) bool { return slices.Contains(r.Rows, row) }

func (r *report) peers() []Store {
	return slices.DeleteFunc(slices.Clone(r.Stores), func(s Store) bool { return s.Name == Subject })
}

// sum is a metric's summary for one row and store.
func (r *report) sum(row, store string, m metric) Summary {
	return values(r.Runs[row][store], m)
}

// best is the best peer's summary of a metric on a row.
func (r *report) best(row string, m metric) (string, Summary) {
	name, best := "", Summary{}
	for _, p := range r.peers() {
		s := r.sum(row, p.Name, m)
		if s.N == 0 {
			continue
		}
		if best.N == 0 || (m.higher && s.Median > best.Median) || (!m.higher && s.Median < best.Median) {
			name, best = p.Name, s
		}
	}
	return name, best
}

// ratio is raftlog against the best peer, >1 when raftlog is better.
func (r *report) ratio(row string, m metric) (float64, string, bool) {
	peer, b := r.best(row, m)
	own := r.sum(row, Subject, m)
	if b.N == 0 || own.N == 0 || own.Median == 0 || b.Median == 0 {
		return 0, "", false
	}
	if m.higher {
		return own.Median / b.Median, peer, true
	}
	return b.Median / own.Median, peer, true
}

func (r *report) ratioCell(row string, m metric) string {
	v, peer, ok := r.ratio(row, m)
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2f (%s)", v, peer)
}

// fraction is raftlog's m on an append row over what the row's raw loop
// allows (raw of a loop's result, in m's units): the median of the
// repetitions' ratios to the loop run right before raftlog's run (beside
// true), or, for a run saved without those, the ratio of the medians over
// the repetitions' limit lines. loop is the median of raw over the loops
// used.
func (r *report) fraction(row Row, m metric, raw func(limit.Result) float64) (f, loop float64, beside, ok bool) {
	if row.Limit == nil {
		return 0, 0, false, false
	}
	var loops []float64
	if xs := r.besideRatios(row, m, raw); len(xs) > 0 {
		for _, l := range r.Beside[row.ID] {
			if v := raw(l); v > 0 {
				loops = append(loops, v)
			}
		}
		return summarize(xs).Median, summarize(loops).Median, true, true
	}
	for _, lr := range r.Limits {
		if x, ok := lr.find(*row.Limit); ok {
			loops = append(loops, raw(x))
		}
	}
	own, lim := r.sum(row.ID, Subject, m), summarize(loops)
	if own.N == 0 || lim.N == 0 || lim.Median == 0 {
		return 0, 0, false, false
	}
	return own.Median / lim.Median, lim.Median, false, true
}

// diskFraction is fraction in entries/s: the loop's iterations per second
// times the row's batch.
func (r *report) diskFraction(row Row) (f float64, beside, ok bool) {
	f, _, beside, ok = r.fraction(row, mEntriesPerSec, func(l limit.Result) float64 { return l.OpsPerSec * float64(row.Batch) })
	return f, beside, ok
}

// besideRatios pairs each repetition's raftlog run of the row with the raw
// loop measured right before it and returns m of the run over raw of the
// loop, for the pairs where both succeeded; none if the run has no such
// loops.
func (r *report) besideRatios(row Row, m metric, raw func(limit.Result) float64) []float64 {
	runs, loops := r.Runs[row.ID][Subject], r.Beside[row.ID]
	if len(runs) != len(loops) {
		return nil
	}
	var xs []float64
	for i, run := range runs {
		v, ok := m.get(run)
		if d := raw(loops[i]); ok && run.Err == "" && run.Unsupported == "" && d > 0 {
			xs = append(xs, v/d)
		}
	}
	return xs
}

func (r *report) header() {
	sc := r.Scale
	r.printf("# raftlog against its peers\n\n")
	r.printf("Machine: %s.\n\n", r.Machine)
	r.printf("Scale `%s` (1-entry and concurrent rows %s entries, 128 B batches of 64 %s, 4 KiB batches of 64 %s, "+
		"the log %s entries, %s random reads); %d repetition(s), stores alternated, one process per store and row; "+
		"medians ± half the range over the repetitions. Run %s, took %s (estimated %s).\n\n",
		sc.Name, humanize.Comma(int64(sc.Single)), humanize.Comma(int64(sc.Batch64)), humanize.Comma(int64(sc.Batch64Big)),
		humanize.Comma(int64(sc.Log)), humanize.Comma(int64(sc.Reads)), r.Reps,
		r.Started.Format("2006-01-02 15:04 MST"), fmtDuration(r.Seconds), fmtDuration(r.Estimate))
}

// line is one line of the summary table.
type line struct {
	row   string
	title string
	m     metric
}

func (r *report) lines() []line {
	log := humanize.Comma(int64(r.Scale.Log))
	reads := humanize.Comma(int64(r.Scale.Reads))
	return []line{
		{"a128", "128 B, 1 entry per durable append", mEntriesPerSec},
		{"a4k", "4 KiB, 1 entry per durable append", mEntriesPerSec},
		{"b64", "128 B, batches of 64", mEntriesPerSec},
		{"b64-4k", "4 KiB, batches of 64", mEntriesPerSec},
		{LogRow, "128 B, batches of 1024, " + log + " entries", mEntriesPerSec},
		{"c4", "4 goroutines, 1 entry each + sync", mEntriesPerSec},
		{"c16", "16 goroutines, 1 entry each + sync", mEntriesPerSec},
		{"reopen", "reopen of " + log + " entries", mOpen},
		{"seqread", "sequential read of " + log + " after reopen", mEntriesPerSec},
		{"randread", "random read after reopen", mReadsPerSec},
		{"randread", "open + " + reads + " random reads", mOpenPlusReads},
		{"purge", "purge the first half", mPurge},
		{"purge", "truncate the last 10%", mTruncate},
		{LogRow, "peak RSS over the " + log + " appends", mPeakRSS},
		{LogRow, "on disk after the " + log + " appends", mDisk},
		{"reopen", "peak RSS of the reopen", mPeakRSS},
	}
}

func (r *report) storeCell(row, store string, m metric) string {
	if why, ok := r.Skipped[row][store]; ok && why != "" {
		return "n/a"
	}
	runs := r.Runs[row][store]
	for _, run := range runs {
		if run.Err != "" {
			return "error"
		}
	}
	if len(runs) > 0 && runs[0].Unsupported != "" {
		return "n/a"
	}
	c := cell(r.sum(row, store, m), m)
	if slices.ContainsFunc(runs, func(x Run) bool { return x.Capped }) {
		c += " (capped)"
	}
	return c
}

func (r *report) summary() {
	r.printf("## Summary\n\n")
	ofDisk := "\"of disk\" is raftlog's rate over what the row's raw write+fdatasync loop allows (see the limit line). "
	if len(r.Beside) > 0 {
		ofDisk = "\"of disk\" is raftlog's rate over what the row's raw write+fdatasync loop allows, that loop run right " +
			"before raftlog's run of the row in each repetition: the median of the repetitions' ratios (see the limit line). "
	}
	r.printf("Ratios are raftlog / best peer, >1 = raftlog better (for times and memory: best peer / raftlog). "+
		"%sn/a: the store has no such operation (see the notes).\n\n", ofDisk)
	header := []string{"row", "metric"}
	for _, s := range r.Stores {
		header = append(header, s.Name)
	}
	header = append(header, "raftlog / best peer", "raftlog of disk")
	var rows [][]string
	for _, l := range r.lines() {
		if !r.ran(l.row) {
			continue
		}
		cells := []string{l.title, l.m.name}
		for _, s := range r.Stores {
			cells = append(cells, r.storeCell(l.row, s.Name, l.m))
		}
		disk := ""
		if row, _ := RowByID(l.row); l.m.name == mEntriesPerSec.name {
			if f, _, ok := r.diskFraction(row); ok {
				disk = fmt.Sprintf("%.2f", f)
			}
		}
		rows = append(rows, append(cells, r.ratioCell(l.row, l.m), disk))
	}
	r.table(header, rows)
}
