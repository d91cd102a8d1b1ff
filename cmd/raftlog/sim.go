package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftlog/raftlog/sim"
)

// simulate runs a campaign of seeds over the available CPUs, printing a
// progress line every few seconds and a summary; the first violation stops
// it with a report that includes the replay command.
func simulate(args []string) error {
	fl := flag.NewFlagSet("sim", flag.ExitOnError)
	seeds := fl.Int("seeds", 1000, "number of seeds")
	ops := fl.Int("ops", 200, "operations per seed")
	first := fl.Uint64("seed", 1, "first seed")
	workers := fl.Int("j", runtime.GOMAXPROCS(0), "seeds run in parallel")
	fl.Parse(args)

	var (
		next                                         atomic.Uint64
		done, crashes, faults, fired, flips, recover atomic.Int64
		failed                                       atomic.Pointer[sim.Result]
		wg                                           sync.WaitGroup
	)
	next.Store(*first)
	end := *first + uint64(*seeds)
	start := time.Now()
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for failed.Load() == nil {
				s := next.Add(1) - 1
				if s >= end {
					return
				}
				res := sim.Run(sim.Config{Seed: s, Ops: *ops})
				crashes.Add(int64(res.Crashes))
				faults.Add(int64(res.Faults))
				fired.Add(int64(res.FaultsFired))
				flips.Add(int64(res.Flips))
				recover.Add(int64(res.Recoveries))
				done.Add(1)
				if res.Violation != nil {
					failed.CompareAndSwap(nil, &res)
				}
			}
		}()
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(os.Stderr, "%d/%d seeds, %.0f seeds/s, %d crashes, %d faults\n",
					n, *seeds, float64(n)/time.Since(start).Seconds(), crashes.Load(), faults.Load())
			}
		}
	}()
	wg.Wait()
	close(stop)
	el := time.Since(start)
	fmt.Printf("seeds %d (from %d), ops/seed %d, %v, %.0f seeds/s\n", done.Load(), *first, *ops, el.Round(time.Millisecond), float64(done.Load())/el.Seconds())
	fmt.Printf("crashes %d, recoveries %d, faults armed %d (struck %d), bit flips %d, violations %d\n",
		crashes.Load(), recover.Load(), faults.Load(), fired.Load(), flips.Load(), boolInt(failed.Load() != nil))
	if res := failed.Load(); res != nil {
		fmt.Println(sim.Report(*res, *ops))
		return fmt.Errorf("seed %d violates an invariant", res.Seed)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
