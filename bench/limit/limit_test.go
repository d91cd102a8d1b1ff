package limit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/raftlog/raftlog/bench/payload"
)

func TestEveryKindRunsAndLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []Kind{Zeroed, Fallocated, Growing} {
		r, err := Run(dir, Loop{Kind: k, Bytes: 4096, Ops: 5})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if r.OpsPerSec <= 0 || r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max {
			t.Errorf("%s: implausible result %+v", k, r)
		}
		if got, want := r.MBPerSec*1e6/r.OpsPerSec, 4096.0; got < want*0.999 || got > want*1.001 {
			t.Errorf("%s: %.0f bytes per op, want %.0f", k, got, want)
		}
		if r.PerFsync != 1 {
			t.Errorf("%s: %.2f iterations per fdatasync, want 1", k, r.PerFsync)
		}
	}
	if bw, err := Bandwidth(dir, 1<<20, 64<<10); err != nil || bw <= 0 {
		t.Errorf("Bandwidth: %v, %v", bw, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// TestGroupLoopServesEveryGoroutineWithEachFdatasync checks the group loop
// against what it claims to be, perfect batching: each round holds
// one iteration of every goroutine still running, so the loop takes
// ceil(Ops/Goroutines) fdatasyncs, the last round the leftover.
func TestGroupLoopServesEveryGoroutineWithEachFdatasync(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ ops, g, rounds int }{{64, 4, 16}, {66, 4, 17}, {5, 16, 1}, {40, 16, 3}} {
		l := Loop{Kind: Zeroed, Bytes: 128, Ops: c.ops, Goroutines: c.g}
		r, err := Run(dir, l)
		if err != nil {
			t.Fatalf("%s, %d ops: %v", l.Name(), c.ops, err)
		}
		if want := float64(c.ops) / float64(c.rounds); r.PerFsync != want {
			t.Errorf("%s, %d ops: %.3f iterations per fdatasync, want %.3f (%d rounds)", l.Name(), c.ops, r.PerFsync, want, c.rounds)
		}
		if r.OpsPerSec <= 0 || r.P50 <= 0 || r.P50 > r.P99 || r.P99 > r.Max {
			t.Errorf("%s: implausible result %+v", l.Name(), r)
		}
		if got := r.MBPerSec * 1e6 / r.OpsPerSec; got < 127.9 || got > 128.1 {
			t.Errorf("%s: %.1f bytes per iteration, want 128", l.Name(), got)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// TestGroupLoopWritesEveryPayloadInOrder reads back the file a group loop
// wrote: each iteration's payload once, in the order the callers' mutex
// gave them out, back to back, as a log would hold them.
func TestGroupLoopWritesEveryPayloadInOrder(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "group"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := Loop{Kind: Zeroed, Bytes: 100, Ops: 37, Goroutines: 8}
	if _, lat, rounds, err := runGroup(f, l); err != nil || rounds != 5 || len(lat) != l.Ops {
		t.Fatalf("runGroup: %d rounds, %d latencies, %v; want 5, %d, nil", rounds, len(lat), err, l.Ops)
	}
	var want []byte
	for i := range l.Ops {
		want = append(want, payload.New(uint64(i)+1, l.Bytes)...)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the file holds %d bytes, not the %d payloads in order (%d bytes)", len(got), l.Ops, len(want))
	}
}

func TestLoopNamesAndIdentity(t *testing.T) {
	one, group := Loop{Kind: Zeroed, Bytes: 128}, Loop{Kind: Zeroed, Bytes: 128, Goroutines: 16}
	if got, want := group.Name(), "16 goroutines: 128 B each + a shared fdatasync, zero-filled"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if !one.Same(Loop{Kind: Zeroed, Bytes: 128, Ops: 9, Goroutines: 1}) || one.Same(group) || !group.Same(Loop{Kind: Zeroed, Bytes: 128, Goroutines: 16, Ops: 3}) {
		t.Error("Same: a loop of one goroutine (0 or 1) and one of 16 must differ, and Ops must not count")
	}
}

func TestRunRefusesAnEmptyLoop(t *testing.T) {
	if _, err := Run(t.TempDir(), Loop{Kind: Zeroed, Bytes: 128}); err == nil {
		t.Error("a loop of 0 ops ran")
	}
}

func TestSize(t *testing.T) {
	for b, want := range map[int]string{128: "128 B", 4096: "4 KiB", 262144: "256 KiB", 1 << 20: "1 MiB", 1000: "1000 B"} {
		if got := Size(b); got != want {
			t.Errorf("Size(%d) = %q, want %q", b, got, want)
		}
	}
}
