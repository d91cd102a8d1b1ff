package sim

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// Dir is where the simulated log lives on its in-memory machine. One seed in
// four puts it at NestedDir instead, whose parents do not exist until Open
// creates them (and must make them durable).
const Dir = "/log"

// NestedDir is the log's directory for the seeds that open it under
// directories that do not exist yet.
const NestedDir = "/a/b/log"

// Config configures one simulation run.
type Config struct {
	// Seed decides everything: the log's limits, the operations, the
	// crashes and the faults.
	Seed uint64
	// Ops is the number of operations to generate (default 200).
	Ops int
	// Trace, if set, receives one line per operation and outcome.
	Trace io.Writer
}

// Result is what a run over the default types did and found.
type Result = ResultOf[raftlog.LogID, []byte, raftlog.Vote, []byte]

// ResultOf is what a run did and found.
type ResultOf[L, P, V, U any] struct {
	Seed uint64
	// Ops are the operations executed, in order: replaying them with the
	// same seed repeats the run exactly.
	Ops []OpOf[L, P, V, U]
	// Crashes, Flips and Recoveries count what happened; Faults counts
	// the I/O faults armed, FaultsFired those that struck; Damages counts
	// the files damaged at rest, Repairs the logs a Repair then opened,
	// KeptStart those of them whose cut wrote the log's start again
	// (wal.Cut.KeptStart); Reconfigured counts the recoveries that opened
	// the log with other limits than it was written with.
	Crashes, Faults, FaultsFired, Flips, Recoveries int
	Damages, Repairs, KeptStart, Reconfigured       int
	// CrashesByMode splits Crashes by crash mode; FaultsByKind splits
	// Faults by kind ("write EIO", "sync EIO", "recovery truncate EIO"...).
	CrashesByMode map[fs.CrashMode]int
	FaultsByKind  map[string]int
	// CodecChecks counts the values whose codecs were checked directly
	// (round trip, determinism, truncations, damaged bytes).
	CodecChecks int
	// Violation is the first invariant broken, or nil.
	Violation *Violation
	// Trace is a hash of every operation and outcome: the same seed gives
	// the same hash.
	Trace [32]byte
}

// Violation is a broken invariant.
type Violation struct {
	Step int    // index of the operation in Result.Ops
	Op   string // the operation
	What string
}

// Error describes the failure with the values it carries.
func (v *Violation) Error() string { return fmt.Sprintf("op %d %s: %s", v.Step, v.Op, v.What) }

// Run generates and executes a workload on s's types.
func (s *Sim[L, P, V, U]) Run(cfg Config) ResultOf[L, P, V, U] {
	if cfg.Ops <= 0 {
		cfg.Ops = 200
	}
	r := newRunner(s.ts, cfg.Seed, cfg.Trace)
	g := newGenerator(s.ts, cfg.Seed)
	r.run(func() (OpOf[L, P, V, U], bool) {
		if len(r.res.Ops) >= cfg.Ops && len(g.queue) == 0 {
			return OpOf[L, P, V, U]{}, false
		}
		return g.next(r.cur(), r.poisoned), true
	})
	return r.res
}

// Replay executes ops with the log and machine that its seed chooses.
func (s *Sim[L, P, V, U]) Replay(seed uint64, ops []OpOf[L, P, V, U], trace io.Writer) ResultOf[L, P, V, U] {
	r := newRunner(s.ts, seed, trace)
	i := 0
	r.run(func() (OpOf[L, P, V, U], bool) {
		if i >= len(ops) {
			return OpOf[L, P, V, U]{}, false
		}
		i++
		return ops[i-1], true
	})
	return r.res
}

