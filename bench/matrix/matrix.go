package matrix

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/raftlog/raftlog/bench/limit"
	"github.com/raftlog/raftlog/bench/workload"
)

// Config is one run of the matrix.
type Config struct {
	Stores []Store
	Rows   []Row
	Scale  Scale
	// Reps is the repetitions; each runs every row for every store, the
	// stores' order rotated from one repetition to the next.
	Reps int
	// Trace adds an untimed pass under strace that counts the fsyncs of
	// each append and purge row.
	Trace   bool
	WorkDir string
	Runner  *Runner
	// Progress receives a line per child run; nil: silent.
	Progress io.Writer
}

// LimitRun is one repetition's limit line.
type LimitRun struct {
	Loops     []limit.Result
	Bandwidth float64 // 10^6 bytes per second, 1 MiB writes, one fdatasync
	Err       string  `json:",omitempty"`
}

// Results is everything a run measured, enough to render the report again
// (they are saved as JSON).
type Results struct {
	Machine  Machine
	Scale    Scale
	Reps     int
	Stores   []Store
	Versions map[string]string
	Rows     []string
	Started  time.Time
	Seconds  float64
	// Estimate is the duration predicted before the run, in seconds.
	Estimate float64
	Limits   []LimitRun
	// Beside holds, by row ID, the row's raw loop (Row.Limit) as measured
	// right before raftlog's run of the row, one per repetition (OpsPerSec
	// 0 where it failed): what the "of disk" figures divide by, so that the
	// disk's drift over a repetition does not enter them.
	Beside map[string][]limit.Result `json:",omitempty"`
	// Runs holds, by row ID and store, one run per repetition.
	Runs map[string]map[string][]Run
	// Traced holds, by row ID and store, the run under strace.
	Traced map[string]map[string]Run
	// Skipped says, by row ID and store, why a store has no such row.
	Skipped map[string]map[string]string
}

// Failed lists the runs that failed.
func (r *Results) Failed() []string {
	var out []string
	for _, id := range r.Rows {
		for _, s := range r.Stores {
			for _, run := range r.Runs[id][s.Name] {
				if run.Err != "" {
					out = append(out, run.Err)
				}
			}
			if t, ok := r.Traced[id][s.Name]; ok && t.Err != "" {
				out = append(out, "traced: "+t.Err)
			}
		}
	}
	return out
}

func put[T any](m map[string]map[string]T, row, store string, v T) {
	if m[row] == nil {
		m[row] = map[string]T{}
	}
	m[row][store] = v
}

// rotate returns the stores starting at the rep-th, so that no store always
// runs first or last.
func rotate(ss []Store, rep int) []Store {
	k := rep % len(ss)
	return append(append([]Store{}, ss[k:]...), ss[:k]...)
}

// Execute runs the matrix.
func Execute(cfg Config) (*Results, error) {
	if cfg.Reps < 1 || len(cfg.Stores) == 0 || len(cfg.Rows) == 0 {
		return nil, errors.New("matrix: nothing to run (need a repetition, a store and a row)")
	}
	res := &Results{
		Machine: Describe(cfg.WorkDir), Scale: cfg.Scale, Reps: cfg.Reps, Stores: cfg.Stores,
		Versions: map[string]string{}, Started: time.Now(),
		Runs: map[string]map[string][]Run{}, Traced: map[string]map[string]Run{}, Skipped: map[string]map[string]string{},
		Beside: map[string][]limit.Result{},
	}
	for _, r := range cfg.Rows {
		res.Rows = append(res.Rows, r.ID)
	}
	for _, s := range cfg.Stores {
		res.Versions[s.Name] = cfg.Runner.Version(s)
	}
	p := &progress{w: cfg.Progress, start: res.Started}
	if res.Machine.OnTmpfs {
		p.printf("warning: %s is on tmpfs, where fsync costs nothing: the figures mean nothing for a disk", cfg.WorkDir)
	}
	for rep := range cfg.Reps {
		lr := MeasureLimits(cfg)
		res.Limits = append(res.Limits, lr)
		p.printf("rep %d/%d  limit line: %s", rep+1, cfg.Reps, lr.brief())
		if rep == 0 {
			res.Estimate = Estimate(cfg, lr).Seconds()
			p.printf("expected duration of the whole run: about %s (model: matrix.Estimate)", fmtDuration(res.Estimate))
		}
		repStart := time.Now()
		runPass(cfg, res, rep, false, p)
		if rep == 0 && cfg.Reps > 1 {
			left := time.Since(repStart).Seconds() * float64(cfg.Reps-1)
			p.printf("repetition 1 took %s; about %s to go", fmtDuration(time.Since(repStart).Seconds()), fmtDuration(left))
		}
	}
	if cfg.Trace {
		p.printf("traced pass: counting fsyncs under strace (untimed)")
		runPass(cfg, res, 0, true, p)
	}
	res.Seconds = time.Since(res.Started).Seconds()
	p.printf("done in %s", fmtDuration(res.Seconds))
	return res, nil
}

