package sim

import (
	"bytes"
	"fmt"
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
	l, err := raftlog.Open(r.dir, cfg)
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

// aliveOnCopy opens a copy of the recovered disk, appends, syncs and reads
// back there.
func (r *runner) aliveOnCopy() {
	cp := r.mem.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess)
	cfg := r.cfg
	cfg.FS = cp
	l, err := raftlog.Open(r.dir, cfg)
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
