package wal

import "time"

// Group commit serves, with one fsync, every flush request queued when a
// round starts. Under a steady load of G goroutines that each append and
// Sync, the requests of a round are released together and come back
// together, a few microseconds apart: a round that starts at once takes
// only the first few of them, the rest wait a whole round more, and each
// fsync serves about G/2. So a round that follows one which served several
// requests first waits, briefly, for them to come back: until the queue
// holds as many requests as the last round served plus those that queued
// while it ran, or an fsync's time has passed, whichever comes first.
// Counting the ones that queued matters: a round that waits only for as
// many as it served starts when the stragglers of the last round and the
// first of its own are in, and leaves the rest to the next fsync, round
// after round (16 appenders on a 2-core VM: 13.4 entries per fsync, then
// 16.0 with both counted). A lone appender never waits (its last round
// served one request, and none queued), and neither does a caller-driven
// worker (ManualWorker), whose rounds must be deterministic.

// gatherState is the worker's memory for gathering. Worker-owned (under
// stepMu), but for want, which is under WAL.mu.
type gatherState struct {
	last  int           // requests the last round that fsynced served, plus those queued while it ran
	fsync time.Duration // moving average of fsync latency
	timer *time.Timer
	ready chan struct{} // made by Open; signalled when the queue reaches want
	max   time.Duration // the longest wait; 0 means maxGather (tests set it)
	want  int           // under WAL.mu: the queue length to signal at, or 0
}

// The wait is the moving average of fsync latency, kept within these.
const (
	minGather = 20 * time.Microsecond
	maxGather = time.Millisecond
)

// gather waits, before a round takes the queue, until as many requests are
// queued as the last round served, bounded in time (see above).
func (w *WAL[R]) gather() {
	g := &w.gathering
	want := g.last
	if want < 2 || w.cfg.ManualWorker {
		return
	}
	w.mu.Lock()
	n := len(w.reqs)
	if n == 0 || n >= want || w.failed != nil {
		w.mu.Unlock()
		return
	}
	g.want = want
	w.mu.Unlock()
	if g.timer == nil {
		g.timer = time.NewTimer(time.Hour)
	}
	limit := g.max
	if limit == 0 {
		limit = maxGather
	}
	g.timer.Reset(min(max(g.fsync, minGather), limit))
	select {
	case <-g.ready:
	case <-g.timer.C:
	}
	g.timer.Stop()
	w.mu.Lock()
	g.want = 0
	w.mu.Unlock()
	select {
	case <-g.ready: // a signal that raced the timer
	default:
	}
}

// gathered is called with WAL.mu held after a request is queued: it wakes a
// gathering round once the queue is long enough, and reports whether a
// round is gathering, which will take the request with the queue.
func (w *WAL[R]) gathered() bool {
	g := &w.gathering
	if g.want == 0 {
		return false
	}
	if len(w.reqs) >= g.want {
		g.want = 0
		select {
		case g.ready <- struct{}{}:
		default:
		}
	}
	return true
}

// roundServed records what a round did, for the next one's gathering: it
// served requests, and queued more arrived while it ran. Called with WAL.mu
// held, before the round wakes its waiters.
func (w *WAL[R]) roundServed(requests, queued int, synced bool, fsync time.Duration) {
	g := &w.gathering
	if !synced {
		return
	}
	g.last = requests + queued
	if fsync > 0 {
		if g.fsync == 0 {
			g.fsync = fsync
		} else {
			g.fsync += (fsync - g.fsync) / 8
		}
	}
}