// runner executes operations on a raftlog over a simulated machine and on
// the model, and checks the invariants.
type runner[L, P, V, U any] struct {
	ts    *typeset[L, P, V, U]
	seed  uint64
	cfg   raftlog.Config
	dir   string // the log's directory: Dir or NestedDir
	mem   *fs.Mem
	fi    *faultinject.FS
	l     *raftlog.Log[L, P, V, U]
	epoch int // bumped at each open, so a stale callback is recognised
	// owed counts the Flushes accepted in epoch owedIn whose callbacks
	// have not run: when Close returns, there must be none.
	owed, owedIn int

	// hist[k] is the model after the k-th operation accepted since the
	// last recovery; hist[0] is what that recovery found. path holds the
	// states before hist[0] that the log went through on its way there:
	// together, the states of the log after each prefix of its history
	// (what a Repair may take it back to).
	hist     []*model[L, P, V, U]
	path     []*model[L, P, V, U]
	durable  int // hist index covered by an acknowledged sync
	poisoned bool
	crash    *OpOf[L, P, V, U] // armed crash, waiting for the machine to halt
	// durableDisk: everything on the disk is durable (right after a
	// power loss, before recovery writes anything).
	durableDisk bool

	res   ResultOf[L, P, V, U]
	step  int
	v     *Violation
	trace io.Writer
	hash  hash.Hash
}

func newRunner[L, P, V, U any](ts *typeset[L, P, V, U], seed uint64, trace io.Writer) *runner[L, P, V, U] {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	cfg := raftlog.Config{
		ManualFlush: true,
		// Chunk salts from the run's seed, so a seed always writes the same
		// bytes.
		Rand: rand.NewChaCha8([32]byte{0: byte(seed), 1: byte(seed >> 8), 2: byte(seed >> 16), 3: byte(seed >> 24),
			4: byte(seed >> 32), 5: byte(seed >> 40), 6: byte(seed >> 48), 7: byte(seed >> 56)}),
	}
	drawLimits(rng, &cfg)
	r := &runner[L, P, V, U]{ts: ts, seed: seed, cfg: cfg, dir: Dir, mem: fs.NewMem(), trace: trace, hash: sha256.New()}
	if rng.IntN(4) == 0 {
		r.dir = NestedDir
	}
	drawPreallocate(rng, &r.cfg)
	r.res.Seed = seed
	r.res.CrashesByMode = map[fs.CrashMode]int{}
	r.res.FaultsByKind = map[string]int{}
	r.fi = faultinject.New(r.mem, faultinject.Options{Seed: seed})
	r.hist = []*model[L, P, V, U]{newModel(ts)}
	return r
}

// drawLimits draws the chunk, payload cache and record size limits of a
// run's log.
func drawLimits(rng *rand.Rand, cfg *raftlog.Config) {
	cfg.ChunkMaxRecords = 4 + rng.IntN(13)
	cfg.ChunkMaxBytes = int64(300 + rng.IntN(3000))
	cfg.CacheMaxItems = rng.IntN(24) - 4 // sometimes negative: nothing but the unsynced
	cfg.CacheMaxBytes = int64(64 + rng.IntN(2048))
	cfg.MaxRecordBytes = 160 + rng.IntN(400)
}

// drawPreallocate draws the zeros written ahead of the records: in steps
// smaller than a chunk (so the records cross the zeros' end), of a whole
// chunk (the default, capped at ChunkMaxBytes), or none.
func drawPreallocate(rng *rand.Rand, cfg *raftlog.Config) {
	cfg.PreallocateBytes = 0
	switch rng.IntN(3) {
	case 0:
		cfg.PreallocateBytes = int64(64 + rng.IntN(1024))
	case 1:
		cfg.PreallocateBytes = -1
	}
}

func (r *runner[L, P, V, U]) cur() *model[L, P, V, U] { return r.hist[len(r.hist)-1] }

// keep makes hist[j] the log's state after a recovery: the states up to it
// join the path, those after it were never durable and are gone.
func (r *runner[L, P, V, U]) keep(j int) {
	r.path = append(r.path, r.hist[:j]...)
	r.hist = []*model[L, P, V, U]{r.hist[j]}
}

// newFaultFS wraps the machine's disk in a fresh fault injector (a crash
// ends the faults armed before it), counting those that struck.
func (r *runner[L, P, V, U]) newFaultFS(seed uint64) {
	r.res.FaultsFired += len(r.fi.Injected())
	r.fi = faultinject.New(r.mem, faultinject.Options{Seed: seed})
}

func (r *runner[L, P, V, U]) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.hash.Write([]byte(line))
	r.hash.Write([]byte{'\n'})
	if r.trace != nil {
		fmt.Fprintln(r.trace, line)
	}
}

