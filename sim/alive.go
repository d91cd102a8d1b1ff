package sim

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

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
func (r *runner[L, P, V, U]) workerRound() {
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
	l, err := r.openLog(cfg)
	if err != nil {
		r.fail("opening the final disk with the flush goroutine: %v", err)
		return
	}
	// The disk may hold less than the model when the log ended poisoned.
	m := newModel(r.ts)
	m.setState(l.State())
	if e, ok := r.aliveEntry(m, 0); ok {
		if _, err := l.Append(e.e); err != nil {
			r.fail("append with the flush goroutine: %v", err)
		} else if err := l.Sync(); err != nil {
			r.fail("sync with the flush goroutine: %v", err)
		}
	}
	if err := l.Close(); err != nil {
		r.fail("close with the flush goroutine: %v", err)
	}
}

// aliveEntry is the entry a liveness check appends to a log whose model is
// m: the next index, at the highest term the log has seen, with a payload
// from Gen (drawn from its seed and salt) whose record fits the limit. ok is
// false, with nothing to check, when the model refuses it (the caller's
// order may not put that id above the last).
func (r *runner[L, P, V, U]) aliveEntry(m *model[L, P, V, U], salt uint64) (ment[L, P], bool) {
	t := max(r.ts.term(m.st.Last), 1)
	if v, ok := m.st.Vote.Get(); ok {
		vt, _ := r.ts.g.VoteOf(v)
		t = max(t, vt)
	}
	id := r.ts.g.LogID(t, r.ts.next(m.st.Last))
	rng := rand.New(rand.NewPCG(r.seed, salt^0xa11e))
	for range 8 {
		e := r.ts.entry(raftlog.Entry[L, P]{ID: id, Payload: r.ts.g.Payload(rng, id)})
		if appendBody(e) > r.cfg.MaxRecordBytes {
			continue
		}
		if o := m.clone().appendEntries([]ment[L, P]{e}, 0); o.err != nil {
			r.logf("alive: the model refuses %v (%v), nothing to check", id, o.err)
			return e, false
		}
		return e, true
	}
	r.fail("alive: Gen.Payload made no payload for %v whose record fits in %d bytes, in 8 tries", id, r.cfg.MaxRecordBytes)
	return ment[L, P]{}, false
}

// alive appends one entry after a recovery, syncs it and reads it back.
func (r *runner[L, P, V, U]) alive() {
	e, ok := r.aliveEntry(r.cur(), uint64(r.res.Recoveries))
	if !ok {
		return
	}
	i := r.ts.t.Index(e.e.ID)
	r.writeAppend(OpOf[L, P, V, U]{Kind: OpAppend, Entries: []raftlog.Entry[L, P]{e.e}}, []ment[L, P]{e})
	if r.v == nil {
		r.sync()
	}
	if r.v == nil {
		r.read(i, i+1)
	}
}

// aliveOnCopy opens a copy of the recovered disk, appends, syncs and reads
// back there.
func (r *runner[L, P, V, U]) aliveOnCopy() {
	cp := r.mem.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess)
	cfg := r.cfg
	cfg.FS = cp
	l, err := r.openLog(cfg)
	if err != nil {
		r.fail("alive: opening a copy of the recovered disk: %v", err)
		return
	}
	defer l.Close()
	e, ok := r.aliveEntry(r.cur(), uint64(r.res.Recoveries))
	if !ok {
		return
	}
	i := r.ts.t.Index(e.e.ID)
	if _, err := l.Append(e.e); err != nil {
		r.fail("alive: append on a copy: %v", err)
		return
	}
	if err := l.Sync(); err != nil {
		r.fail("alive: sync on a copy: %v", err)
		return
	}
	for got, err := range l.Read(i, i+1) {
		if g := r.ts.entry(got); err != nil || g.id != e.id || g.p != e.p {
			r.fail("alive: read back on a copy: %v %v %s", err, got.ID, quoted(got.Payload))
		}
	}
	r.logf("alive on a copy: appended, synced and read %v", e.e.ID)
}
