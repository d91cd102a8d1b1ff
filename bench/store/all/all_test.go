package all_test

import (
	"path/filepath"
	"testing"

	"github.com/raftlog/raftlog/bench/matrix"
	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/bench/store/all"
	"github.com/raftlog/raftlog/bench/workload"
)

func params(w, dir string, n uint64) workload.Params {
	return workload.Params{Workload: w, Dir: dir, N: n, Size: 100, Batch: 1, Goroutines: 1, Reads: 50, Seed: 3}
}

// TestEveryStoreRunsEveryWorkload builds a log of 100 entries in batches of
// 7 (the last one short) with each store, then runs every workload on it.
func TestEveryStoreRunsEveryWorkload(t *testing.T) {
	for _, a := range all.Adapters {
		t.Run(a.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "log")
			p := params(workload.Append, dir, 100)
			p.Batch = 7
			r, err := workload.Run(a.Name, a.Open, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Entries != 100 || r.Ops != 15 || r.Verified != 100 || r.Latency.N != 15 || r.Bytes != 100*100 {
				t.Errorf("append: entries %d, ops %d, verified %d, latencies %d, bytes %d; want 100, 15, 100, 15, 10000",
					r.Entries, r.Ops, r.Verified, r.Latency.N, r.Bytes)
			}
			if r.Seconds <= 0 || r.WindowEnd < r.WindowStart || r.DiskBytes <= 0 || r.RSSAfter <= 0 {
				t.Errorf("append: implausible measurements %+v", r)
			}
			if l := r.Latency; l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max {
				t.Errorf("append: latency %+v is not ordered", l)
			}

			r, err = workload.Run(a.Name, a.Open, params(workload.Reopen, dir, 100))
			if err != nil {
				t.Fatal(err)
			}
			if r.OpenSeconds <= 0 || r.Verified == 0 {
				t.Errorf("reopen: open %v s, verified %d", r.OpenSeconds, r.Verified)
			}
			if a.Replay && r.Verified != 100 {
				t.Errorf("reopen of a replayed store checked %d entries, want all 100", r.Verified)
			}

			for _, w := range []string{workload.SeqRead, workload.RandRead, workload.Purge} {
				r, err = workload.Run(a.Name, a.Open, params(w, dir, 100))
				if err != nil {
					t.Fatalf("%s: %v", w, err)
				}
				if a.Replay {
					if r.Unsupported == "" {
						t.Errorf("%s: a replay-only store ran it", w)
					}
					continue
				}
				if r.Unsupported != "" || r.Verified == 0 {
					t.Errorf("%s: unsupported %q, verified %d", w, r.Unsupported, r.Verified)
				}
				want := map[string]uint64{workload.SeqRead: 100, workload.RandRead: 50, workload.Purge: 5}[w]
				if r.Verified != want {
					t.Errorf("%s: verified %d entries, want %d", w, r.Verified, want)
				}
				if w == workload.Purge && (r.PurgeSeconds <= 0 || r.TruncateSeconds <= 0) {
					t.Errorf("purge: purge %v s, truncate %v s", r.PurgeSeconds, r.TruncateSeconds)
				}
			}
		})
	}
}

// TestConcurrentAppendKeepsEveryEntry runs 4 appenders on a store with
// group commit and on one without.
func TestConcurrentAppendKeepsEveryEntry(t *testing.T) {
	for _, a := range all.Adapters[:2] {
		t.Run(a.Name, func(t *testing.T) {
			p := params(workload.Append, t.TempDir(), 200)
			p.Goroutines = 4
			r, err := workload.Run(a.Name, a.Open, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.Entries != 200 || r.Ops != 200 || r.Verified != 200 || r.Latency.N != 200 || r.Capped {
				t.Errorf("entries %d, ops %d, verified %d, latencies %d, capped %v; want 200, 200, 200, 200, false",
					r.Entries, r.Ops, r.Verified, r.Latency.N, r.Capped)
			}
		})
	}
}

// TestTheMatrixDescribesEachAdapter checks that the parent's description of
// each store (which it uses without linking the store) matches the adapter:
// same names, and group commit and replay-only exactly where the adapter
// implements them.
func TestTheMatrixDescribesEachAdapter(t *testing.T) {
	if len(matrix.Stores) != len(all.Adapters) {
		t.Fatalf("the matrix knows %d stores, there are %d adapters", len(matrix.Stores), len(all.Adapters))
	}
	for i, a := range all.Adapters {
		m := matrix.Stores[i]
		s, err := a.Open(filepath.Join(t.TempDir(), "s"))
		if err != nil {
			t.Fatal(err)
		}
		_, group := s.(store.GroupCommitter)
		_, replay := s.(store.Replayer)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if m.Name != a.Name || m.Group != group || a.Group != group || m.Replay != replay || a.Replay != replay || m.NoPurge != replay {
			t.Errorf("store %d: matrix %+v, adapter %s: group commit %v, replay only %v", i, m, a.Name, group, replay)
		}
	}
}
