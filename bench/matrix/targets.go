package matrix

import (
	"fmt"
	"strings"

	"github.com/raftlog/raftlog/bench/limit"
)

// targets lists the figures the issue holds raftlog to, each computed from
// the rows above.
func (r *report) targets() {
	r.printf("## Targets\n\n")
	var items []string
	add := func(format string, args ...any) { items = append(items, fmt.Sprintf(format, args...)) }
	for _, id := range []string{"a128", "a4k"} {
		row, _ := RowByID(id)
		if f, beside, ok := r.diskFraction(row); ok {
			add("Single-entry synced append, %s, vs the raw zero-filled loop: raftlog %s entries/s = **%.2f** of `%s`%s.",
				limit.Size(row.Size), cell(r.sum(id, Subject, mEntriesPerSec), mEntriesPerSec), f, row.Limit.Name(), besideNote(beside))
		}
	}
	for _, id := range []string{"b64", LogRow} {
		if v, peer, ok := r.ratio(id, mEntriesPerSec); ok {
			row, _ := RowByID(id)
			add("%s vs the best peer: **%.2f** (%s).", row.Title, v, peer)
		}
	}
	if row, _ := RowByID("b64-4k"); r.ran(row.ID) {
		own := r.sum(row.ID, Subject, mMBPerSec)
		if f, loop, beside, ok := r.fraction(row, mMBPerSec, func(l limit.Result) float64 { return l.MBPerSec }); ok {
			framed := ""
			if g, ok := r.framedFraction(row); ok {
				framed = fmt.Sprintf("; raftlog **%.2f** of `%s`, a loop writing the bytes raftlog writes per batch, which start and end inside a page (batches a second, a ratio of the medians)",
					g, framedLoop.Name())
			}
			add("4 KiB batches of 64 vs raw sequential bandwidth with an fsync per batch: raftlog %s MB/s = **%.2f** of `%s` (%s MB/s)%s%s; bulk sequential bandwidth %s MB/s.",
				fmtFloat(own.Median), f, row.Limit.Name(), fmtFloat(loop), besideNote(beside), framed, fmtFloat(r.bandwidth().Median))
		}
	}
	if r.ran("c16") {
		one, many := r.perFsync("a128"), r.perFsync("c16")
		p1, p16 := r.sum("a128", Subject, mP50), r.sum("c16", Subject, mP50)
		if many.N > 0 && one.N > 0 && p1.N > 0 && p16.N > 0 {
			add("16 concurrent single-entry appenders vs one appender: **%.1f** entries per fsync (one: %.2f); p50 %s (one: %s).",
				many.Median, one.Median, fmtNanos(p16.Median), fmtNanos(p1.Median))
		}
		row, _ := RowByID("c16")
		var parts []string
		if own, one := r.sum("c16", Subject, mEntriesPerSec), r.sum("a128", Subject, mEntriesPerSec); own.N > 0 && one.N > 0 && one.Median > 0 {
			parts = append(parts, fmt.Sprintf("raftlog **%.1fx** one appender (c16 over a128 entries/s, a ratio of the medians)", own.Median/one.Median))
		}
		if g := r.groupMultiple(*row.Limit); g.N > 0 {
			parts = append(parts, fmt.Sprintf("`%s` **%.1fx** `%s` (the median of the repetitions' ratios)",
				row.Limit.Name(), g.Median, limit.Loop{Kind: row.Limit.Kind, Bytes: row.Limit.Bytes}.Name()))
		}
		if f, beside, ok := r.diskFraction(row); ok {
			parts = append(parts, fmt.Sprintf("raftlog **%.2f** of the group loop%s", f, besideNote(beside)))
		}
		if len(parts) > 0 {
			add("16 concurrent appenders against what the disk allows them: %s.", strings.Join(parts, "; "))
		}
		if v, peer, ok := r.ratio("c16", mEntriesPerSec); ok {
			add("16 concurrent appenders vs the best peer: **%.2f** (%s).", v, peer)
		}
	}
	if own, wal := r.sum("reopen", Subject, mOpen), r.sum("reopen", "raft-wal", mOpen); own.N > 0 && wal.N > 0 {
		add("Reopen of %s entries vs raft-wal: raftlog %s, raft-wal %s: **%.2f**.", fmtRate(float64(r.Scale.Log)),
			fmtSeconds(own.Median), fmtSeconds(wal.Median), wal.Median/own.Median)
	}
	for _, t := range []struct {
		row, what string
		m         metric
	}{
		{"randread", fmt.Sprintf("Open + %s random reads", fmtRate(float64(r.Scale.Reads))), mOpenPlusReads},
		{"seqread", "Sequential read after reopen", mEntriesPerSec},
		{"randread", "Random read after reopen", mReadsPerSec},
		{"purge", "Purge of the first half", mPurge},
		{"purge", "Truncation of the last 10%", mTruncate},
		{LogRow, "Peak RSS over the log's appends (default options)", mPeakRSS},
	} {
		if v, peer, ok := r.ratio(t.row, t.m); ok {
			add("%s vs the best peer: **%.2f** (%s).", t.what, v, peer)
		}
	}
	if r.ran("randread") {
		add("Allocations of a raftlog read served from its cache: `go test -run '^$' -bench ReadCacheHit -benchmem ./store/raftlogstore` in bench/.")
	}
	for _, id := range []string{LogRow, "reopen"} {
		if s := r.sum(id, Subject, mIndexBytes); s.N > 0 {
			when := map[string]string{LogRow: "after the appends", "reopen": "after a reopen"}[id]
			add("raftlog index bytes per entry %s: **%s** (Stat.IndexBytes / entries).", when, fmtFloat(s.Median))
		}
	}
	for _, it := range items {
		r.printf("- %s\n", it)
	}
	r.printf("\n")
}

