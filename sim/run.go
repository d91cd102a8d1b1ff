package sim

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

// Dir is where the simulated log lives on its in-memory machine.
const Dir = "/log"

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

// Result is what a run did and found.
type Result struct {
	Seed uint64
	// Ops are the operations executed, in order: replaying them with the
	// same seed repeats the run exactly.
	Ops []Op
	// Crashes, Flips and Recoveries count what happened; Faults counts
	// the I/O faults armed, FaultsFired those that struck.
	Crashes, Faults, FaultsFired, Flips, Recoveries int
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

// Run generates and executes a workload.
func Run(cfg Config) Result {
	if cfg.Ops <= 0 {
		cfg.Ops = 200
	}
	r := newRunner(cfg.Seed, cfg.Trace)
	g := newGenerator(cfg.Seed)
	r.run(func() (Op, bool) {
		if len(r.res.Ops) >= cfg.Ops && len(g.queue) == 0 {
			return Op{}, false
		}
		return g.next(r.cur(), r.poisoned), true
	})
	return r.res
}

// Replay executes ops with the log and machine the seed chooses.
func Replay(seed uint64, ops []Op, trace io.Writer) Result {
	r := newRunner(seed, trace)
	i := 0
	r.run(func() (Op, bool) {
		if i >= len(ops) {
			return Op{}, false
		}
		i++
		return ops[i-1], true
	})
	return r.res
}

// runner executes operations on a raftlog over a simulated machine and on
// the model, and checks the invariants.
type runner struct {
	seed  uint64
	cfg   raftlog.Config
	mem   *fs.Mem
	fi    *faultinject.FS
	l     *raftlog.DefaultLog
	epoch int // bumped at each open, so a stale callback is recognised

	// hist[k] is the model after the k-th operation accepted since the
	// last recovery; hist[0] is what that recovery found.
	hist     []*model
	durable  int // hist index covered by an acknowledged sync
	poisoned bool
	crash    *Op // armed crash, waiting for the machine to halt
	// durableDisk: everything on the disk is durable (right after a
	// power loss, before recovery writes anything).
	durableDisk bool

	res   Result
	step  int
	v     *Violation
	trace io.Writer
	hash  hash.Hash
}

func newRunner(seed uint64, trace io.Writer) *runner {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	cfg := raftlog.Config{
		ManualFlush:     true,
		ChunkMaxRecords: 4 + rng.IntN(13),
		ChunkMaxBytes:   int64(300 + rng.IntN(3000)),
		CacheMaxItems:   rng.IntN(24) - 4, // sometimes negative: nothing but the unsynced
		CacheMaxBytes:   int64(64 + rng.IntN(2048)),
		MaxRecordBytes:  160 + rng.IntN(400),
	}
	r := &runner{seed: seed, cfg: cfg, mem: fs.NewMem(), trace: trace, hash: sha256.New()}
	r.res.Seed = seed
	r.fi = faultinject.New(r.mem, faultinject.Options{Seed: seed})
	r.hist = []*model{{}}
	return r
}

func (r *runner) cur() *model { return r.hist[len(r.hist)-1] }

// newFaultFS wraps the machine's disk in a fresh fault injector (a crash
// ends the faults armed before it), counting those that struck.
func (r *runner) newFaultFS(seed uint64) {
	r.res.FaultsFired += len(r.fi.Injected())
	r.fi = faultinject.New(r.mem, faultinject.Options{Seed: seed})
}

func (r *runner) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	r.hash.Write([]byte(line))
	r.hash.Write([]byte{'\n'})
	if r.trace != nil {
		fmt.Fprintln(r.trace, line)
	}
}

func (r *runner) fail(format string, args ...any) {
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

func (r *runner) run(next func() (Op, bool)) {
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

var workerRoundMu sync.Mutex

// logGoroutines counts the goroutines running the log's code (the flush
// worker), so that other goroutines of the test binary do not count.
func logGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("github.com/raftlog/raftlog/wal.")) {
			n++
		}
	}
	return n
}

