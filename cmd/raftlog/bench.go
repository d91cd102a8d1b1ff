package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/raftlog/raftlog/raftlog"
)

var benchAppendCommand = &command{
	name:    "bench append",
	summary: "appends and syncs on the real disk: entries/s, MB/s, fsyncs",
	about: `
Appends --n entries of --size bytes from each of --g goroutines sharing one
log, in batches of --batch entries, each batch followed by a Sync, and
reports entries/s, MB/s, the fsyncs and the group-commit factor (syncs per
fsync) and allocations per entry. Works in --dir, or in a temporary
directory it removes. Shows progress on a terminal.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		var o benchAppendOptions
		fl.StringVar(&o.dir, "dir", "", "log directory (default: a temporary one, removed at the end)")
		fl.IntVar(&o.size, "size", 128, "payload bytes")
		fl.IntVar(&o.batch, "batch", 64, "entries per Append+Sync")
		fl.IntVar(&o.n, "n", 100_000, "entries per goroutine")
		fl.IntVar(&o.g, "g", 1, "goroutines sharing the log, each appending a batch and syncing")
		return func(e *env, _ []string) error {
			if o.size < 0 || o.batch < 1 || o.n < 1 || o.g < 1 {
				return usagef("--size must be >= 0, --batch, --n and --g >= 1")
			}
			return benchAppend(e, o)
		}
	},
}

var benchOpenCommand = &command{
	name:    "bench open",
	summary: "the time and peak memory of Open on a large log",
	about: `
Builds a log of --entries entries of --size bytes in --dir if that directory
is empty, then opens it in a fresh process and reports the time, the index's
memory and the peak resident memory (Linux) of that Open. Shows progress on
a terminal while building.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		var o benchOpenOptions
		fl.StringVar(&o.dir, "dir", "", "log directory (required; built if empty)")
		fl.IntVar(&o.entries, "entries", 1_000_000, "entries to build when the directory is empty")
		fl.IntVar(&o.size, "size", 128, "payload bytes of built entries")
		return func(e *env, _ []string) error {
			if o.dir == "" {
				return usagef("--dir is required")
			}
			if o.entries < 1 || o.size < 0 {
				return usagef("--entries must be >= 1 and --size >= 0")
			}
			return benchOpen(e, o)
		}
	},
}

// benchOpenChildCommand is the fresh process of bench open.
var benchOpenChildCommand = &command{
	name:   "bench open-child",
	args:   "DIR",
	nargs:  1,
	hidden: true,
	about:  "Internal to bench open: opens DIR and reports the time and memory it took.",
	setup: func(*flag.FlagSet) func(*env, []string) error {
		return func(e *env, args []string) error { return benchOpenChild(e, args[0]) }
	},
}

type benchAppendOptions struct {
	dir               string
	size, batch, n, g int
}

func benchAppend(e *env, o benchAppendOptions) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "raftlog-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		return err
	}
	defer l.Close()
	next := uint64(1)
	if last, ok := l.State().Last.Get(); ok {
		next = last.Index + 1
	}
	first := next
	payload := make([]byte, o.size)
	perG := (o.n + o.batch - 1) / o.batch * o.batch
	bar := newProgress(int64(perG*o.g), "entries")
	var mu sync.Mutex // orders the indexes handed to concurrent appenders
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, o.g)
	for range o.g {
		wg.Go(func() {
			es := make([]raftlog.Entry[raftlog.LogID, []byte], o.batch)
			for done := 0; done < o.n; done += o.batch {
				mu.Lock()
				for i := range es {
					es[i] = raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: next}, Payload: payload}
					next++
				}
				_, err := l.Append(es...)
				mu.Unlock()
				if err == nil {
					err = l.Sync()
				}
				if err != nil {
					errs <- err
					return
				}
				bar.add(len(es))
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	runtime.ReadMemStats(&ms1)
	bar.done()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	total := float64(next - first)
	st := l.Stat().WAL.Flush
	fmt.Fprintf(e.stdout, "append: %d goroutines × %d entries of %d B in batches of %d: %.0f entries/s, %.1f MB/s, %d fsyncs (%.2f syncs per fsync), %.3f allocs/entry, %v\n",
		o.g, perG, o.size, o.batch, total/el.Seconds(), total*float64(o.size)/el.Seconds()/1e6,
		st.Fsyncs, st.RequestsPerFsync(), float64(ms1.Mallocs-ms0.Mallocs)/total, el.Round(time.Millisecond))
	return nil
}

type benchOpenOptions struct {
	dir           string
	entries, size int
}

func benchOpen(e *env, o benchOpenOptions) error {
	if names, _ := os.ReadDir(o.dir); len(names) == 0 {
		start := time.Now()
		if err := buildLog(o.dir, o.entries, o.size); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "built %d entries of %d B in %v\n", o.entries, o.size, time.Since(start).Round(time.Millisecond))
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "bench", "open-child", o.dir)
	cmd.Stdout, cmd.Stderr = e.stdout, e.stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return errReported // the child said why
		}
		return err
	}
	return nil
}

func buildLog(dir string, n, size int) error {
	l, err := raftlog.Open(dir, raftlog.Config{CacheMaxItems: -1})
	if err != nil {
		return err
	}
	bar := newProgress(int64(n), "entries")
	defer bar.done()
	payload := make([]byte, size)
	es := make([]raftlog.Entry[raftlog.LogID, []byte], 1024)
	for i := 0; i < n; i += len(es) {
		es = es[:min(len(es), n-i)]
		for j := range es {
			es[j] = raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: uint64(i + j + 1)}, Payload: payload}
		}
		if _, err := l.Append(es...); err != nil {
			l.Close()
			return err
		}
		if err := l.Flush(false, nil); err != nil {
			l.Close()
			return err
		}
		bar.add(len(es))
	}
	return l.Close()
}

// benchOpenChild opens the log in a fresh process so that its peak resident
// memory is the open's alone.
func benchOpenChild(e *env, dir string) error {
	start := time.Now()
	l, err := raftlog.Open(dir, raftlog.Config{CacheMaxItems: -1})
	if err != nil {
		return err
	}
	el := time.Since(start)
	s := l.Stat()
	fmt.Fprintf(e.stdout, "open: %d entries in %v (%.0f entries/s), index %d bytes (%.1f B/entry), peak RSS %s\n",
		s.End-s.First, el.Round(time.Millisecond), float64(s.End-s.First)/el.Seconds(),
		s.IndexBytes, float64(s.IndexBytes)/float64(max(s.End-s.First, 1)), peakRSS())
	return l.Close()
}

// peakRSS reads the process's high-water mark of resident memory (Linux).
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
