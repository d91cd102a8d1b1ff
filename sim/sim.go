package sim

import (
	"errors"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/raftlog"
)

// Sim is the simulator over a caller's types: L the log id, P the payload, V
// the vote and U the user data. It runs the same seeded campaign as Run, with
// every check: crashes in three modes, I/O faults, bit flips, damage at rest
// with Repair, logs under missing parents, the prefix, idempotence, alive and
// no-leak invariants; it compares what the log holds with its model through
// the caller's codecs, byte for byte, and checks the codecs themselves (see
// the package documentation). A Sim is safe for concurrent use: each run has
// its own machine and log.
type Sim[L, P, V, U any] struct {
	ts *typeset[L, P, V, U]
}

// ErrTypes is matched by the error of New when Types lacks a codec or a
// function.
var ErrTypes = errors.New("sim: incomplete Types")

// New returns a simulator over types, whose values gen makes. It fails,
// with an error matching ErrTypes or ErrGen, when a required codec or
// function is missing.
func New[L, P, V, U any](types raftlog.Types[L, P, V, U], gen Gen[L, P, V, U]) (*Sim[L, P, V, U], error) {
	missing := ""
	switch {
	case types.LogID == nil:
		missing = "LogID"
	case types.Payload == nil:
		missing = "Payload"
	case types.Vote == nil:
		missing = "Vote"
	case types.UserData == nil:
		missing = "UserData"
	case types.Index == nil:
		missing = "Index"
	case types.CompareLogID == nil:
		missing = "CompareLogID"
	case types.CompareVote == nil:
		missing = "CompareVote"
	case types.PayloadSize == nil:
		missing = "PayloadSize"
	}
	if missing != "" {
		return nil, fmt.Errorf("%w: Types.%s is required", ErrTypes, missing)
	}
	if err := gen.validate(); err != nil {
		return nil, err
	}
	if gen.Equal == nil {
		gen.Equal = sameValue
	}
	return &Sim[L, P, V, U]{ts: &typeset[L, P, V, U]{t: types, g: gen}}, nil
}

// Default is the simulator over raftlog.DefaultTypes with DefaultGen: what
// Run, Replay, Shrink and Report use.
var Default = func() *Sim[raftlog.LogID, []byte, raftlog.Vote, []byte] {
	s, err := New(raftlog.DefaultTypes, DefaultGen)
	if err != nil {
		panic(err) // both are complete: a programming error
	}
	return s
}()

// Run generates and executes a workload over the default types.
func Run(cfg Config) Result { return Default.Run(cfg) }

// Replay executes ops with the log and machine that its seed chooses, over
// the default types.
func Replay(seed uint64, ops []Op, trace io.Writer) Result { return Default.Replay(seed, ops, trace) }

// Shrink shrinks a failing run over the default types (see Sim.Shrink).
func Shrink(seed uint64, ops []Op, budget int) []Op { return Default.Shrink(seed, ops, budget) }

// Report describes a failing run over the default types: the violation,
// the command that replays it with TestSim, and a shrunk list of
// operations that still fails.
func Report(res Result, ops int) string {
	return Default.Report(res, fmt.Sprintf("go test ./sim -run 'TestSim$' -seed=%d -ops=%d -v", res.Seed, ops))
}