// workerRound opens a copy of the final disk with the flush goroutine
// running (the simulation steps the worker itself), appends, syncs and
// closes, so that the leak check above sees the worker start and stop. It
// leaves no trace: the copy is thrown away.
func (r *runner) workerRound() {
	// Runs in parallel (a campaign) take turns here, so that the only
	// flush goroutines alive are this round's.
	workerRoundMu.Lock()
	defer workerRoundMu.Unlock()
	before := logGoroutines()
	defer func() {
		// The flush goroutine ends once Close returns, but may still be
		// on its way out: yield until it is gone, not for a time.
		n := logGoroutines()
		for i := 0; i < 10000 && n > before; i++ {
			runtime.Gosched()
			n = logGoroutines()
		}
		if n > before {
			r.fail("goroutine leak: %d of the log's goroutines before Open, %d after Close", before, n)
		}
	}()
	cfg := r.cfg
	cfg.ManualFlush = false
	cfg.FS = r.mem.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess)
	l, err := raftlog.Open(Dir, cfg)
	if err != nil {
		r.fail("opening the final disk with the flush goroutine: %v", err)
		return
	}
	// The disk may hold less than the model when the log ended poisoned.
	e := aliveEntry(&model{st: l.State()}, "worker")
	if _, err := l.Append(e); err != nil {
		r.fail("append with the flush goroutine: %v", err)
	} else if err := l.Sync(); err != nil {
		r.fail("sync with the flush goroutine: %v", err)
	}
	if err := l.Close(); err != nil {
		r.fail("close with the flush goroutine: %v", err)
	}
}

// exec runs one operation on the log and on the model.
func (r *runner) exec(op Op) {
	l := r.l
	switch op.Kind {
	case OpVote:
		r.write(op, func() error { _, err := l.SaveVote(op.Vote); return err }, func(m *model) outcome { return m.vote(op.Vote) })
	case OpAppend:
		r.write(op, func() error { _, err := l.Append(op.Entries...); return err }, func(m *model) outcome { return m.appendEntries(op.Entries, r.cfg.MaxRecordBytes) })
	case OpCommit:
		r.write(op, func() error { _, err := l.Commit(op.ID); return err }, func(m *model) outcome { return m.commit(op.ID) })
	case OpTruncate:
		r.write(op, func() error { _, err := l.Truncate(op.At); return err }, func(m *model) outcome { return m.truncate(op.At) })
	case OpPurge:
		r.write(op, func() error { _, err := l.Purge(op.ID); return err }, func(m *model) outcome { return m.purge(op.ID) })
	case OpUserData:
		u := raftlog.Some(op.User)
		if op.NoUser {
			u = raftlog.None[[]byte]()
		}
		r.write(op, func() error { _, err := l.SaveUserData(u); return err }, func(m *model) outcome { return m.userData(u, r.cfg.MaxRecordBytes) })
	case OpState:
		r.write(op, func() error { _, err := l.UpdateState(op.State); return err }, func(m *model) outcome { return m.updateState(op.State, r.cfg.MaxRecordBytes) })
	case OpFlush:
		r.flush(op.Sync)
	case OpStep:
		l.Step()
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
		r.fi.Add(faultinject.Rule{Op: op.Fault.Op, Nth: op.K, Times: 1, Err: op.Fault.Err, ShortWrite: op.Fault.Short})
		r.logf("%v armed", op)
	case OpFlip:
		r.flip(op.Seed)
	default:
		r.fail("unknown operation %v", op)
	}
}

