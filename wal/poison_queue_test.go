package wal

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
)

// TestPoisonAnswersFlushesQueuedDuringTheRound: flushes queued while a round
// does the I/O that poisons the WAL were accepted (Flush returned nil), so
// each callback is owed exactly one answer, the poisoning error, in request
// order. With a ManualWorker they were left in the queue, and WaitIdle,
// Sync and Close returned the poisoning error at once without a round: the
// callbacks never ran. Each fault is met by a Sync, and each way of going on
// from there (another Step, WaitIdle, Sync, Close) is tried in both worker
// modes.
func TestPoisonAnswersFlushesQueuedDuringTheRound(t *testing.T) {
	faults := []struct {
		name  string
		rule  faultinject.Rule
		fresh bool // the faulted call is the first chunk's creation
	}{
		{"fsync EIO", faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Err: syscall.EIO}, false},
		{"write ENOSPC", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Err: syscall.ENOSPC}, false},
		{"short write", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", ShortWrite: 1}, false},
		{"directory sync on create", faultinject.Rule{Op: faultinject.OpSyncDir, Err: syscall.EIO}, true},
	}
	nexts := []struct {
		name   string
		manual bool // only with a ManualWorker
		next   func(w *WAL[string]) error
	}{
		{"Step", true, func(w *WAL[string]) error { w.Step(); return w.Err() }},
		{"WaitIdle", false, (*WAL[string]).WaitIdle},
		{"Sync", false, (*WAL[string]).Sync},
		{"Close", false, (*WAL[string]).Close},
	}
	for _, manual := range []bool{true, false} {
		for _, f := range faults {
			for _, n := range nexts {
				if n.manual && !manual {
					continue
				}
				t.Run(fmt.Sprintf("manual=%v/%s/%s", manual, f.name, n.name), func(t *testing.T) {
					var (
						mu    sync.Mutex
						got   []string
						l     *testLog
						fired bool
					)
					answer := func(name string) func(error) {
						return func(err error) {
							mu.Lock()
							defer mu.Unlock()
							got = append(got, fmt.Sprintf("%s: %v", name, errors.Is(err, ErrPoisoned)))
						}
					}
					// The fault's delay is where the round is, mid-I/O,
					// when the other requests arrive.
					sleep := func(time.Duration) {
						if fired {
							return
						}
						fired = true
						l.append("c")
						for i, sync := range []bool{true, false, true} {
							if err := l.w.Flush(sync, answer(fmt.Sprint("flush ", i))); err != nil {
								t.Errorf("Flush during the round, before the fault: %v", err)
							}
						}
					}
					ffs := faultinject.New(fs.NewMem(), faultinject.Options{Seed: 1, Sleep: sleep})
					l = openTest(t, ffs, Config{ManualWorker: manual})
					l.append("a")
					if !f.fresh {
						l.sync()
					}
					l.append("b")
					rule := f.rule
					rule.Times, rule.Latency = 1, time.Nanosecond
					ffs.Add(rule)
					if err := l.w.Sync(); !errors.Is(err, ErrPoisoned) {
						t.Fatalf("Sync meeting the fault: %v, want ErrPoisoned", err)
					}
					if !fired {
						t.Fatal("the fault's delay never ran: the test queued nothing")
					}
					if err := n.next(l.w); !errors.Is(err, ErrPoisoned) {
						t.Errorf("%s after the fault: %v, want ErrPoisoned", n.name, err)
					}
					want := []string{"flush 0: true", "flush 1: true", "flush 2: true"}
					mu.Lock()
					if strings.Join(got, "; ") != strings.Join(want, "; ") {
						t.Errorf("callbacks after %s: %q, want %q", n.name, got, want)
					}
					mu.Unlock()
					if err := l.w.Flush(true, answer("refused")); !errors.Is(err, ErrPoisoned) && !errors.Is(err, ErrClosed) {
						t.Errorf("Flush on the poisoned WAL: %v, want it refused", err)
					}
					if err := l.w.Close(); err == nil {
						t.Error("Close of the poisoned WAL returned nil")
					}
					mu.Lock()
					defer mu.Unlock()
					if len(got) != len(want) {
						t.Errorf("callbacks after Close: %q, want each of %q exactly once", got, want)
					}
				})
			}
		}
	}
}

// TestWaitIdleWaitsForThePoisoningRoundsCallbacks: WaitIdle on a WAL that is
// already poisoned still waits for the callbacks queued before it, which the
// round that poisoned it may be running: it returned the poisoning error at
// once, while a callback queued before it had not returned. The round's
// callback blocks until WaitIdle is seen parked, or sees it return.
func TestWaitIdleWaitsForThePoisoningRoundsCallbacks(t *testing.T) {
	for _, manual := range []bool{true, false} {
		t.Run(fmt.Sprintf("manual=%v", manual), func(t *testing.T) {
			ffs := faultinject.New(fs.NewMem(), faultinject.Options{Seed: 1})
			l := openTest(t, ffs, Config{ManualWorker: manual})
			l.append("a")
			l.sync()
			ffs.Add(faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Times: 1})
			l.append("b")

			entered, release := make(chan struct{}), make(chan struct{})
			idle, idleDone := make(chan error, 1), make(chan struct{})
			early := make(chan bool, 1)
			if err := l.w.Flush(true, func(err error) {
				if !errors.Is(err, ErrPoisoned) {
					t.Errorf("the callback got %v, want ErrPoisoned", err)
				}
				close(entered)
				select {
				case <-release:
					early <- false
				case <-idleDone:
					early <- true
				}
			}); err != nil {
				t.Fatal(err)
			}
			stepped := make(chan struct{})
			go func() {
				defer close(stepped)
				if manual {
					l.w.Step()
				} else if err := l.w.Sync(); !errors.Is(err, ErrPoisoned) {
					t.Errorf("Sync meeting the fault: %v", err)
				}
			}()
			<-entered // the WAL is poisoned and the round is in the callback
			go func() {
				idle <- l.w.WaitIdle()
				close(idleDone)
			}()
			waitParked(idleDone, "wal.(*WAL[...]).WaitIdle", "sync.(*Mutex).Lock")
			close(release)
			if <-early {
				t.Error("WaitIdle returned while a callback queued before it was still running")
			}
			<-stepped
			if err := <-idle; !errors.Is(err, ErrPoisoned) {
				t.Errorf("WaitIdle: %v, want ErrPoisoned", err)
			}
			if err := l.w.Close(); !errors.Is(err, ErrPoisoned) {
				t.Errorf("Close: %v, want ErrPoisoned", err)
			}
		})
	}
}

// waitParked returns once some goroutine's stack holds every one of
// frames (the call it waits for is parked there), or once done is closed
// (that call returned instead). It polls the goroutine dump, yielding
// between looks; it never sleeps.
func waitParked(done <-chan struct{}, frames ...string) {
	buf := make([]byte, 1<<20)
	for {
		select {
		case <-done:
			return
		default:
		}
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			all := true
			for _, f := range frames {
				all = all && strings.Contains(g, f)
			}
			if all {
				return
			}
		}
		runtime.Gosched()
	}
}
