package sim_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

// recorder is a testing.TB that records what Check says; Fatal stops Check
// by panicking with errFatal.
type recorder struct {
	testing.TB
	logs, fatal strings.Builder
}

var errFatal = fmt.Errorf("fatal")

func (r *recorder) Helper()                 {}
func (r *recorder) Name() string            { return "TestUserCodec/sub_test" }
func (r *recorder) Log(args ...any)         { fmt.Fprintln(&r.logs, args...) }
func (r *recorder) Logf(f string, a ...any) { fmt.Fprintf(&r.logs, f+"\n", a...) }
func (r *recorder) Fatal(args ...any) {
	fmt.Fprintln(&r.fatal, args...)
	panic(errFatal)
}
func (r *recorder) Fatalf(f string, a ...any) { r.Fatal(fmt.Sprintf(f, a...)) }

func runCheck(t *testing.T, rec *recorder, check func()) (failed bool) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			if p != errFatal {
				panic(p)
			}
			failed = true
		}
	}()
	check()
	return false
}

// TestCheckReportsReplayAndShrunkOps: on a violation, Check fails the test
// with its seed, a go test command that replays it (the package found from
// the caller's file, the test's name anchored, seed and ops as flags),
// and a shrunk list of operations.
func TestCheckReportsReplayAndShrunkOps(t *testing.T) {
	types := simjson.Types
	types.Payload = uncheckedCommand{}
	rec := &recorder{TB: t}
	if !runCheck(t, rec, func() { sim.Check(rec, types, simjson.Gen, sim.Seeds(3), sim.Ops(60)) }) {
		t.Fatalf("Check passed a codec that panics; it logged:\n%s", rec.logs.String())
	}
	out := rec.fatal.String()
	for _, want := range []string{
		"seed 1: op ",
		"Decode panics",
		"replay: go test ./sim -run '^TestUserCodec$/^sub_test$' -sim.seed=1 -sim.ops=60 -v",
		"shrunk to 1 of ",
		"which fails with: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure does not say %q:\n%s", want, out)
		}
	}
}

// TestCheckPasses: a sound type set passes and gets a summary.
func TestCheckPasses(t *testing.T) {
	rec := &recorder{TB: t}
	if runCheck(t, rec, func() { sim.Check(rec, simjson.Types, simjson.Gen, sim.Seeds(3), sim.Ops(80)) }) {
		t.Fatalf("Check failed a sound type set:\n%s", rec.fatal.String())
	}
	if !strings.Contains(rec.logs.String(), "sim.Check: 3 seeds × 80 ops") {
		t.Errorf("no summary: %q", rec.logs.String())
	}
}

// TestCheckRefusesIncompleteGen: a Gen without a function fails the test
// at once, naming it.
func TestCheckRefusesIncompleteGen(t *testing.T) {
	gen := simjson.Gen
	gen.VoteOf = nil
	rec := &recorder{TB: t}
	if !runCheck(t, rec, func() { sim.Check(rec, simjson.Types, gen) }) || !strings.Contains(rec.fatal.String(), "Gen.VoteOf is required") {
		t.Fatalf("want a failure naming Gen.VoteOf, got %q", rec.fatal.String())
	}
}

// TestCheckCatchesNondeterministicGen: a Gen that draws from a source of its
// own (here math/rand/v2's global one) cannot replay; Check says so before
// the campaign.
func TestCheckCatchesNondeterministicGen(t *testing.T) {
	gen := simjson.Gen
	gen.Payload = func(_ *rand.Rand, id simjson.ID) simjson.Command {
		return simjson.Command{Op: "set", Key: fmt.Sprintf("k%d", rand.IntN(1000))}
	}
	rec := &recorder{TB: t}
	if !runCheck(t, rec, func() { sim.Check(rec, simjson.Types, gen, sim.Seeds(2), sim.Ops(60)) }) ||
		!strings.Contains(rec.fatal.String(), "seed 1 is not deterministic") {
		t.Fatalf("want a determinism failure, got %q", rec.fatal.String())
	}
}
