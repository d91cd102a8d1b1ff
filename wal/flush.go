package wal

import "sync"

// Flush hands everything appended so far to the flush worker. With sync, the
// worker writes it and fsyncs (once for every flush request that arrived
// meanwhile); without, it only writes. Then it calls cb, if not nil, with
// the result, in request order, from the round that served it: on the
// worker goroutine, or on the goroutine of a Sync, WaitIdle or Close that
// ran the round itself (one that found no round under way, or the WAL
// poisoned), or of the caller of Step. A nil result with sync means every
// record appended before this Flush survives any crash.
//
// If Flush returns an error (closed, or poisoned by an earlier failure) cb is
// not called; otherwise it is called exactly once, with the poisoning error
// if a round fails before one serves it (the failing round answers it, even
// with a ManualWorker whose caller never steps again).
func (w *WAL[R]) Flush(sync bool, cb func(error)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	return w.enqueueLocked(request{sync: sync, cb: cb})
}

// enqueueLocked queues a flush request and wakes the worker, unless the
// WAL is poisoned or a gathering round will serve the request.
func (w *WAL[R]) enqueueLocked(r request) error {
	served, err := w.queueLocked(r)
	if err != nil {
		return err
	}
	if !served {
		w.kickWorker()
	}
	return nil
}

// queueLocked queues a flush request, unless the WAL is poisoned. It
// reports whether a round that is gathering (see gather) will take the
// request: then nobody need wake the worker for it.
func (w *WAL[R]) queueLocked(r request) (served bool, err error) {
	if w.failed != nil {
		return false, w.failed
	}
	w.reqs = append(w.reqs, r)
	return w.gathered(), nil
}

// Sync flushes with sync and waits for the result. From a flush callback it
// fails with ErrInCallback: it would wait for the worker running it.
func (w *WAL[R]) Sync() error { return w.flushWait(true, true) }

// WaitIdle waits until the worker has written everything appended so far and
// run every callback queued before it. It returns the worker's error if the
// WAL is poisoned (once the round that poisoned it has run its callbacks),
// ErrClosed if it is closed, ErrInCallback from a flush callback, and never
// hangs.
func (w *WAL[R]) WaitIdle() error { return w.flushWait(false, true) }

// flushWait queues a flush and waits for its result; public says whether a
// closed WAL refuses it (Close itself flushes after closing the door).
func (w *WAL[R]) flushWait(sync, public bool) error {
	if w.inCallback.current() {
		return ErrInCallback
	}
	wt := waiters.Get().(*waiter)
	defer waiters.Put(wt)
	w.mu.Lock()
	served, err := false, ErrClosed
	if !public || !w.closed {
		served, err = w.queueLocked(request{sync: sync, wt: wt})
	}
	w.mu.Unlock()
	if err != nil {
		if err != ErrClosed {
			// Poisoned: wait for the round under way, which may still be
			// running callbacks queued before this call, and answer any
			// request it left (with a ManualWorker, nobody else will).
			w.Step()
		}
		return err
	}
	switch {
	case w.cfg.ManualWorker:
		w.Step()
	case served:
		// A round gathering requests takes this one: under a steady
		// load of G appenders, G-1 of them queue while it gathers, and
		// waking the worker for each would only have it wait for
		// stepMu, then find its work done.
	case w.stepMu.TryLock():
		// No round is under way: run this one here rather than hand it
		// to the worker goroutine and wait to be handed the result
		// back. Requests queued meanwhile by others, who found stepMu
		// held, kicked the worker: it serves them once this round ends.
		// A Sync leaves chunk removals to the worker (see step).
		w.deferRemoval = sync && public
		w.step()
		w.deferRemoval = false
		w.stepMu.Unlock()
	default:
		w.kickWorker()
	}
	return <-wt.done
}

// waiter hands a round's result to a caller blocked in Sync, WaitIdle or
// Close. It is not a callback: handing it the result runs no caller code,
// so a round that serves only waiters need not track which goroutine runs
// callbacks. Pooled, so that Sync allocates nothing.
type waiter struct {
	done chan error // buffered: the round never blocks on it
}

var waiters = sync.Pool{New: func() any { return &waiter{done: make(chan error, 1)} }}

func (w *WAL[R]) kickWorker() {
	if w.cfg.ManualWorker {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}
