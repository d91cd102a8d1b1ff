package crashtest

import (
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/internal/replay"
)

// Flags for replaying a seed of Check, registered on the test binary's
// command line (like testing/quick's -quickchecks). The environment
// variables RAFTLOG_CRASHTEST_SEED and RAFTLOG_CRASHTEST_SEEDS do the same
// where a flag is not given.
var (
	flagSeed  = flag.Uint64("crashtest.seed", 0, "crashtest.Check: run only this seed and log its trace (0: the test's budget)")
	flagSeeds = flag.Int("crashtest.seeds", 0, "crashtest.Check: number of seeds (0: the test's budget)")
)

// PanicError is the error of a run whose code panicked: the value and the
// goroutine's stack.
type PanicError struct {
	Value any
	Stack string
}

// Error describes the panic with its stack.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack) }

// ErrSeed wraps the error of a failing run: errors.Is(err, ErrSeed) holds
// for every error of Run, and the message names its seed.
var ErrSeed = errors.New("crashtest: seed failed")

// Run runs f on a new machine for seed. It returns nil if f does, and
// otherwise an error naming its seed that wraps ErrSeed and f's error (a
// *PanicError if f panicked). Logs opened through OpenLog and still open are
// closed when f returns.
func Run(seed uint64, f func(m *Machine) error) error {
	_, err := run(seed, f)
	return err
}

func run(seed uint64, f func(m *Machine) error) (m *Machine, err error) {
	m = newMachine(seed)
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: string(debug.Stack())}
		}
		for _, c := range m.open {
			c.Close()
		}
		m.open = nil
		if err != nil {
			err = fmt.Errorf("%w: seed %d: %w", ErrSeed, seed, err)
		}
	}()
	return m, f(m)
}

// Option configures Check.
type Option func(*config)

type config struct {
	first       uint64
	seeds       int
	determinism bool
}

// Seeds sets the number of seeds Check runs (default 1000).
func Seeds(n int) Option { return func(c *config) { c.seeds = n } }

// FirstSeed sets the first seed (default 1).
func FirstSeed(s uint64) Option { return func(c *config) { c.first = s } }

// NoDeterminismCheck switches off the check that the first seed gives the
// same trace twice: for code that runs goroutines of its own or keeps
// ManualFlush off (see the package documentation).
func NoDeterminismCheck() Option { return func(c *config) { c.determinism = false } }

// Check runs f for seeds [1, 1+n) (n = 1000 unless Seeds says otherwise) in
// a test, each on a new machine, and fails the test at the first seed whose
// run returns an error or panics, with its seed, the command that replays
// it (-crashtest.seed=N) and the last lines of the machine's trace. Before
// that it runs the first seed twice and fails if the two traces differ: a
// failure that cannot be replayed is of little use. With -crashtest.seed=N
// (or RAFTLOG_CRASHTEST_SEED=N) it runs only seed N and logs its trace.
func Check(t testing.TB, f func(m *Machine) error, opts ...Option) {
	t.Helper()
	c := config{first: 1, seeds: 1000, determinism: true}
	for _, o := range opts {
		o(&c)
	}
	if v := replay.Setting(*flagSeeds, "RAFTLOG_CRASHTEST_SEEDS"); v > 0 {
		c.seeds = int(v)
	}
	one := false
	if v := replay.Setting(*flagSeed, "RAFTLOG_CRASHTEST_SEED"); v > 0 {
		c.first, c.seeds, one = v, 1, true
	}
	report := func(m *Machine, err error) {
		t.Helper()
		t.Fatalf("%v\nreplay: %s\ntrace (last %d lines):\n  %s", err, replayCommand(t.Name(), m.seed),
			min(len(m.trace), maxTrace), strings.Join(m.trace[max(0, len(m.trace)-maxTrace):], "\n  "))
	}
	if one {
		m, err := run(c.first, f)
		if err != nil {
			report(m, err)
			return
		}
		t.Logf("seed %d passed; trace:\n  %s", c.first, strings.Join(m.trace, "\n  "))
		return
	}
	crashes := 0
	for seed := c.first; seed < c.first+uint64(c.seeds); seed++ {
		m, err := run(seed, f)
		if err != nil {
			report(m, err)
			return
		}
		if seed == c.first && c.determinism {
			m2, err := run(seed, f)
			if err == nil && traceHash(m.trace) != traceHash(m2.trace) {
				t.Fatalf("seed %d is not deterministic: two runs gave different traces (%d and %d lines); "+
					"draw randomness only from Machine.Rand, open logs with OpenLog or LogConfig, or pass NoDeterminismCheck\nreplay: %s",
					seed, len(m.trace), len(m2.trace), replayCommand(t.Name(), seed))
				return
			}
		}
		crashes += m.crashes
	}
	t.Logf("crashtest.Check: %d seeds, %d crashes, 0 failures", c.seeds, crashes)
}

func traceHash(lines []string) [32]byte { return sha256.Sum256([]byte(strings.Join(lines, "\n"))) }

// replayCommand is the go test command that replays seed in the test named
// name.
func replayCommand(name string, seed uint64) string {
	return replay.GoTest(name, fmt.Sprintf("-crashtest.seed=%d -v", seed))
}
