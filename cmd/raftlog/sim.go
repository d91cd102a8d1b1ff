package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftlog/raftlog/sim"
)

var simCommand = &command{
	name:    "sim",
	summary: "run a crash-simulation campaign over many seeds",
	about: `
Runs the deterministic crash simulator on seeds [--seed, --seed+--seeds),
--j at a time, and prints a summary. The first seed that violates an
invariant stops the campaign with a report that includes the command that
replays it; the exit status is then 1. Shows progress on a terminal.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		var o simOptions
		fl.IntVar(&o.seeds, "seeds", 1000, "number of seeds")
		fl.IntVar(&o.ops, "ops", 200, "operations per seed")
		fl.Uint64Var(&o.first, "seed", 1, "first seed")
		fl.IntVar(&o.workers, "j", runtime.GOMAXPROCS(0), "seeds run in parallel")
		return func(e *env, _ []string) error {
			if o.seeds < 0 || o.ops < 1 || o.workers < 1 {
				return usagef("--seeds must be >= 0, --ops and --j >= 1")
			}
			return simulate(e, o)
		}
	},
}

type simOptions struct {
	seeds, ops, workers int
	first               uint64
}

// simulate runs the campaign over o.workers goroutines.
func simulate(e *env, o simOptions) error {
	var (
		next                                         atomic.Uint64
		done, crashes, faults, fired, flips, recover atomic.Int64
		damages, repairs                             atomic.Int64
		failed                                       atomic.Pointer[sim.Result]
		wg                                           sync.WaitGroup
	)
	next.Store(o.first)
	end := o.first + uint64(o.seeds)
	bar := newProgress(int64(o.seeds), "seeds")
	start := time.Now()
	for range o.workers {
		wg.Go(func() {
			for failed.Load() == nil {
				s := next.Add(1) - 1
				if s >= end {
					return
				}
				res := sim.Run(sim.Config{Seed: s, Ops: o.ops})
				crashes.Add(int64(res.Crashes))
				faults.Add(int64(res.Faults))
				fired.Add(int64(res.FaultsFired))
				flips.Add(int64(res.Flips))
				recover.Add(int64(res.Recoveries))
				damages.Add(int64(res.Damages))
				repairs.Add(int64(res.Repairs))
				done.Add(1)
				bar.add(1)
				if res.Violation != nil {
					failed.CompareAndSwap(nil, &res)
				}
			}
		})
	}
	wg.Wait()
	bar.done()
	el := time.Since(start)
	fmt.Fprintf(e.stdout, "seeds %d (from %d), ops/seed %d, %v, %.0f seeds/s\n",
		done.Load(), o.first, o.ops, el.Round(time.Millisecond), float64(done.Load())/el.Seconds())
	violations := 0
	if failed.Load() != nil {
		violations = 1
	}
	fmt.Fprintf(e.stdout, "crashes %d, recoveries %d, faults armed %d (struck %d), bit flips %d, files damaged at rest %d (repaired %d), violations %d\n",
		crashes.Load(), recover.Load(), faults.Load(), fired.Load(), flips.Load(), damages.Load(), repairs.Load(), violations)
	if res := failed.Load(); res != nil {
		fmt.Fprintln(e.stdout, sim.Report(*res, o.ops))
		return fmt.Errorf("seed %d violates an invariant", res.Seed)
	}
	return nil
}
