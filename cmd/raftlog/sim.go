package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

var simCommand = &command{
	name:    "sim",
	summary: "run a crash-simulation campaign over many seeds",
	about: `
Runs the deterministic crash simulator on seeds [--seed, --seed+--seeds),
--j at a time, over the default types or (--types json) a user-style type
set stored through codec.JSON (package sim/simjson), and prints a summary
table: seeds, crashes by mode, I/O faults by kind, bit flips, files damaged
at rest, codec checks and violations; --json prints it as one JSON object
instead. The first seed that violates an invariant stops the campaign with
a report: the violation, a one-line command that replays that seed, and a
shrunk list of operations that still fails; the exit status is then 1.
--trace prints every operation and outcome (use it with --seeds 1). Shows
progress on a terminal.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		var o simOptions
		fl.IntVar(&o.seeds, "seeds", 1000, "number of seeds")
		fl.IntVar(&o.ops, "ops", 200, "operations per seed")
		fl.Uint64Var(&o.first, "seed", 1, "first seed")
		fl.IntVar(&o.workers, "j", runtime.GOMAXPROCS(0), "seeds run in parallel")
		fl.StringVar(&o.types, "types", "default", "type set: default (LogID, []byte, Vote, []byte) or json (sim/simjson)")
		fl.BoolVar(&o.json, "json", false, "print the summary as JSON")
		fl.BoolVar(&o.trace, "trace", false, "print each seed's operations and outcomes")
		return func(e *env, _ []string) error {
			if o.seeds < 0 || o.ops < 1 || o.workers < 1 {
				return usagef("--seeds must be >= 0, --ops and --j >= 1")
			}
			switch o.types {
			case "default":
				return campaign(e, o, sim.Default)
			case "json":
				s, err := sim.New(simjson.Types, simjson.Gen)
				if err != nil {
					return err
				}
				return campaign(e, o, s)
			}
			return usagef("--types must be default or json, got %q", o.types)
		}
	},
}

type simOptions struct {
	seeds, ops, workers int
	first               uint64
	types               string
	json, trace         bool
}

// simSummary is what a campaign did and found; --json prints it.
type simSummary struct {
	Types         string           `json:"types"`
	FirstSeed     uint64           `json:"first_seed"`
	Seeds         int              `json:"seeds"`
	OpsPerSeed    int              `json:"ops_per_seed"`
	Seconds       float64          `json:"seconds"`
	Crashes       int              `json:"crashes"`
	CrashesByMode map[string]int   `json:"crashes_by_mode"`
	Recoveries    int              `json:"recoveries"`
	Reconfigured  int              `json:"recoveries_with_new_options"`
	FaultsArmed   int              `json:"faults_armed"`
	FaultsStruck  int              `json:"faults_struck"`
	FaultsByKind  map[string]int   `json:"faults_by_kind"`
	BitFlips      int              `json:"bit_flips"`
	Damaged       int              `json:"files_damaged"`
	Repaired      int              `json:"logs_repaired"`
	KeptStart     int              `json:"logs_repaired_keeping_start"`
	CodecChecks   int              `json:"codec_checks"`
	Violations    int              `json:"violations"`
	Violation     *simViolationOut `json:"violation,omitempty"`
}

// simViolationOut is the first violation: where, what, how to replay it
// and the shrunk operations that still fail.
type simViolationOut struct {
	Seed   uint64   `json:"seed"`
	Step   int      `json:"step"`
	Op     string   `json:"op"`
	What   string   `json:"what"`
	Replay string   `json:"replay"`
	Shrunk []string `json:"shrunk_ops"`
	Report string   `json:"report"`
}

// add counts one seed's result.
func (s *simSummary) add(crashes map[fs.CrashMode]int, faults map[string]int, n [11]int) {
	s.Seeds++
	for m, c := range crashes {
		s.CrashesByMode[m.String()] += c
	}
	for k, c := range faults {
		s.FaultsByKind[k] += c
	}
	s.Crashes += n[0]
	s.Recoveries += n[1]
	s.FaultsArmed += n[2]
	s.FaultsStruck += n[3]
	s.BitFlips += n[4]
	s.Damaged += n[5]
	s.Repaired += n[6]
	s.CodecChecks += n[7]
	s.Reconfigured += n[8]
	s.Violations += n[9]
	s.KeptStart += n[10]
}

// campaign runs the seeds over o.workers goroutines with simulator s.
func campaign[L, P, V, U any](e *env, o simOptions, s *sim.Sim[L, P, V, U]) error {
	var (
		next   atomic.Uint64
		mu     sync.Mutex // guards sum, failed and the trace output
		failed *sim.ResultOf[L, P, V, U]
		wg     sync.WaitGroup
	)
	sum := simSummary{Types: o.types, FirstSeed: o.first, OpsPerSeed: o.ops,
		CrashesByMode: map[string]int{}, FaultsByKind: map[string]int{}}
	next.Store(o.first)
	end := o.first + uint64(o.seeds)
	bar := newProgress(int64(o.seeds), "seeds")
	start := time.Now()
	for range o.workers {
		wg.Go(func() {
			for {
				mu.Lock()
				stop := failed != nil
				mu.Unlock()
				seed := next.Add(1) - 1
				if stop || seed >= end {
					return
				}
				var trace strings.Builder
				cfg := sim.Config{Seed: seed, Ops: o.ops}
				if o.trace {
					cfg.Trace = &trace
				}
				res := s.Run(cfg)
				bad := 0
				if res.Violation != nil {
					bad = 1
				}
				mu.Lock()
				if o.trace {
					fmt.Fprintf(e.stdout, "seed %d:\n%s", seed, trace.String())
				}
				sum.add(res.CrashesByMode, res.FaultsByKind, [11]int{res.Crashes, res.Recoveries, res.Faults,
					res.FaultsFired, res.Flips, res.Damages, res.Repairs, res.CodecChecks, res.Reconfigured, bad, res.KeptStart})
				if res.Violation != nil && (failed == nil || res.Seed < failed.Seed) {
					failed = &res
				}
				mu.Unlock()
				bar.add(1)
			}
		})
	}
	wg.Wait()
	bar.done()
	sum.Seconds = time.Since(start).Seconds()
	if failed != nil {
		replay := fmt.Sprintf("go run -C cmd/raftlog . sim --types %s --seed %d --seeds 1 --ops %d --trace", o.types, failed.Seed, o.ops)
		report := s.Report(*failed, replay)
		v := &simViolationOut{Seed: failed.Seed, Step: failed.Violation.Step, Op: failed.Violation.Op,
			What: failed.Violation.What, Replay: replay, Report: report}
		for _, op := range s.Shrink(failed.Seed, failed.Ops, 400) {
			v.Shrunk = append(v.Shrunk, op.String())
		}
		sum.Violation = v
	}
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			return err
		}
	} else {
		printSummary(e.stdout, sum)
		if sum.Violation != nil {
			fmt.Fprintln(e.stdout)
			fmt.Fprint(e.stdout, sum.Violation.Report)
		}
	}
	if sum.Violation != nil {
		fmt.Fprintf(e.stderr, "raftlog sim: seed %d violates an invariant; replay: %s\n", sum.Violation.Seed, sum.Violation.Replay)
		return errReported
	}
	return nil
}

// printSummary prints the campaign's table.
func printSummary(w io.Writer, s simSummary) {
	rate := 0.0
	if s.Seconds > 0 {
		rate = float64(s.Seeds) / s.Seconds
	}
	fmt.Fprintf(w, "seeds %d (from %d), ops/seed %d, types %s, %.1fs, %.0f seeds/s\n\n",
		s.Seeds, s.FirstSeed, s.OpsPerSeed, s.Types, s.Seconds, rate)
	// Labels left, counts right-aligned in a column as wide as the largest.
	width := len(fmt.Sprint(max(s.Seeds, s.Recoveries, s.CodecChecks, s.Crashes, s.FaultsArmed)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(what string, n int) { fmt.Fprintf(tw, "%s\t%*d\n", what, width, n) }
	row("seeds", s.Seeds)
	row("crashes", s.Crashes)
	row("  process crash", s.CrashesByMode[fs.CrashProcess.String()])
	row("  power loss, ordered", s.CrashesByMode[fs.CrashOrdered.String()])
	row("  power loss, reordered", s.CrashesByMode[fs.CrashReordered.String()])
	row("recoveries", s.Recoveries)
	row("  with new options", s.Reconfigured)
	row("faults armed", s.FaultsArmed)
	for _, k := range slices.Sorted(maps.Keys(s.FaultsByKind)) {
		row("  "+k, s.FaultsByKind[k])
	}
	row("faults struck", s.FaultsStruck)
	row("bit flips", s.BitFlips)
	row("files damaged at rest", s.Damaged)
	row("  logs repaired", s.Repaired)
	row("    keeping the start", s.KeptStart)
	row("codec checks", s.CodecChecks)
	row("violations", s.Violations)
	tw.Flush()
}
