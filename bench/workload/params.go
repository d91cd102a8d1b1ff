// Package workload is the child side of the benchmark: one process runs one
// workload against one store and prints a Result as JSON, so that the parent
// can read the process's peak resident memory from its rusage and nothing of
// another store's run stays in memory.
package workload

import (
	"flag"
	"fmt"
	"time"
)

// The workloads a child can run.
const (
	// Append appends N entries of Size bytes in batches of Batch, each
	// batch made durable before the next, from Goroutines goroutines that
	// keep index order under one mutex.
	Append = "append"
	// Reopen opens a log of N entries (built by an Append run) and times
	// the open.
	Reopen = "reopen"
	// SeqRead opens a log of N entries and times a read of all of them in
	// order.
	SeqRead = "seqread"
	// RandRead times an open of a log of N entries and then Reads reads of
	// uniformly random indexes.
	RandRead = "randread"
	// Purge opens a log of N entries, times a purge of the first half and
	// then a truncation of the last tenth.
	Purge = "purge"
)

// Params describe one child run.
type Params struct {
	Workload   string
	Dir        string        // the store's directory
	N          uint64        // entries to append, or entries in the log read
	Size       int           // payload bytes
	Batch      int           // entries per durable append
	Goroutines int           // concurrent appenders
	Reads      int           // random reads
	Seed       uint64        // of the random read indexes
	MaxTime    time.Duration // ends an Append or random-read run early (0: never)
}

// Flags registers the parameters on fs.
func (p *Params) Flags(fs *flag.FlagSet) {
	fs.StringVar(&p.Workload, "workload", Append, "append, reopen, seqread, randread or purge")
	fs.StringVar(&p.Dir, "dir", "", "the store's directory (required)")
	fs.Uint64Var(&p.N, "n", 1000, "entries to append, or entries in the log read")
	fs.IntVar(&p.Size, "size", 128, "payload bytes")
	fs.IntVar(&p.Batch, "batch", 1, "entries per durable append")
	fs.IntVar(&p.Goroutines, "g", 1, "concurrent appenders")
	fs.IntVar(&p.Reads, "reads", 1000, "random reads")
	fs.Uint64Var(&p.Seed, "seed", 1, "seed of the random read indexes")
	fs.DurationVar(&p.MaxTime, "max-time", 0, "end an append or random-read run after this long (0: never)")
}

// Args renders p as the flags Flags parses.
func (p Params) Args() []string {
	return []string{
		"-workload", p.Workload, "-dir", p.Dir,
		"-n", fmt.Sprint(p.N), "-size", fmt.Sprint(p.Size), "-batch", fmt.Sprint(p.Batch),
		"-g", fmt.Sprint(p.Goroutines), "-reads", fmt.Sprint(p.Reads),
		"-seed", fmt.Sprint(p.Seed), "-max-time", p.MaxTime.String(),
	}
}

// ParamError says which parameter is invalid and why.
type ParamError struct {
	Param, Why string
}

func (e *ParamError) Error() string { return fmt.Sprintf("workload: -%s: %s", e.Param, e.Why) }

// Validate returns a *ParamError for parameters no workload can run with.
func (p Params) Validate() error {
	switch {
	case p.Dir == "":
		return &ParamError{"dir", "required"}
	case p.N == 0:
		return &ParamError{"n", "must be positive"}
	case p.Size < 1:
		return &ParamError{"size", "must be positive"}
	case p.Batch < 1:
		return &ParamError{"batch", "must be positive"}
	case p.Goroutines < 1:
		return &ParamError{"g", "must be positive"}
	case p.Reads < 1:
		return &ParamError{"reads", "must be positive"}
	case p.Workload == Purge && p.N < 20:
		return &ParamError{"n", "a purge run needs at least 20 entries"}
	}
	switch p.Workload {
	case Append, Reopen, SeqRead, RandRead, Purge:
		return nil
	}
	return &ParamError{"workload", fmt.Sprintf("unknown %q", p.Workload)}
}