// runPass runs every row for every store once: a timed repetition, or the
// traced pass, which runs only the rows whose fsyncs are counted.
func runPass(cfg Config, res *Results, rep int, traced bool, p *progress) {
	order := rotate(cfg.Stores, rep)
	passDir := filepath.Join(cfg.WorkDir, fmt.Sprintf("rep%d", rep+1))
	if traced {
		passDir = filepath.Join(cfg.WorkDir, "traced")
	}
	defer os.RemoveAll(passDir)
	logEntries := map[string]uint64{}
	for _, row := range cfg.Rows {
		if traced && row.Workload != workload.Append && row.Workload != workload.Purge {
			continue
		}
		for _, s := range order {
			if ok, why := row.Supports(s); !ok {
				put(res.Skipped, row.ID, s.Name, why)
				continue
			}
			logDir := filepath.Join(passDir, s.Name, LogRow)
			dir := logDir
			if !row.OnLog() && row.ID != LogRow {
				dir = filepath.Join(passDir, s.Name, row.ID)
			}
			if row.OnLog() && logEntries[s.Name] == 0 {
				run := Run{Err: fmt.Sprintf("%s %s: no log to read: its %q row failed", s.Name, row.ID, LogRow), Fsyncs: -1}
				record(res, row, s, run, traced)
				continue
			}
			if s.Name == Subject && row.Limit != nil && !traced {
				res.Beside[row.ID] = append(res.Beside[row.ID], measureBeside(cfg, row, rep, p))
			}
			run := cfg.Runner.Start(s, row.params(cfg.Scale, dir, logEntries[s.Name]), traced)
			record(res, row, s, run, traced)
			p.run(rep, cfg.Reps, traced, row, s, run)
			if row.ID == LogRow && run.Err == "" {
				logEntries[s.Name] = run.Entries
			}
			if dir != logDir {
				os.RemoveAll(dir)
			}
		}
	}
}

func record(res *Results, row Row, s Store, run Run, traced bool) {
	if traced {
		put(res.Traced, row.ID, s.Name, run)
		return
	}
	if res.Runs[row.ID] == nil {
		res.Runs[row.ID] = map[string][]Run{}
	}
	res.Runs[row.ID][s.Name] = append(res.Runs[row.ID][s.Name], run)
}

// measureBeside runs the row's raw loop (the limit line's loop of that kind
// and size) in the work directory, right before raftlog's run of the row.
func measureBeside(cfg Config, row Row, rep int, p *progress) limit.Result {
	l := *row.Limit
	for _, ll := range LimitLoops(cfg.Scale) {
		if ll.Same(l) {
			l = ll
		}
	}
	dir := filepath.Join(cfg.WorkDir, "beside")
	defer os.RemoveAll(dir)
	err := os.MkdirAll(dir, 0o755)
	res := limit.Result{Loop: l}
	if err == nil {
		res, err = limit.Run(dir, l)
	}
	if err != nil {
		p.printf("rep %d/%d  %-8s %-12s FAILED: %s: %v", rep+1, cfg.Reps, row.ID, "raw loop", l.Name(), err)
		return limit.Result{Loop: l}
	}
	p.printf("rep %d/%d  %-8s %-12s %s/s of %s, p50 %s", rep+1, cfg.Reps, row.ID, "raw loop",
		fmtRate(res.OpsPerSec), l.Name(), fmtNanos(float64(res.P50)))
	return res
}

// MeasureLimits runs the limit line in the work directory.
func MeasureLimits(cfg Config) LimitRun {
	var lr LimitRun
	dir := filepath.Join(cfg.WorkDir, "limit")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return LimitRun{Err: err.Error()}
	}
	defer os.RemoveAll(dir)
	for _, l := range LimitLoops(cfg.Scale) {
		r, err := limit.Run(dir, l)
		if err != nil {
			lr.Err = err.Error()
			return lr
		}
		lr.Loops = append(lr.Loops, r)
	}
	bw, err := limit.Bandwidth(dir, cfg.Scale.RawBytes, 1<<20)
	if err != nil {
		lr.Err = err.Error()
	}
	lr.Bandwidth = bw
	return lr
}

// find returns the loop's result, matched by all but its iterations.
func (lr LimitRun) find(l limit.Loop) (limit.Result, bool) {
	for _, r := range lr.Loops {
		if r.Loop.Same(l) {
			return r, true
		}
	}
	return limit.Result{}, false
}

func (lr LimitRun) brief() string {
	if lr.Err != "" {
		return "failed: " + lr.Err
	}
	r, _ := lr.find(limit.Loop{Kind: limit.Zeroed, Bytes: 128})
	return fmt.Sprintf("128 B + fdatasync (zero-filled) %.0f/s, p50 %s; sequential %.0f MB/s",
		r.OpsPerSec, fmtNanos(float64(r.P50)), lr.Bandwidth)
}

// progress prints one line per event with the time since the start.
type progress struct {
	w     io.Writer
	start time.Time
}

func (p *progress) printf(format string, args ...any) {
	if p.w == nil {
		return
	}
	el := time.Since(p.start).Round(time.Second)
	fmt.Fprintf(p.w, "[%8s] %s\n", el, fmt.Sprintf(format, args...))
}

func (p *progress) run(rep, reps int, traced bool, row Row, s Store, run Run) {
	pass := fmt.Sprintf("rep %d/%d", rep+1, reps)
	if traced {
		pass = "traced "
	}
	what := ""
	switch {
	case run.Err != "":
		what = "FAILED: " + run.Err
	case run.Unsupported != "":
		what = "n/a: " + run.Unsupported
	case traced:
		what = fmt.Sprintf("%d fsyncs in %d calls", run.Fsyncs, run.Ops)
	default:
		what = headline(row, run)
	}
	p.printf("%s  %-8s %-12s %s  (%.1f s)", pass, row.ID, s.Name, what, run.Wall)
}
