package wal

import (
	"runtime"
	"testing"
	"time"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// queue adds a flush request the way Flush does, without waking the worker,
// so that the test alone decides when a round runs. It returns whether a
// gathering round will take the request.
func queue(w *WAL[string]) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	served, err := w.queueLocked(request{sync: true})
	if err != nil {
		panic(err)
	}
	return served
}

// gatherInBackground runs a round's gathering on another goroutine, as the
// worker would; the channel closes when the round would take the queue.
func gatherInBackground(w *WAL[string]) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		w.gather()
		close(done)
	}()
	return done
}

// TestGatherWaitsForTheLastRoundsSize: a round that follows one which
// served several requests does not start until as many are queued (group
// commit then serves nearly every waiter with one fsync), and one that
// follows a round of one request starts at once.
func TestGatherWaitsForTheLastRoundsSize(t *testing.T) {
	l := openTest(t, fs.NewMem(), Config{})
	w := l.w
	g := &w.gathering
	g.max = time.Hour // only the queue ends the wait
	g.fsync = time.Hour

	g.last = 3
	queue(w)
	done := gatherInBackground(w)
	queue(w)
	select {
	case <-done:
		t.Fatal("the round started with 2 requests queued; the last round served 3")
	default:
	}
	queue(w)
	<-done // the third request ends the wait
	w.mu.Lock()
	require.Len(t, w.reqs, 3)
	require.Zero(t, g.want, "no signal left armed")
	w.mu.Unlock()

	g.last = 1 // a lone appender's rounds never wait
	queue(w)
	w.gather()

	w.mu.Lock()
	w.reqs = w.reqs[:0]
	w.mu.Unlock()
	l.close()
}

// TestGatherNeverWaitsWithAManualWorker: a caller-driven worker's rounds
// are deterministic: no wait, whatever the last round served.
func TestGatherNeverWaitsWithAManualWorker(t *testing.T) {
	l := openTest(t, fs.NewMem(), Config{ManualWorker: true})
	g := &l.w.gathering
	g.max, g.fsync, g.last = time.Hour, time.Hour, 5
	queue(l.w)
	l.w.gather() // returns at once
	l.sync()
	l.close()
}

// TestGatherCountsTheRequestsQueuedDuringARound: the next round waits for
// the requests the last one served and for those that queued while its
// fsync ran, all of which come back together. Counting only the served
// ones kept G appenders split between two fsyncs for good: with 16
// appenders, 13.4 entries per fsync instead of 16.
func TestGatherCountsTheRequestsQueuedDuringARound(t *testing.T) {
	inFsync, release := make(chan struct{}), make(chan struct{})
	gate := faultinject.New(fs.NewMem(), faultinject.Options{Sleep: func(time.Duration) {
		inFsync <- struct{}{}
		<-release
	}})
	l := openTest(t, gate, Config{ManualWorker: true})
	w := l.w
	l.append("a", "b")
	gate.Add(faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Times: 1, Latency: time.Nanosecond})
	done := make(chan error)
	go func() { done <- w.Sync() }()
	<-inFsync // the round took one request and is in its fsync
	for range 3 {
		queue(w)
	}
	close(release)
	require.NoError(t, <-done)
	require.Equal(t, 4, w.gathering.last, "1 request served, 3 queued during the round")

	l.sync() // serves the 3 and the new one: 4 without a request queued meanwhile
	require.Equal(t, 4, w.gathering.last)
	l.close()
}

// TestARequestQueuedWhileARoundGathersIsItsOwn: a request queued while a
// round gathers is one that round takes, and queueLocked says so, so that
// Sync and Flush do not wake the worker for it (the worker would only wait
// for the round to end and find nothing left to do); one queued when no
// round gathers is not.
func TestARequestQueuedWhileARoundGathersIsItsOwn(t *testing.T) {
	l := openTest(t, fs.NewMem(), Config{})
	w := l.w
	g := &w.gathering
	g.max = time.Hour // only the queue ends the wait
	g.fsync = time.Hour
	g.last = 3
	require.False(t, queue(w), "no round is gathering")
	done := gatherInBackground(w)
	for {
		w.mu.Lock()
		waiting := g.want > 0
		w.mu.Unlock()
		if waiting {
			break
		}
		runtime.Gosched()
	}
	require.True(t, queue(w), "queued while the round gathers")
	require.True(t, queue(w), "queued while the round gathers, ending its wait")
	<-done
	require.False(t, queue(w), "queued once the round stopped gathering")

	w.mu.Lock()
	w.reqs = w.reqs[:0]
	w.mu.Unlock()
	g.last = 0 // Close's round must not gather
	l.close()
}