func (r *runner[L, P, V, U]) fail(format string, args ...any) {
	if r.v != nil {
		return
	}
	op := ""
	if r.step < len(r.res.Ops) {
		op = r.res.Ops[r.step].String()
	}
	r.v = &Violation{Step: r.step, Op: op, What: fmt.Sprintf(format, args...)}
	r.logf("VIOLATION %v", r.v)
}

// open opens the log with cfg (FS set by the caller).
func (r *runner[L, P, V, U]) openLog(cfg raftlog.Config) (*raftlog.Log[L, P, V, U], error) {
	return raftlog.OpenWith(r.dir, r.ts.t, cfg)
}

func (r *runner[L, P, V, U]) run(next func() (OpOf[L, P, V, U], bool)) {
	defer func() {
		if p := recover(); p != nil {
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			r.fail("panic: %v\n%s", p, buf)
		}
		r.res.Violation = r.v
		r.res.FaultsFired += len(r.fi.Injected())
		copy(r.res.Trace[:], r.hash.Sum(nil))
	}()
	r.open(r.fi)
	for r.v == nil {
		op, ok := next()
		if !ok {
			break
		}
		r.step = len(r.res.Ops)
		r.res.Ops = append(r.res.Ops, op)
		r.checkCodecs(op)
		if r.v != nil {
			break
		}
		r.exec(op)
		if r.v == nil && r.crash != nil && r.mem.Halted() {
			r.powerLoss()
		}
	}
	if r.v == nil && r.crash != nil {
		r.powerLoss()
	}
	if r.v == nil && r.l != nil {
		err := r.l.Close()
		r.checkIOErr("final Close", err)
		r.l = nil
	}
	if r.v == nil {
		r.workerRound()
	}
}

// exec runs one operation on the log and on the model.
func (r *runner[L, P, V, U]) exec(op OpOf[L, P, V, U]) {
	l := r.l
	type m = *model[L, P, V, U]
	switch op.Kind {
	case OpVote:
		r.write(op, func() error { _, err := l.SaveVote(op.Vote); return err }, func(m m) outcome { return m.vote(op.Vote) })
	case OpAppend:
		es := r.ts.entries(op.Entries)
		r.writeAppend(op, es)
	case OpCommit:
		r.write(op, func() error { _, err := l.Commit(op.ID); return err }, func(m m) outcome { return m.commit(op.ID) })
	case OpTruncate:
		r.write(op, func() error { _, err := l.Truncate(op.At); return err }, func(m m) outcome { return m.truncate(op.At) })
	case OpPurge:
		r.write(op, func() error { _, err := l.Purge(op.ID); return err }, func(m m) outcome { return m.purge(op.ID) })
	case OpUserData:
		u := raftlog.Some(op.User)
		if op.NoUser {
			u = raftlog.None[U]()
		}
		r.write(op, func() error { _, err := l.SaveUserData(u); return err }, func(m m) outcome { return m.userData(u, r.cfg.MaxRecordBytes) })
	case OpState:
		r.write(op, func() error { _, err := l.UpdateState(op.State); return err }, func(m m) outcome { return m.updateState(op.State, r.cfg.MaxRecordBytes) })
	case OpFlush:
		r.flush(op.Sync)
	case OpStep:
		if _, err := l.Step(); err != nil {
			r.fail("Step: %v", err)
		}
		r.afterIO("Step")
		r.logf("Step")
	case OpSync:
		r.sync()
	case OpRead:
		r.read(op.From, op.To)
	case OpReopen:
		r.reopen()
	case OpCrash:
		if r.crash != nil {
			r.powerLoss()
		}
		if r.v == nil {
			op := op
			r.crash = &op
			r.mem.HaltAfter(uint64(op.K))
			r.logf("%v armed", op)
		}
	case OpFault:
		r.res.Faults++
		r.res.FaultsByKind[op.Fault.Kind()]++
		r.fi.Add(faultinject.Rule{Op: op.Fault.Op, Nth: op.K, Times: 1, Err: op.Fault.Err, ShortWrite: op.Fault.Short})
		r.logf("%v armed", op)
	case OpFlip:
		r.flip(op.Seed)
	case OpDamage:
		r.damage(op.Seed)
	default:
		r.fail("unknown operation %v", op)
	}
}
