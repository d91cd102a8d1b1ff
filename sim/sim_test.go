package sim

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "run only this seed (0: the quick budget)")
	seedsFlag = flag.Int("seeds", 300, "number of seeds in the quick budget")
	opsFlag   = flag.Int("ops", 200, "operations per seed")
)

// TestSim runs the quick budget of seeds, or the one given by -seed. A
// failure prints the seed, the command that replays it and a shrunk list of
// operations that still fails.
func TestSim(t *testing.T) {
	first, n := uint64(1), *seedsFlag
	if *seedFlag != 0 {
		first, n = *seedFlag, 1
	}
	var crashes, faults, fired, flips, recoveries int
	for s := first; s < first+uint64(n); s++ {
		var trace strings.Builder
		var res Result
		if n == 1 && testing.Verbose() {
			res = Run(Config{Seed: s, Ops: *opsFlag, Trace: &trace})
		} else {
			res = Run(Config{Seed: s, Ops: *opsFlag})
		}
		crashes += res.Crashes
		faults += res.Faults
		fired += res.FaultsFired
		flips += res.Flips
		recoveries += res.Recoveries
		if n == 1 && testing.Verbose() {
			t.Log("\n" + trace.String())
		}
		if res.Violation != nil {
			t.Fatal(Report(res, *opsFlag))
		}
	}
	t.Logf("%d seeds × %d ops: %d crashes, %d recoveries, %d faults armed (%d struck), %d bit flips, 0 violations",
		n, *opsFlag, crashes, recoveries, faults, fired, flips)
}

// TestDeterminism runs seeds twice and compares the hashes of their traces.
func TestDeterminism(t *testing.T) {
	for s := uint64(1); s <= 20; s++ {
		a, b := Run(Config{Seed: s, Ops: 150}), Run(Config{Seed: s, Ops: 150})
		if a.Trace != b.Trace {
			t.Fatalf("seed %d: two runs gave traces %x and %x", s, a.Trace[:8], b.Trace[:8])
		}
		c := Replay(s, a.Ops, nil)
		if c.Trace != a.Trace {
			t.Fatalf("seed %d: replaying the operations gave trace %x, the run %x", s, c.Trace[:8], a.Trace[:8])
		}
	}
	if Run(Config{Seed: 1, Ops: 150}).Trace == Run(Config{Seed: 2, Ops: 150}).Trace {
		t.Fatal("seeds 1 and 2 gave the same trace")
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(m.Run())
}
