package limit

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/raftlog/raftlog/bench/payload"
)

// runGroup runs a loop of l.Goroutines goroutines in file f, each taking
// the next of l.Ops iterations the way the matrix's concurrent rows call
// a store: under one mutex that keeps their order, it makes the
// iteration's payload of l.Bytes as the rows' harness makes an entry's (a
// new slice, filled from the index) and adds it to the round being
// gathered; then it waits until the round is durable. It is group commit
// with perfect batching and nothing else: it knows how many goroutines
// run, so the goroutine whose arrival completes the round (every
// goroutine still running is in it) writes the round's bytes at the
// file's next offset, fdatasyncs, and wakes the others itself, with no
// worker goroutine, no timer and no record format. A store can only
// estimate how many callers a round should wait for, so this is what G
// appenders can expect from this disk and this runtime in that pattern,
// not a strict bound (a store that gathered one round while the last
// one's fdatasync ran could pass it). Each iteration's latency runs from
// before the mutex to durability, as the rows measure theirs.
func runGroup(f *os.File, l Loop) (elapsed time.Duration, lat []time.Duration, rounds int, err error) {
	type round struct {
		done chan struct{}
		err  error
	}
	var (
		order   sync.Mutex // the callers' mutex: the order of iterations
		next    int
		mu      sync.Mutex // the round being gathered, below
		cur     = &round{done: make(chan struct{})}
		pending []byte
		spare   []byte
		off     int64
		joined  int // goroutines in cur
		active  = l.Goroutines
		fd      = int(f.Fd())
		wg      sync.WaitGroup
		errs    = make([]error, l.Goroutines)
	)
	lat = make([]time.Duration, l.Ops)
	// lead makes cur durable and wakes its goroutines; mu is held on
	// entry and released.
	lead := func() error {
		r, data, at := cur, pending, off
		cur, pending, spare = &round{done: make(chan struct{})}, spare[:0], data
		off += int64(len(data))
		joined = 0
		rounds++
		mu.Unlock()
		if _, err := unix.Pwrite(fd, data, at); err != nil {
			r.err = fmt.Errorf("write: %w", err)
		} else if err := unix.Fdatasync(fd); err != nil {
			r.err = fmt.Errorf("fdatasync: %w", err)
		}
		close(r.done)
		return r.err
	}
	start := time.Now()
	for g := range l.Goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := time.Now()
				order.Lock()
				if next >= l.Ops {
					order.Unlock()
					mu.Lock()
					active--
					if joined > 0 && joined == active {
						lead() // the others' round: they get its error
					} else {
						mu.Unlock()
					}
					return
				}
				i := next
				next++
				mu.Lock()
				pending = append(pending, payload.New(uint64(i)+1, l.Bytes)...)
				mu.Unlock()
				order.Unlock()

				mu.Lock()
				joined++
				if joined == active {
					errs[g] = lead()
				} else {
					r := cur
					mu.Unlock()
					<-r.done
					errs[g] = r.err
				}
				if errs[g] != nil {
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	elapsed = time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, nil, 0, err
		}
	}
	return elapsed, lat, rounds, nil
}
