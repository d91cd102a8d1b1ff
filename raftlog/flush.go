package raftlog

// Flush hands everything written so far to the flush worker. With sync it is
// written and fsynced (one fsync serving every flush waiting meanwhile);
// without, only written. Then cb, if not nil, gets the result, in call
// order, from the flush round that served it: on the worker goroutine, or on
// the goroutine of a Sync, WaitIdle or Close that ran the round itself, or
// of the caller of Step (Config.ManualFlush). A nil result with sync means
// every operation before this Flush survives any crash. If Flush itself
// returns an error (closed, or poisoned by an earlier I/O failure), cb is
// not called; otherwise it is called exactly once, with the poisoning error
// if a round fails before one serves it.
//
// cb runs in a flush round: it should return quickly. Writers and Flush
// are fine in a callback; the calls that wait for the worker (Sync,
// WaitIdle, Dump, Step, Close of the same log) would wait for the callback
// itself, so from a callback they fail at once with ErrInCallback. A
// callback that panics ends the process, as any goroutine's panic does: the
// round it runs in may be on the worker goroutine.
func (l *Log[L, P, V, U]) Flush(sync bool, cb func(error)) error {
	if err := l.begin(); err != nil {
		return err
	}
	defer l.writeMu.Unlock()
	return l.wal.Flush(sync, cb)
}

// Sync flushes with sync and waits: when it returns nil, every operation
// before it is durable.
func (l *Log[L, P, V, U]) Sync() error {
	if err := l.begin(); err != nil {
		return err
	}
	l.writeMu.Unlock()
	return l.wal.Sync()
}

// WaitIdle waits until the flush worker has written everything written so
// far and run every callback queued before it (it does not sync). It returns
// the error that poisoned the log, if any, and never hangs.
func (l *Log[L, P, V, U]) WaitIdle() error {
	if err := l.begin(); err != nil {
		return err
	}
	l.writeMu.Unlock()
	return l.wal.WaitIdle()
}

// Step runs one round of the flush worker when the log was opened with
// Config.ManualFlush, and reports whether there was work. See wal.WAL.Step.
// From a flush callback it fails with ErrInCallback, after Close with
// ErrClosed.
func (l *Log[L, P, V, U]) Step() (bool, error) {
	if l.wal.InCallback() {
		return false, ErrInCallback
	}
	// Not held while stepping: the round's callbacks may write.
	if err := l.begin(); err != nil {
		return false, err
	}
	l.writeMu.Unlock()
	return l.wal.Step(), nil
}

// Err returns the error that poisoned the log, or nil.
func (l *Log[L, P, V, U]) Err() error { return l.wal.Err() }

// Close flushes with sync, stops the flush worker, closes the files and
// releases the directory lock. Every later call fails with ErrClosed. A
// poisoned log still releases its lock, and Close returns the poisoning
// error. A Close while another is under way waits for it and returns
// ErrClosed: whenever Close returns, the lock is released, so the log can
// be opened again. From a flush callback it fails with ErrInCallback.
func (l *Log[L, P, V, U]) Close() error {
	if l.wal.InCallback() {
		return ErrInCallback
	}
	l.writeMu.Lock()
	if l.closed {
		l.writeMu.Unlock()
		return l.wal.Close() // waits for the Close under way; ErrClosed
	}
	l.mu.Lock()
	l.closed = true
	l.idx.edits.Add(1) // a Read under way yields nothing more
	l.mu.Unlock()
	// Not holding writeMu while the WAL flushes: a flush callback that
	// writes must get ErrClosed, not wait for Close to finish.
	l.writeMu.Unlock()
	return l.wal.Close()
}
