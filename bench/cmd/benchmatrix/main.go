// Command benchmatrix runs raftlog and its peers side by side and prints the
// Markdown table, with ratios to the best peer and to the disk's limit line:
//
//	go run ./cmd/benchmatrix                      # smoke scale, seconds
//	go run ./cmd/benchmatrix -scale full -json results.json > table.md
//	go run ./cmd/benchmatrix -scale full -plan    # the plan and its expected duration
//	go run ./cmd/benchmatrix -from results.json   # render a saved run again
//
// Run it from inside the bench module: it builds one child binary per store
// with the go command (or takes them from -bin). Progress goes to standard
// error, the table to standard output. The exit status is 1 if a run failed.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/raftlog/raftlog/bench/matrix"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchmatrix:", err)
		os.Exit(1)
	}
}

type flags struct {
	scale, rows, stores, dir, bin, strace, jsonOut, from, out string
	reps                                                      int
	fsyncs, plan, quiet, keep                                 bool
	single, batch64, batch64Big, log                          uint64
	reads                                                     int
	maxTime                                                   time.Duration
}

func parse() flags {
	var f flags
	flag.StringVar(&f.scale, "scale", "smoke", "smoke (seconds, for CI) or full (the published table)")
	flag.IntVar(&f.reps, "reps", 3, "repetitions; stores alternate within each")
	flag.StringVar(&f.rows, "rows", "all", "comma-separated rows: a128,a4k,b64,b64-4k,log,reopen,seqread,randread,purge,c4,c16")
	flag.StringVar(&f.stores, "stores", "all", "comma-separated stores besides raftlog: raft-wal,etcd-wal,tidwall-wal,raft-boltdb")
	flag.BoolVar(&f.fsyncs, "fsyncs", true, "count fsyncs in an untimed pass under strace")
	flag.StringVar(&f.strace, "strace", "strace", "the strace binary")
	flag.StringVar(&f.dir, "dir", "", "work directory on the disk under test (default: a new one under $TMPDIR)")
	flag.BoolVar(&f.keep, "keep", false, "keep the work directory")
	flag.StringVar(&f.bin, "bin", "", "directory of prebuilt child binaries (default: build them)")
	flag.StringVar(&f.jsonOut, "json", "", "also save every measurement to this JSON file")
	flag.StringVar(&f.from, "from", "", "render the report of a saved JSON file; run nothing")
	flag.StringVar(&f.out, "o", "", "also write the Markdown report to this file")
	flag.BoolVar(&f.plan, "plan", false, "run the limit line once, print the plan and its expected duration, and stop")
	flag.BoolVar(&f.quiet, "q", false, "no progress lines")
	flag.Uint64Var(&f.single, "single", 0, "override: entries of the 1-entry and concurrent rows")
	flag.Uint64Var(&f.batch64, "batch64", 0, "override: entries of the 128 B batches of 64")
	flag.Uint64Var(&f.batch64Big, "batch64-4k", 0, "override: entries of the 4 KiB batches of 64")
	flag.Uint64Var(&f.log, "log", 0, "override: entries of the log the read rows use")
	flag.IntVar(&f.reads, "reads", 0, "override: random reads")
	flag.DurationVar(&f.maxTime, "max-time", 0, "override: cap of one append run")
	flag.Parse()
	return f
}

func (f flags) scaleOf() (matrix.Scale, error) {
	sc, err := matrix.ScaleByName(f.scale)
	if err != nil {
		return sc, err
	}
	over := func(dst *uint64, v uint64) {
		if v > 0 {
			*dst = v
		}
	}
	over(&sc.Single, f.single)
	over(&sc.Batch64, f.batch64)
	over(&sc.Batch64Big, f.batch64Big)
	over(&sc.Log, f.log)
	if f.reads > 0 {
		sc.Reads = f.reads
	}
	if f.maxTime > 0 {
		sc.MaxTime = f.maxTime
	}
	if sc.Log < 20 {
		return sc, errors.New("-log: the purge row needs at least 20 entries")
	}
	return sc, nil
}