// write runs a writer: the log must accept exactly what the model accepts,
// and reject the rest with the model's error, changing nothing.
func (r *runner) write(op Op, do func() error, apply func(*model) outcome) {
	m := r.cur().clone()
	want := apply(m)
	err := do()
	expect := want.err
	if (expect == nil || want.wal) && r.poisoned && !want.noop {
		expect = raftlog.ErrPoisoned
	}
	r.logf("%v -> %v", op, errText(err))
	switch {
	case expect == nil && err != nil:
		r.fail("the log refused a valid operation: %v", err)
	case expect != nil && !errors.Is(err, expect):
		r.fail("want an error matching %q (%s), got %v", expect, want.why, err)
	case err == nil && op.Kind == OpAppend:
		// A batch is accepted whole but written one record per entry,
		// so a crash may keep any prefix of it: each entry is a step.
		m := r.cur().clone()
		for _, e := range op.Entries {
			m.appendEntries([]entry{e}, 0)
			r.hist = append(r.hist, m)
			m = m.clone()
		}
	case err == nil && !want.noop:
		r.hist = append(r.hist, m)
	}
	// The log's in-memory state must follow the model between recoveries
	// too, rejected operations included.
	if r.v == nil && r.l.State().String() != r.cur().st.String() {
		r.fail("after %v the log's state is %v, the model's %v", op, r.l.State(), r.cur().st)
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func (r *runner) flush(sync bool) {
	j, epoch := len(r.hist)-1, r.epoch
	err := r.l.Flush(sync, func(err error) { r.acked(epoch, j, sync, err) })
	r.logf("Flush(sync=%v) -> %v", sync, errText(err))
	if r.poisoned != (err != nil) {
		r.fail("Flush returned %v on a log that is poisoned=%v", err, r.poisoned)
	}
}

// acked is a flush callback: a nil result with sync makes hist[j] durable.
func (r *runner) acked(epoch, j int, sync bool, err error) {
	if epoch != r.epoch {
		return
	}
	r.logf("  callback(flush at %d, sync=%v) -> %v", j, sync, errText(err))
	if err == nil && r.l.Err() != nil {
		r.fail("a flush callback was told ok by a poisoned log (%v)", r.l.Err())
		return
	}
	if err != nil && r.l.Err() == nil {
		r.fail("a flush callback got %v but the log is not poisoned", err)
		return
	}
	if err == nil && sync {
		r.durable = max(r.durable, j)
	}
}

func (r *runner) sync() {
	j := len(r.hist) - 1
	err := r.l.Sync()
	r.logf("Sync -> %v", errText(err))
	r.afterIO("Sync")
	if err == nil {
		if r.poisoned {
			r.fail("Sync reported success on a poisoned log")
		}
		r.durable = max(r.durable, j)
	} else if !r.poisoned {
		r.fail("Sync failed without poisoning the log: %v", err)
	}
}

// afterIO notes whether an operation that did I/O poisoned the log, and
// checks that only an injected fault or the halt could have.
func (r *runner) afterIO(what string) {
	err := r.l.Err()
	if err == nil {
		return
	}
	if !r.poisoned {
		r.poisoned = true
		r.logf("  poisoned by %s: %v", what, err)
	}
	r.checkIOErr(what, err)
}

func (r *runner) checkIOErr(what string, err error) {
	if err != nil && !errors.Is(err, faultinject.ErrInjected) && !errors.Is(err, fs.ErrHalted) {
		r.fail("%s: an I/O error nobody injected: %v", what, err)
	}
}

func (r *runner) read(from, to uint64) {
	want, wantErr := r.cur().readRange(from, to)
	var got []entry
	var err error
	for e, e2 := range r.l.Read(from, to) {
		if e2 != nil {
			err = e2
			break
		}
		got = append(got, e)
	}
	r.logf("Read(%d, %d) -> %d entries, %v", from, to, len(got), errText(err))
	switch {
	case wantErr != nil && !errors.Is(err, wantErr):
		r.fail("Read(%d, %d): want an error matching %q, got %v", from, to, wantErr, err)
	case wantErr == nil && err != nil:
		r.fail("Read(%d, %d): %v", from, to, err)
	case wantErr == nil && !sameEntries(got, want):
		r.fail("Read(%d, %d): got %s, want %s", from, to, entriesString(got), entriesString(want))
	}
}

func sameEntries(a, b []entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || !bytes.Equal(a[i].Payload, b[i].Payload) {
			return false
		}
	}
	return true
}

func entriesString(es []entry) string {
	if len(es) > 6 {
		return fmt.Sprintf("%d entries %v..%v", len(es), es[0].ID, es[len(es)-1].ID)
	}
	s := "["
	for i, e := range es {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%v=%q", e.ID, e.Payload)
	}
	return s + "]"
}

// dumpDisk lists the chunk files into the trace (not into its hash), so a
// verbose replay shows what each crash left.
func (r *runner) dumpDisk() {
	if r.trace != nil {
		raftlog.DumpDir(r.mem, Dir, raftlog.DefaultTypes, r.trace)
	}
}

// reopen closes the log as a restarting process would and opens it again.
func (r *runner) reopen() {
	err := r.l.Close()
	r.logf("Close -> %v", errText(err))
	r.checkIOErr("Close", err)
	r.l = nil
	if r.crash != nil && r.mem.Halted() {
		r.powerLoss()
		return
	}
	lower := r.durable
	if err == nil && !r.poisoned {
		lower = len(r.hist) - 1 // a clean Close syncs everything
	}
	r.fi.Clear()
	r.recover(lower)
}

// powerLoss crashes the machine as the armed crash says and recovers.
func (r *runner) powerLoss() {
	op := r.crash
	r.crash = nil
	r.res.Crashes++
	r.mem = r.mem.Crash(rand.New(rand.NewPCG(op.Seed, 1)), op.Mode)
	r.newFaultFS(op.Seed)
	r.l = nil // the process died with the machine: no Close
	r.logf("power loss (%v)", op.Mode)
	r.dumpDisk()
	r.durableDisk = true
	r.recover(r.durable)
}

// recover opens the log after a restart or crash and checks the invariants:
// the same state as a clean recovery of the same disk (so a crash during
// recovery changes nothing), the model's state after some prefix of the
// accepted operations that includes every acknowledged one, and a log that
// takes writes again.
func (r *runner) recover(lower int) {
	r.res.Recoveries++
	ref := r.mem.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess) // an exact copy
	refState, refFirst, refEnts, err := r.inspect(ref)
	if err != nil {
		r.fail("recovery failed: %v", err)
		return
	}

	// An armed crash may strike during recovery; then the machine loses
	// power again and recovery starts over. If the disk was durable in
	// full when recovery began (it came from a power loss), the second
	// recovery must find exactly what the first would have; after a
	// process restart, the disk also held unsynced writes that the power
	// loss may take, so then only the prefix rule below applies.
	durableDisk := r.durableDisk
	crashed := false
	r.faultyRecovery()
	for r.v == nil && r.l == nil {
		r.open(r.fi)
		if r.l != nil || r.v != nil {
			break
		}
		op := r.crash
		r.crash = nil
		r.res.Crashes++
		r.mem = r.mem.Crash(rand.New(rand.NewPCG(op.Seed, 2)), op.Mode)
		r.newFaultFS(op.Seed)
		r.logf("power loss during recovery (%v)", op.Mode)
		crashed = true
	}
	if r.v != nil {
		return
	}
	st, first, ents, err := snapshot(r.l)
	if err != nil {
		r.fail("reading the recovered log: %v", err)
		return
	}
	same := st.String() == refState.String() && sameEntries(ents, refEnts) && (len(ents) == 0 || first == refFirst)
	if !same && (durableDisk || !crashed) {
		r.fail("recovery is not idempotent: %v [%d..] vs a clean recovery %v [%d..]", st, first, refState, refFirst)
		return
	}
	j := -1
	for k := len(r.hist) - 1; k >= lower; k-- {
		if r.hist[k].equal(st, first, ents) {
			j = k
			break
		}
	}
	if j < 0 {
		r.fail("recovered %v with entries %s: not the model after any of operations %d..%d (acknowledged through %d): %v",
			st, entriesString(ents), lower, len(r.hist)-1, r.durable, r.cur())
		return
	}
	r.logf("recovered to accepted op %d of %d (acknowledged %d)", j, len(r.hist)-1, r.durable)
	r.hist = []*model{r.hist[j]}
	r.durable = 0
	r.durableDisk = false
	r.poisoned = false
	// Alive: the log takes a write again. Checked on a copy of the disk
	// one time in three, so that the recovered log also goes on untouched
	// (a restart, then a Close that writes nothing, must keep it sealed).
	if (r.res.Recoveries+int(r.seed%3))%3 == 0 {
		r.aliveOnCopy()
	} else {
		r.alive()
	}
}

