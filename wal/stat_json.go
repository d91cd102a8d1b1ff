package wal

import (
	"encoding/json"
	"time"
)

// The JSON forms of the stat types use snake_case keys, durations in whole
// nanoseconds under keys ending in _ns, and derived figures (a chunk's
// bytes, the mean fsync latency, the group-commit factor) next to the
// counters they come from; UnmarshalJSON ignores the derived ones.

type chunkStatJSON struct {
	ID      uint64 `json:"id"`
	Records int    `json:"records"`
	End     uint64 `json:"end"`
	Bytes   uint64 `json:"bytes"`
}

// MarshalJSON renders {"id":196,"records":5,"end":400,"bytes":204}.
func (c ChunkStat) MarshalJSON() ([]byte, error) {
	return json.Marshal(chunkStatJSON{ID: c.ID, Records: c.Records, End: c.End, Bytes: c.Bytes()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *ChunkStat) UnmarshalJSON(b []byte) error {
	var j chunkStatJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = ChunkStat{ID: j.ID, Records: j.Records, End: j.End}
	return nil
}

type flushStatJSON struct {
	Steps            uint64               `json:"steps"`
	Requests         uint64               `json:"requests"`
	Writes           uint64               `json:"writes"`
	BytesWritten     uint64               `json:"bytes_written"`
	ZeroFilled       uint64               `json:"zero_filled"`
	Fsyncs           uint64               `json:"fsyncs"`
	FsyncMinNs       int64                `json:"fsync_min_ns"`
	FsyncMaxNs       int64                `json:"fsync_max_ns"`
	FsyncTotalNs     int64                `json:"fsync_total_ns"`
	FsyncMeanNs      int64                `json:"fsync_mean_ns"`
	FsyncHist        [FsyncBuckets]uint64 `json:"fsync_hist"`
	RequestsPerFsync float64              `json:"requests_per_fsync"`
}

// MarshalJSON renders the counters, the latencies in nanoseconds
// (fsync_min_ns, fsync_max_ns, fsync_total_ns, fsync_mean_ns), the
// histogram (fsync_hist, bucket i counting fsyncs under 2^i*16µs) and the
// group-commit factor (requests_per_fsync).
func (f FlushStat) MarshalJSON() ([]byte, error) {
	return json.Marshal(flushStatJSON{
		Steps: f.Steps, Requests: f.Requests, Writes: f.Writes, BytesWritten: f.BytesWritten,
		ZeroFilled: f.ZeroFilled, Fsyncs: f.Fsyncs, FsyncMinNs: int64(f.FsyncMin), FsyncMaxNs: int64(f.FsyncMax),
		FsyncTotalNs: int64(f.FsyncTotal), FsyncMeanNs: int64(f.FsyncMean()),
		FsyncHist: f.FsyncHist, RequestsPerFsync: f.RequestsPerFsync(),
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *FlushStat) UnmarshalJSON(b []byte) error {
	var j flushStatJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = FlushStat{
		Steps: j.Steps, Requests: j.Requests, Writes: j.Writes, BytesWritten: j.BytesWritten,
		ZeroFilled: j.ZeroFilled, Fsyncs: j.Fsyncs, FsyncMin: time.Duration(j.FsyncMinNs), FsyncMax: time.Duration(j.FsyncMaxNs),
		FsyncTotal: time.Duration(j.FsyncTotalNs), FsyncHist: j.FsyncHist,
	}
	return nil
}

type statJSON struct {
	Closed  []ChunkStat `json:"closed"`
	Open    ChunkStat   `json:"open"`
	Bytes   uint64      `json:"bytes"`
	Durable uint64      `json:"durable"`
	Dropped int64       `json:"dropped"`
	Flush   FlushStat   `json:"flush"`
}

// MarshalJSON renders {"closed":[...],"open":{...},"bytes":..,"durable":..,
// "dropped":..,"flush":{...}}, closed as [] rather than null when empty.
func (s Stat) MarshalJSON() ([]byte, error) {
	closed := s.Closed
	if closed == nil {
		closed = []ChunkStat{}
	}
	return json.Marshal(statJSON{Closed: closed, Open: s.Open, Bytes: s.Bytes, Durable: s.Durable, Dropped: s.Dropped, Flush: s.Flush})
}

// UnmarshalJSON reads what MarshalJSON writes; an empty closed list reads
// as nil, as Stat returns it.
func (s *Stat) UnmarshalJSON(b []byte) error {
	var j statJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if len(j.Closed) == 0 {
		j.Closed = nil
	}
	*s = Stat{Closed: j.Closed, Open: j.Open, Bytes: j.Bytes, Durable: j.Durable, Dropped: j.Dropped, Flush: j.Flush}
	return nil
}
