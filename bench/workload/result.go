package workload

// Result is what a child reports, as one JSON object on its standard output.
// Durations are in seconds, latencies in nanoseconds, sizes in bytes.
type Result struct {
	Store  string
	Params Params
	// Unsupported, when not empty, says why the store cannot run this
	// workload; nothing else is set.
	Unsupported string `json:",omitempty"`

	// Entries is how many entries the timed section appended or read, Ops
	// how many calls it made (batches, reads), Bytes their payload bytes.
	Entries, Ops, Bytes uint64
	// Seconds is the timed section's wall time.
	Seconds float64
	// Capped is set when an Append or random-read run stopped at MaxTime.
	Capped bool `json:",omitempty"`
	// OpenSeconds is the time of the open (Reopen, RandRead, and the
	// untimed open of SeqRead and Purge).
	OpenSeconds float64
	// PurgeSeconds and TruncateSeconds are a Purge run's two operations.
	PurgeSeconds, TruncateSeconds float64 `json:",omitempty"`
	// Latency summarises the timed calls (appends or reads).
	Latency Latency
	// WindowStart and WindowEnd bound the timed section in Unix
	// microseconds, for counting a traced child's fsyncs inside it.
	WindowStart, WindowEnd int64
	// AllocsPerEntry is the Go heap allocations of the timed section per
	// entry; in the append rows, less those of the harness making the
	// entries and their payloads (measured apart, before the section).
	AllocsPerEntry float64
	// RSSAfter is the resident memory right after the timed section.
	RSSAfter int64
	// DiskBytes is the blocks allocated under Dir after the run, and
	// DiskApparent the sum of the files' sizes.
	DiskBytes, DiskApparent int64
	// Counters are the store's own counters at the end of the timed
	// section, and CountersDelta their change across it (store.Counter).
	Counters, CountersDelta map[string]float64 `json:",omitempty"`
	// Verified is how many entries were read back and checked.
	Verified uint64
}

// Latency is the distribution of timed calls in nanoseconds.
type Latency struct {
	N             int
	P50, P99, Max int64
}