// faultyRecovery, one recovery in four, fails the first sync, truncation,
// removal or directory sync that recovery does: Open must fail with that
// error (or not need the operation), and the next Open must recover the
// same log.
func (r *runner) faultyRecovery() {
	rng := rand.New(rand.NewPCG(r.seed, uint64(r.res.Recoveries)))
	if rng.IntN(4) != 0 {
		return
	}
	ops := []faultinject.Op{faultinject.OpSync, faultinject.OpTruncate, faultinject.OpRemove, faultinject.OpSyncDir}
	op := ops[rng.IntN(len(ops))]
	r.res.Faults++
	r.fi.Add(faultinject.Rule{Op: op, Nth: 1, Times: 1, Err: syscall.EIO})
	cfg := r.cfg
	cfg.FS = r.fi
	l, err := raftlog.Open(Dir, cfg)
	r.epoch++
	r.logf("Open with a %v fault -> %v", op, errText(err))
	r.fi.Clear()
	switch {
	case err == nil:
		r.l = l
	case r.crash != nil && r.mem.Halted():
		// the caller's loop crashes the machine
	case !errors.Is(err, faultinject.ErrInjected):
		r.fail("Open with a %v fault failed otherwise: %v", op, err)
	}
}

// aliveOnCopy opens a copy of the recovered disk, appends, syncs and reads
// back there.
func (r *runner) aliveOnCopy() {
	cp := r.mem.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess)
	cfg := r.cfg
	cfg.FS = cp
	l, err := raftlog.Open(Dir, cfg)
	if err != nil {
		r.fail("alive: opening a copy of the recovered disk: %v", err)
		return
	}
	defer l.Close()
	e := aliveEntry(r.cur(), "alive")
	id := e.ID
	if _, err := l.Append(e); err != nil {
		r.fail("alive: append on a copy: %v", err)
		return
	}
	if err := l.Sync(); err != nil {
		r.fail("alive: sync on a copy: %v", err)
		return
	}
	for got, err := range l.Read(id.Index, id.Index+1) {
		if err != nil || got.ID != id || string(got.Payload) != "alive" {
			r.fail("alive: read back on a copy: %v %v %q", err, got.ID, got.Payload)
		}
	}
	r.logf("alive on a copy: appended, synced and read %v", id)
}

