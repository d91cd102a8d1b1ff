package sim

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/internal/replay"
	"github.com/raftlog/raftlog/raftlog"
)

// Flags for replaying a seed of Check, like testing/quick's -quickchecks:
// registered on the test binary's command line. The environment variables
// RAFTLOG_SIM_SEED, RAFTLOG_SIM_SEEDS and RAFTLOG_SIM_OPS do the same where
// a flag is not given.
var (
	flagSeed  = flag.Uint64("sim.seed", 0, "sim.Check: run only this seed, with its trace (0: the test's budget)")
	flagSeeds = flag.Int("sim.seeds", 0, "sim.Check: number of seeds (0: the test's budget)")
	flagOps   = flag.Int("sim.ops", 0, "sim.Check: operations per seed (0: the test's setting)")
)

// Option configures Check.
type Option func(*checkConfig)

type checkConfig struct {
	first uint64
	seeds int
	ops   int
}

// Seeds sets the number of seeds Check runs (default 100).
func Seeds(n int) Option { return func(c *checkConfig) { c.seeds = n } }

// FirstSeed sets the first seed Check runs (default 1).
func FirstSeed(s uint64) Option { return func(c *checkConfig) { c.first = s } }

// Ops sets the number of operations per seed (default 200).
func Ops(n int) Option { return func(c *checkConfig) { c.ops = n } }

// Check runs the crash-simulation campaign over the caller's types in a
// test: seeds [1, 1+n) with 200 operations each unless options say
// otherwise. Before the campaign it runs the first seed twice and replays
// it, and fails the test if the three traces differ (a Gen or codec that
// draws randomness of its own, which would make a failure impossible to
// replay). On the first violation it fails the test with its seed, the
// command that replays it and a shrunk list of operations that still
// fails; it logs a summary otherwise.
//
// The command line of the test binary can narrow it: -sim.seed=N runs only
// seed N and logs its trace (with -v), -sim.seeds and -sim.ops change the
// budget; the environment variables RAFTLOG_SIM_SEED, RAFTLOG_SIM_SEEDS and
// RAFTLOG_SIM_OPS do the same. Check fails the test at once if New refuses
// types or gen.
func Check[L, P, V, U any](t testing.TB, types raftlog.Types[L, P, V, U], gen Gen[L, P, V, U], opts ...Option) {
	t.Helper()
	s, err := New(types, gen)
	if err != nil {
		t.Fatal(err)
	}
	c := checkConfig{first: 1, seeds: 100, ops: 200}
	for _, o := range opts {
		o(&c)
	}
	if v := replay.Setting(*flagSeeds, "RAFTLOG_SIM_SEEDS"); v > 0 {
		c.seeds = int(v)
	}
	if v := replay.Setting(*flagOps, "RAFTLOG_SIM_OPS"); v > 0 {
		c.ops = int(v)
	}
	one := false
	if v := replay.Setting(*flagSeed, "RAFTLOG_SIM_SEED"); v > 0 {
		c.first, c.seeds, one = v, 1, true
	}
	replayCmd := func(seed uint64) string {
		return replay.GoTest(t.Name(), fmt.Sprintf("-sim.seed=%d -sim.ops=%d -v", seed, c.ops))
	}

	if one {
		var trace strings.Builder
		res := s.Run(Config{Seed: c.first, Ops: c.ops, Trace: &trace})
		t.Log("\n" + trace.String())
		if res.Violation != nil {
			t.Fatal(s.Report(res, replayCmd(res.Seed)))
		}
		return
	}
	a := s.Run(Config{Seed: c.first, Ops: c.ops})
	if a.Violation == nil {
		b := s.Run(Config{Seed: c.first, Ops: c.ops})
		r := s.Replay(c.first, a.Ops, nil)
		if a.Trace != b.Trace || a.Trace != r.Trace {
			t.Fatalf("seed %d is not deterministic: two runs and a replay gave the traces %x, %x and %x; "+
				"Gen's functions must draw only from the rng they are given, and codecs and String methods must not depend on anything else "+
				"(replay %s twice with -v and compare the traces)", c.first, a.Trace[:8], b.Trace[:8], r.Trace[:8], replayCmd(c.first))
		}
	}
	var sum ResultOf[L, P, V, U]
	for seed := c.first; seed < c.first+uint64(c.seeds); seed++ {
		res := a
		if seed != c.first {
			res = s.Run(Config{Seed: seed, Ops: c.ops})
		}
		sum.Crashes += res.Crashes
		sum.Recoveries += res.Recoveries
		sum.Faults += res.Faults
		sum.FaultsFired += res.FaultsFired
		sum.Flips += res.Flips
		sum.Damages += res.Damages
		sum.CodecChecks += res.CodecChecks
		if res.Violation != nil {
			t.Fatal(s.Report(res, replayCmd(res.Seed)))
		}
	}
	t.Logf("sim.Check: %d seeds × %d ops: %d crashes, %d recoveries, %d faults armed (%d struck), %d bit flips, %d files damaged, %d values' codecs checked, 0 violations",
		c.seeds, c.ops, sum.Crashes, sum.Recoveries, sum.Faults, sum.FaultsFired, sum.Flips, sum.Damages, sum.CodecChecks)
}
