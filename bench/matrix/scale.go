package matrix

import (
	"fmt"
	"time"
)

// Scale sets how much each row does. The full scale is the published table;
// the smoke scale checks the harness in seconds.
type Scale struct {
	Name string
	// Single is the entries of the one-entry rows, 1 and 4 KiB, and of
	// the concurrent rows (so that they compare with one appender).
	Single uint64
	// Batch64 and Batch64Big are the entries of the 128 B and 4 KiB rows
	// in batches of 64.
	Batch64, Batch64Big uint64
	// Log is the entries of the 128 B log in batches of 1024 that the
	// reopen, read and purge rows use.
	Log uint64
	// Reads is the random reads after reopen.
	Reads int
	// RawOps is the iterations of the limit line's loops of 128 B to
	// 8 KiB; RawBytes the bytes of its larger loops and of the bandwidth
	// run.
	RawOps   int
	RawBytes int64
	// MaxTime ends an append or random-read run that takes longer (marked
	// capped), so that a slow store cannot stretch the run unboundedly.
	MaxTime time.Duration
}

// Scales are the preset scales by name.
var Scales = map[string]Scale{
	"smoke": {Name: "smoke", Single: 200, Batch64: 2_000, Batch64Big: 640, Log: 5_000, Reads: 1_000,
		RawOps: 100, RawBytes: 4 << 20, MaxTime: 20 * time.Second},
	"full": {Name: "full", Single: 10_000, Batch64: 200_000, Batch64Big: 64_000, Log: 1_000_000, Reads: 100_000,
		RawOps: 2_000, RawBytes: 256 << 20, MaxTime: 90 * time.Second},
}

// ScaleByName returns a preset scale.
func ScaleByName(name string) (Scale, error) {
	s, ok := Scales[name]
	if !ok {
		return Scale{}, fmt.Errorf("matrix: unknown scale %q (smoke or full)", name)
	}
	return s, nil
}