// aliveEntry is the entry a liveness check appends to a log whose model is
// m: the next index, at the highest term the log has seen.
func aliveEntry(m *model, payload string) entry {
	id := raftlog.LogID{Term: 1, Index: next(m.st.Last)}
	if l, ok := m.st.Last.Get(); ok {
		id.Term = max(l.Term, 1)
	}
	if v, ok := m.st.Vote.Get(); ok {
		id.Term = max(id.Term, v.Term)
	}
	return entry{ID: id, Payload: []byte(payload)}
}

// alive appends one entry after a recovery, syncs it and reads it back.
func (r *runner) alive() {
	e := aliveEntry(r.cur(), fmt.Sprintf("alive-%d", r.res.Recoveries))
	id := e.ID
	r.write(Op{Kind: OpAppend, Entries: []entry{e}}, func() error { _, err := r.l.Append(e); return err },
		func(m *model) outcome { return m.appendEntries([]entry{e}, 0) })
	if r.v == nil {
		r.sync()
	}
	if r.v == nil {
		r.read(id.Index, id.Index+1)
	}
}

// open opens the log on fsys. If Open fails because the machine halted,
// r.l stays nil and the caller crashes the machine; any other failure is a
// violation.
func (r *runner) open(fsys fs.FS) {
	cfg := r.cfg
	cfg.FS = fsys
	l, err := raftlog.Open(Dir, cfg)
	r.epoch++
	r.logf("Open -> %v", errText(err))
	if err != nil {
		if r.crash != nil && r.mem.Halted() {
			return // the caller crashes the machine
		}
		r.fail("Open failed: %v", err)
		return
	}
	r.l = l
	r.poisoned = false
}