func run() error {
	f := parse()
	if f.from != "" {
		return render(f, nil)
	}
	cfg, cleanup, err := configure(f)
	if err != nil {
		return err
	}
	defer cleanup()
	if f.plan {
		return plan(cfg)
	}
	res, err := matrix.Execute(cfg)
	if err != nil {
		return err
	}
	if f.jsonOut != "" {
		b, err := json.MarshalIndent(res, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if err := render(f, res); err != nil {
		return err
	}
	if failed := res.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d run(s) failed, first: %s", len(failed), failed[0])
	}
	return nil
}

// configure builds the matrix's Config: the rows, the stores, the scale, the
// work directory and the children.
func configure(f flags) (matrix.Config, func(), error) {
	cfg := matrix.Config{Reps: f.reps, Trace: f.fsyncs && !f.plan, Runner: &matrix.Runner{}}
	var err error
	if cfg.Rows, err = matrix.SelectRows(f.rows); err != nil {
		return cfg, nil, err
	}
	if cfg.Stores, err = matrix.SelectStores(f.stores); err != nil {
		return cfg, nil, err
	}
	if cfg.Scale, err = f.scaleOf(); err != nil {
		return cfg, nil, err
	}
	if !f.quiet {
		cfg.Progress = os.Stderr
	}
	var cleanups []func()
	cleanup := func() {
		for _, c := range cleanups {
			c()
		}
	}
	cfg.WorkDir = f.dir
	if cfg.WorkDir == "" {
		if cfg.WorkDir, err = os.MkdirTemp("", "benchmatrix-"); err != nil {
			return cfg, nil, err
		}
	} else if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return cfg, nil, err
	}
	if !f.keep {
		dir := cfg.WorkDir
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	}
	cfg.Runner.BinDir = f.bin
	if f.bin == "" && !f.plan {
		cfg.Runner.BinDir = cfg.WorkDir + "/bin"
		if err := matrix.BuildChildren(cfg.Runner.BinDir); err != nil {
			cleanup()
			return cfg, nil, err
		}
	}
	if cfg.Trace {
		path, err := exec.LookPath(f.strace)
		if err == nil {
			err = cfg.Runner.UseStrace(path)
		}
		if err != nil {
			cleanup()
			return cfg, nil, fmt.Errorf("counting fsyncs needs strace (apt-get install strace, or -fsyncs=false): %w", err)
		}
	}
	return cfg, cleanup, nil
}

// plan prints what a run would do and how long it should take.
func plan(cfg matrix.Config) error {
	lr := matrix.MeasureLimits(cfg)
	if lr.Err != "" {
		return errors.New(lr.Err)
	}
	runs := 0
	for _, row := range cfg.Rows {
		for _, s := range cfg.Stores {
			if ok, _ := row.Supports(s); ok {
				runs++
			}
		}
	}
	cfg.Trace = true
	withTrace := matrix.Estimate(cfg, lr)
	cfg.Trace = false
	fmt.Printf("scale %s: %d rows × %d stores = %d child runs per repetition, %d repetitions\n",
		cfg.Scale.Name, len(cfg.Rows), len(cfg.Stores), runs, cfg.Reps)
	fmt.Printf("expected duration: %s, or %s with the traced fsync pass (model in matrix.Estimate; each append run capped at %s)\n",
		matrix.Estimate(cfg, lr).Round(time.Second), withTrace.Round(time.Second), cfg.Scale.MaxTime)
	return nil
}

// render writes the report of res, or of the saved file -from names.
func render(f flags, res *matrix.Results) error {
	if res == nil {
		b, err := os.ReadFile(f.from)
		if err != nil {
			return err
		}
		res = &matrix.Results{}
		if err := json.Unmarshal(b, res); err != nil {
			return fmt.Errorf("%s: %w", f.from, err)
		}
	}
	var w io.Writer = os.Stdout
	if f.out != "" {
		file, err := os.Create(f.out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = io.MultiWriter(os.Stdout, file)
	}
	return matrix.Render(w, res)
}