// framedLoop is the limit line's loop at the bytes raftlog writes per batch
// of row b64-4k.
var framedLoop = limit.Loop{Kind: limit.Growing, Bytes: FramedBatch4K}

// framedFraction is raftlog's batches a second on row over those of
// framedLoop, a ratio of the medians: the loop runs in the limit line only,
// not again beside raftlog's runs.
func (r *report) framedFraction(row Row) (float64, bool) {
	var loops []float64
	for _, lr := range r.Limits {
		if x, ok := lr.find(framedLoop); ok {
			loops = append(loops, x.OpsPerSec)
		}
	}
	own, lim := r.sum(row.ID, Subject, mEntriesPerSec), summarize(loops)
	if own.N == 0 || lim.N == 0 || lim.Median == 0 {
		return 0, false
	}
	return own.Median / float64(row.Batch) / lim.Median, true
}

// perFsync is raftlog's entries per fsync on a row, from its own Stat.
func (r *report) perFsync(row string) Summary {
	return values(r.Runs[row][Subject], metric{get: func(x Run) (float64, bool) {
		f, ok := counter(x, "fsyncs", true)
		return float64(x.Entries) / f, ok && f > 0
	}})
}

// groupMultiple is, over the repetitions' limit lines, how many times the
// rate of the one-goroutine loop of the same kind and bytes the group loop
// reaches.
func (r *report) groupMultiple(group limit.Loop) Summary {
	var xs []float64
	for _, lr := range r.Limits {
		g, ok1 := lr.find(group)
		one, ok2 := lr.find(limit.Loop{Kind: group.Kind, Bytes: group.Bytes})
		if ok1 && ok2 && one.OpsPerSec > 0 {
			xs = append(xs, g.OpsPerSec/one.OpsPerSec)
		}
	}
	return summarize(xs)
}

// bandwidth is the bulk sequential bandwidth over the repetitions.
func (r *report) bandwidth() Summary {
	var xs []float64
	for _, lr := range r.Limits {
		if lr.Bandwidth > 0 {
			xs = append(xs, lr.Bandwidth)
		}
	}
	return summarize(xs)
}

