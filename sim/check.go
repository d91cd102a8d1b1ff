package sim

import (
	"errors"
	"fmt"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// write runs a writer: the log must accept exactly what the model accepts,
// and reject the rest with the model's error, changing nothing.
func (r *runner[L, P, V, U]) write(op OpOf[L, P, V, U], do func() error, apply func(*model[L, P, V, U]) outcome) {
	m := r.cur().clone()
	want := apply(m)
	if r.writeOutcome(op, want, do()) && !want.noop {
		r.hist = append(r.hist, m)
	}
	r.checkState(op)
}

// writeAppend runs an Append of es. A batch is accepted whole but written
// one record per entry, so a crash may keep any prefix of it: each entry is
// a step of the history.
func (r *runner[L, P, V, U]) writeAppend(op OpOf[L, P, V, U], es []ment[L, P]) {
	want := r.cur().clone().appendEntries(es, r.cfg.MaxRecordBytes)
	_, err := r.l.Append(op.Entries...)
	if r.writeOutcome(op, want, err) {
		m := r.cur().clone()
		for _, e := range es {
			m.appendEntries([]ment[L, P]{e}, 0)
			r.hist = append(r.hist, m)
			m = m.clone()
		}
	}
	r.checkState(op)
}

// writeOutcome checks a writer's error against the model's outcome and
// reports whether the operation was accepted.
func (r *runner[L, P, V, U]) writeOutcome(op OpOf[L, P, V, U], want outcome, err error) bool {
	expect := want.err
	if r.poisoned { // before any rule: the state holds the writes that failed
		expect = raftlog.ErrPoisoned
	}
	r.logf("%v -> %v", op, errText(err))
	switch {
	case expect == nil && err != nil:
		r.fail("the log refused a valid operation: %v", err)
	case expect != nil && !errors.Is(err, expect):
		r.fail("want an error matching %q (%s), got %v", expect, want.why, err)
	}
	return err == nil && r.v == nil
}

// checkState: the log's in-memory state must follow the model between
// recoveries too, rejected operations included.
func (r *runner[L, P, V, U]) checkState(op OpOf[L, P, V, U]) {
	if r.v == nil && r.ts.stateKey(r.l.State()) != r.cur().stateKey() {
		r.fail("after %v the log's state is %v, the model's %v", op, r.l.State(), r.cur().st)
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func (r *runner[L, P, V, U]) flush(sync bool) {
	j, epoch := len(r.hist)-1, r.epoch
	called := false
	err := r.l.Flush(sync, func(err error) {
		if called {
			r.fail("the callback of the Flush at %d was called twice", j)
		}
		called = true
		r.acked(epoch, j, sync, err)
	})
	r.logf("Flush(sync=%v) -> %v", sync, errText(err))
	if r.poisoned != (err != nil) {
		r.fail("Flush returned %v on a log that is poisoned=%v", err, r.poisoned)
	}
	if err == nil {
		if r.owedIn != epoch {
			r.owed, r.owedIn = 0, epoch
		}
		r.owed++
	}
}

// checkAnswered: when Close returns, with or without an error, every Flush
// it accepted has had its callback, exactly once (Flush promises it).
func (r *runner[L, P, V, U]) checkAnswered() {
	if r.owedIn == r.epoch && r.owed > 0 {
		r.fail("Close returned with %d accepted Flush callbacks never called", r.owed)
	}
}

// acked is a flush callback: a nil result with sync makes hist[j] durable.
func (r *runner[L, P, V, U]) acked(epoch, j int, sync bool, err error) {
	if epoch != r.epoch {
		return
	}
	r.owed--
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

func (r *runner[L, P, V, U]) sync() {
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
func (r *runner[L, P, V, U]) afterIO(what string) {
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

func (r *runner[L, P, V, U]) checkIOErr(what string, err error) {
	if err != nil && !errors.Is(err, faultinject.ErrInjected) && !errors.Is(err, fs.ErrHalted) {
		r.fail("%s: an I/O error nobody injected: %v", what, err)
	}
}

func (r *runner[L, P, V, U]) read(from, to uint64) {
	want, wantErr := r.cur().readRange(from, to)
	var got []raftlog.Entry[L, P]
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
	case wantErr == nil && !sameEntries(r.ts.entries(got), want):
		r.fail("Read(%d, %d): got %s, want %s", from, to, entriesString(r.ts.entries(got)), entriesString(want))
	}
}

func entriesString[L, P any](es []ment[L, P]) string {
	if len(es) > 6 {
		return fmt.Sprintf("%d entries %v..%v", len(es), es[0].e.ID, es[len(es)-1].e.ID)
	}
	s := "["
	for i, e := range es {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%v=%s", e.e.ID, quoted(e.e.Payload))
	}
	return s + "]"
}
