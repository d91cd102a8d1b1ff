package wal

import (
	"fmt"
	"log/slog"
	"strings"
)

// The String methods of the stat types render what fmt's %+v would print
// (field names, nested braces, durations as time.Duration prints them);
// their LogValue methods log a group with the keys of the JSON form
// (latencies as slog durations, so without the _ns suffix).

// String renders {ID:196 Records:5 End:400}.
func (c ChunkStat) String() string {
	return fmt.Sprintf("{ID:%d Records:%d End:%d}", c.ID, c.Records, c.End)
}

// String renders every counter, latency and histogram bucket.
func (f FlushStat) String() string {
	return fmt.Sprintf("{Steps:%d Requests:%d Writes:%d BytesWritten:%d ZeroFilled:%d Fsyncs:%d FsyncMin:%v FsyncMax:%v FsyncTotal:%v FsyncHist:%v}",
		f.Steps, f.Requests, f.Writes, f.BytesWritten, f.ZeroFilled, f.Fsyncs, f.FsyncMin, f.FsyncMax, f.FsyncTotal, f.FsyncHist)
}

// String renders {Closed:[...] Open:{...} Bytes:.. Durable:.. Dropped:.. Flush:{...}}.
func (s Stat) String() string {
	closed := make([]string, len(s.Closed))
	for i, c := range s.Closed {
		closed[i] = c.String()
	}
	return fmt.Sprintf("{Closed:[%s] Open:%v Bytes:%d Durable:%d Dropped:%d Flush:%v}",
		strings.Join(closed, " "), s.Open, s.Bytes, s.Durable, s.Dropped, s.Flush)
}

// LogValue logs a chunk as a group: id, records, end, bytes.
func (c ChunkStat) LogValue() slog.Value {
	return slog.GroupValue(slog.Uint64("id", c.ID), slog.Int("records", c.Records),
		slog.Uint64("end", c.End), slog.Uint64("bytes", c.Bytes()))
}

// LogValue logs the counters, the latencies (as durations) and the
// group-commit factor; the histogram is left to JSON and metrics.
func (f FlushStat) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("steps", f.Steps), slog.Uint64("requests", f.Requests),
		slog.Uint64("writes", f.Writes), slog.Uint64("bytes_written", f.BytesWritten),
		slog.Uint64("zero_filled", f.ZeroFilled),
		slog.Uint64("fsyncs", f.Fsyncs), slog.Duration("fsync_min", f.FsyncMin),
		slog.Duration("fsync_max", f.FsyncMax), slog.Duration("fsync_mean", f.FsyncMean()),
		slog.Float64("requests_per_fsync", f.RequestsPerFsync()),
	)
}

// LogValue logs a stat as a group: closed (the chunk list), open, bytes,
// durable, dropped, flush.
func (s Stat) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("closed", s.Closed), slog.Any("open", s.Open),
		slog.Uint64("bytes", s.Bytes), slog.Uint64("durable", s.Durable),
		slog.Int64("dropped", s.Dropped), slog.Any("flush", s.Flush),
	)
}