// limitLine is the table of raw loops, with the rows each one bounds.
func (r *report) limitLine() {
	r.printf("## Limit line: what the disk allows\n\n")
	r.printf("Raw loops in the same run, each repetition: write the bytes at the next offset and fdatasync, into a file " +
		"zero-filled first, fallocated, or growing; the same from 4 or 16 goroutines that call it as the concurrent rows " +
		"call a store (the callers' mutex keeping their order, then a wait for durability), where the goroutine that " +
		"completes a round writes every goroutine's bytes and fdatasyncs once for them (group commit with perfect batching: " +
		"it knows how many goroutines run, which a store can only estimate); " +
		"and bulk sequential writes of 1 MiB with one fdatasync at the end.\n\n")
	if len(r.Limits) == 0 {
		return
	}
	var rows [][]string
	for _, l := range r.Limits[0].Loops {
		var ops, mb, p50, p99, mx []float64
		for _, lr := range r.Limits {
			if x, ok := lr.find(l.Loop); ok {
				ops, mb = append(ops, x.OpsPerSec), append(mb, x.MBPerSec)
				p50, p99, mx = append(p50, float64(x.P50)), append(p99, float64(x.P99)), append(mx, float64(x.Max))
			}
		}
		bounds := ""
		for _, row := range Rows {
			if row.Limit != nil && row.Limit.Same(l.Loop) && r.ran(row.ID) {
				bounds += row.ID + " "
			}
		}
		if l.Loop.Same(framedLoop) && r.ran("b64-4k") {
			bounds = "b64-4k, as written"
		}
		rows = append(rows, []string{l.Loop.Name(), cell(summarize(ops), mEntriesPerSec), cell(summarize(mb), mMBPerSec),
			cell(summarize(p50), mP50), cell(summarize(p99), mP99), cell(summarize(mx), mMax), bounds})
	}
	rows = append(rows, []string{fmt.Sprintf("%s in 1 MiB writes + one fdatasync", limit.Size(int(r.Scale.RawBytes))),
		"", cell(r.bandwidth(), mMBPerSec), "", "", "", ""})
	r.table([]string{"loop", "iterations/s", "MB/s", "p50", "p99", "max", "bounds rows"}, rows)
	for i, lr := range r.Limits {
		if lr.Err != "" {
			r.printf("Repetition %d's limit line failed: %s\n\n", i+1, lr.Err)
		}
	}
	r.besideLine()
}

// besideLine is the table of each row's raw loop as measured right before
// raftlog's runs of the row, with raftlog's fraction of it in each
// repetition.
func (r *report) besideLine() {
	var rows [][]string
	for _, row := range Rows {
		loops := r.Beside[row.ID]
		if len(loops) == 0 || !r.ran(row.ID) {
			continue
		}
		var ops, mb, p50 []float64
		for _, l := range loops {
			if l.OpsPerSec > 0 {
				ops, mb, p50 = append(ops, l.OpsPerSec), append(mb, l.MBPerSec), append(p50, float64(l.P50))
			}
		}
		var each []string
		for _, x := range r.besideRatios(row, mEntriesPerSec, func(l limit.Result) float64 { return l.OpsPerSec * float64(row.Batch) }) {
			each = append(each, fmt.Sprintf("%.2f", x))
		}
		rows = append(rows, []string{row.ID, row.Limit.Name(), cell(summarize(ops), mEntriesPerSec), cell(summarize(mb), mMBPerSec),
			cell(summarize(p50), mP50), strings.Join(each, ", ")})
	}
	if len(rows) == 0 {
		return
	}
	r.printf("The same loops, run again right before each of raftlog's runs of the row they bound: what the \"of disk\" " +
		"figures divide by, one ratio per repetition, so that the disk's drift over a repetition stays out of them.\n\n")
	r.table([]string{"row", "loop", "iterations/s", "MB/s", "p50", "raftlog of it, each repetition"}, rows)
}

// besideNote says how a target's raw loop was measured.
func besideNote(beside bool) string {
	if beside {
		return ", that loop run right before each of raftlog's runs (median of the ratios)"
	}
	return ""
}
