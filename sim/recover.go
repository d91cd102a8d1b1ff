package sim

import (
	"errors"
	"math/rand/v2"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// dumpDisk lists the chunk files into the trace (not into its hash), so a
// verbose replay shows what each crash left.
func (r *runner[L, P, V, U]) dumpDisk() {
	if r.trace != nil {
		raftlog.DumpDir(r.mem, r.dir, r.ts.t, r.trace)
	}
}

// reopen closes the log as a restarting process would and opens it again.
func (r *runner[L, P, V, U]) reopen() {
	err := r.l.Close()
	r.logf("Close -> %v", errText(err))
	r.checkAnswered()
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

// crashMachine replaces the disk with what a crash in op's mode leaves.
func (r *runner[L, P, V, U]) crashMachine(op *OpOf[L, P, V, U], stream uint64) {
	r.res.Crashes++
	r.res.CrashesByMode[op.Mode]++
	r.mem = r.mem.Crash(rand.New(rand.NewPCG(op.Seed, stream)), op.Mode)
	r.newFaultFS(op.Seed)
}

// powerLoss crashes the machine as the armed crash says and recovers.
func (r *runner[L, P, V, U]) powerLoss() {
	op := r.crash
	r.crash = nil
	r.crashMachine(op, 1)
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
func (r *runner[L, P, V, U]) recover(lower int) {
	r.res.Recoveries++
	r.reconfigure()
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
		r.crashMachine(op, 2)
		r.logf("power loss during recovery (%v)", op.Mode)
		crashed = true
	}
	if r.v != nil {
		return
	}
	st, first, ents, err := r.snapshot(r.l)
	if err != nil {
		r.fail("reading the recovered log: %v", err)
		return
	}
	key := r.ts.stateKey(st)
	same := key == r.ts.stateKey(refState) && sameEntries(ents, refEnts) && (len(ents) == 0 || first == refFirst)
	if !same && (durableDisk || !crashed) {
		r.fail("recovery is not idempotent: %v [%d..] vs a clean recovery %v [%d..]", st, first, refState, refFirst)
		return
	}
	j := -1
	for k := len(r.hist) - 1; k >= lower; k-- {
		if r.hist[k].equal(key, first, ents) {
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
	r.keep(j)
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

// reconfigure, one recovery in four, opens the log with other limits than
// it was written with, as an operator who changes them between restarts
// would: chunk sizes, the payload cache, the zeros written ahead, and the
// record size limit (records on disk larger than a new, lower limit must
// still be read). Drawn from the run's seed and the recovery's number, so
// a seed replays.
func (r *runner[L, P, V, U]) reconfigure() {
	rng := rand.New(rand.NewPCG(r.seed, 0xc0f1+uint64(r.res.Recoveries)<<16))
	if rng.IntN(4) != 0 {
		return
	}
	drawLimits(rng, &r.cfg)
	drawPreallocate(rng, &r.cfg)
	r.res.Reconfigured++
	c := r.cfg
	r.logf("new options: ChunkMaxRecords %d, ChunkMaxBytes %d, CacheMaxItems %d, CacheMaxBytes %d, MaxRecordBytes %d, PreallocateBytes %d",
		c.ChunkMaxRecords, c.ChunkMaxBytes, c.CacheMaxItems, c.CacheMaxBytes, c.MaxRecordBytes, c.PreallocateBytes)
}

// faultyRecovery, one recovery in four, fails the first sync, truncation,
// removal or directory sync that recovery does: Open must fail with that
// error (or not need the operation), and the next Open must recover the
// same log. One time in five it instead flips a bit of one of the first
// reads of a chunk, or returns zeros for a tail of it (a misread: the disk
// returns wrong bytes and no error, the bytes at rest are sound): Open must
// refuse, as corruption or as reads that differ, or recover exactly what a
// clean recovery does (checked with the rest).
func (r *runner[L, P, V, U]) faultyRecovery() {
	rng := rand.New(rand.NewPCG(r.seed, uint64(r.res.Recoveries)))
	if rng.IntN(4) != 0 {
		return
	}
	ops := []faultinject.Op{faultinject.OpSync, faultinject.OpTruncate, faultinject.OpRemove, faultinject.OpSyncDir, faultinject.OpRead}
	op := ops[rng.IntN(len(ops))]
	r.res.Faults++
	kind := Fault{Op: op, Err: syscall.EIO}.Kind()
	rule := faultinject.Rule{Op: op, Nth: 1, Times: 1, Err: syscall.EIO}
	if op == faultinject.OpRead {
		kind = "read bit flip"
		rule = faultinject.Rule{Op: op, Path: "*.wal", Nth: 1 + rng.IntN(4), Times: 1, FlipBits: 1}
		if rng.IntN(2) == 0 {
			kind, rule.FlipBits, rule.ZeroTail = "read zero tail", 0, true
		}
	}
	r.res.FaultsByKind[kind+" in recovery"]++
	r.fi.Add(rule)
	cfg := r.cfg
	cfg.FS = r.fi
	l, err := r.openLog(cfg)
	r.epoch++
	r.logf("Open with a %s fault -> %v", kind, errText(err))
	r.fi.Clear()
	switch {
	case err == nil:
		r.l = l
	case r.crash != nil && r.mem.Halted():
		// the caller's loop crashes the machine
	case op == faultinject.OpRead:
		if !errors.Is(err, raftlog.ErrReadsDiffer) && !errors.Is(err, raftlog.ErrCorrupt) {
			r.fail("Open with a misread failed otherwise: %v", err)
		}
	case !errors.Is(err, faultinject.ErrInjected):
		r.fail("Open with a %s fault failed otherwise: %v", kind, err)
	}
}

// open opens the log on fsys. If Open fails because the machine halted,
// r.l stays nil and the caller crashes the machine; any other failure is a
// violation.
func (r *runner[L, P, V, U]) open(fsys fs.FS) {
	cfg := r.cfg
	cfg.FS = fsys
	l, err := r.openLog(cfg)
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
func (r *runner[L, P, V, U]) inspect(m *fs.Mem) (raftlog.State[L, V, U], uint64, []ment[L, P], error) {
	cfg := r.cfg
	cfg.FS = m
	l, err := r.openLog(cfg)
	if err != nil {
		return raftlog.State[L, V, U]{}, 0, nil, err
	}
	defer l.Close()
	return r.snapshot(l)
}

// snapshot reads a log's state and every entry it holds.
func (r *runner[L, P, V, U]) snapshot(l *raftlog.Log[L, P, V, U]) (raftlog.State[L, V, U], uint64, []ment[L, P], error) {
	return snapshot(r.ts, l)
}

// snapshot reads a log's state and every entry it holds, with their
// encodings.
func snapshot[L, P, V, U any](ts *typeset[L, P, V, U], l *raftlog.Log[L, P, V, U]) (raftlog.State[L, V, U], uint64, []ment[L, P], error) {
	st := l.State()
	s := l.Stat()
	var ents []ment[L, P]
	for e, err := range l.Read(s.First, s.End) {
		if err != nil {
			return st, 0, nil, err
		}
		ents = append(ents, ts.entry(e))
	}
	return st, s.First, ents, nil
}