// inspect opens a copy of the disk and returns what it holds.
func (r *runner) inspect(m *fs.Mem) (state, uint64, []entry, error) {
	cfg := r.cfg
	cfg.FS = m
	l, err := raftlog.Open(Dir, cfg)
	if err != nil {
		return state{}, 0, nil, err
	}
	defer l.Close()
	return snapshot(l)
}

// snapshot reads a log's state and every entry it holds.
func snapshot(l *raftlog.DefaultLog) (state, uint64, []entry, error) {
	st := l.State()
	s := l.Stat()
	var ents []entry
	for e, err := range l.Read(s.First, s.End) {
		if err != nil {
			return st, 0, nil, err
		}
		ents = append(ents, e)
	}
	return st, s.First, ents, nil
}

// flip closes the log, flips one bit at rest in a chunk file, and opens it:
// either Open reports corruption naming the file, or the bit was somewhere
// that no longer matters and the log is exactly what it was.
func (r *runner) flip(seed uint64) {
	if r.crash != nil {
		r.powerLoss() // the armed crash comes first
		return
	}
	if r.poisoned {
		// Without a clean Close the last synced batch has no marker after
		// it, and rot there is indistinguishable from a torn write
		// (docs/format.md). Restart instead.
		r.reopen()
		return
	}
	err := r.l.Close()
	r.logf("Close -> %v", errText(err))
	r.l = nil
	if err != nil {
		r.checkIOErr("Close", err)
		if r.crash != nil && r.mem.Halted() {
			r.powerLoss()
		} else {
			r.fi.Clear()
			r.recover(r.durable)
		}
		return
	}
	r.durable = len(r.hist) - 1
	names, err := r.mem.ReadDir(Dir)
	if err != nil {
		r.fail("listing %s: %v", Dir, err)
		return
	}
	var chunks []string
	for _, n := range names {
		if _, ok := wal.ParseChunkName(n); ok {
			chunks = append(chunks, Dir+"/"+n)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	file := chunks[rng.IntN(len(chunks))]
	info, err := r.mem.Stat(file)
	if err != nil || info.Size() == 0 {
		r.fail("stat %s: %v", file, err)
		return
	}
	off := rng.Int64N(info.Size())
	mask := byte(1) << rng.IntN(8)
	r.res.Flips++
	r.mem.Corrupt(file, off, mask)
	r.fi.Clear()

	cfg := r.cfg
	cfg.FS = r.fi
	l, err := raftlog.Open(Dir, cfg)
	r.epoch++
	r.logf("flip %s@%d^%#x; Open -> %v", file, off, mask, errText(err))
	if err == nil {
		// The bit was in what recovery may cut (the closing marker): the
		// log must be exactly what it was.
		r.l = l
		r.hist = r.hist[len(r.hist)-1:]
		r.durable = 0
		st, first, ents, err := snapshot(l)
		if err != nil || !r.cur().equal(st, first, ents) {
			r.fail("after a flip Open succeeded with a different log (%v, err %v): want %v", st, err, r.cur())
		}
		return
	}
	var ce *wal.CorruptionError
	switch {
	case !errors.Is(err, raftlog.ErrCorrupt) || !errors.As(err, &ce):
		r.fail("a flipped bit at %s:%d: Open failed without a corruption error: %v", file, off, err)
	case ce.File != file || ce.Offset > off:
		r.fail("a flipped bit at %s:%d reported at %s:%d", file, off, ce.File, ce.Offset)
	}
	if r.v != nil {
		return
	}
	r.mem.Corrupt(file, off, mask) // repair, and carry on
	r.recover(r.durable)
}
