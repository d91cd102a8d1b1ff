package limit

import (
	"path/filepath"
	"testing"
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
	}
	if bw, err := Bandwidth(dir, 1<<20, 64<<10); err != nil || bw <= 0 {
		t.Errorf("Bandwidth: %v, %v", bw, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 0 {
		t.Errorf("files left behind: %v", left)
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
