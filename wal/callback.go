package wal

import (
	"bytes"
	"runtime"
	"strconv"
	"sync/atomic"
)

// callbackGoroutine tracks the goroutine that is running flush callbacks,
// so that a call from inside a callback that would wait for the flush
// worker (which is busy running that very callback) fails at once with
// ErrInCallback instead of waiting forever.
type callbackGoroutine struct {
	id atomic.Uint64 // 0 when no callback runs
}

// enter and leave bracket the callbacks of one worker round.
func (c *callbackGoroutine) enter() { c.id.Store(goroutineID()) }
func (c *callbackGoroutine) leave() { c.id.Store(0) }

// current reports whether the calling goroutine is running a callback. It
// costs a stack read only while callbacks run.
func (c *callbackGoroutine) current() bool {
	id := c.id.Load()
	return id != 0 && id == goroutineID()
}

// goroutineID is the calling goroutine's id, read from the first line of
// its stack trace ("goroutine 123 [running]:"). The runtime offers no other
// way; it is used only to tell the worker's own goroutine from others.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

// InCallback reports whether the calling goroutine is running one of this
// WAL's flush callbacks: Sync, WaitIdle, Step and Close would then fail with
// ErrInCallback (or, for Step, do nothing).
func (w *WAL[R]) InCallback() bool { return w.inCallback.current() }
