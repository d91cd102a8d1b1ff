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

// bench measures the log on the real file system:
//
//	raftlog bench append [-dir D] [-size 128] [-batch 64] [-n 100000] [-g 1]
//	raftlog bench open -dir D [-entries N] [-size 128]
//
// append reports entries/s, MB/s, fsyncs and allocations per entry; open
// builds a log of N entries in D if D is empty, then reopens it in a fresh
// process and reports the time and the peak resident memory of that open.
func bench(args []string) error {
	if len(args) == 0 {
		return errors.New("bench: want append or open")
	}
	switch args[0] {
	case "append":
		return benchAppend(args[1:])
	case "open":
		return benchOpen(args[1:])
	case "open-child":
		return benchOpenChild(args[1:])
	}
	return fmt.Errorf("bench: unknown %q", args[0])
}

func benchDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", "raftlog-bench-")
	return d, func() { os.RemoveAll(d) }, err
}

func benchAppend(args []string) error {
	fl := flag.NewFlagSet("bench append", flag.ExitOnError)
	dirFlag := fl.String("dir", "", "log directory (default: a temporary one)")
	size := fl.Int("size", 128, "payload bytes")
	batch := fl.Int("batch", 64, "entries per Append+Sync")
	n := fl.Int("n", 100_000, "entries per goroutine")
	g := fl.Int("g", 1, "goroutines sharing the log, each appending a batch and syncing")
	fl.Parse(args)
	dir, cleanup, err := benchDir(*dirFlag)
	if err != nil {
		return err
	}
	defer cleanup()
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		return err
	}
	defer l.Close()
	payload := make([]byte, *size)
	var mu sync.Mutex // orders the indexes handed to concurrent appenders
	next := uint64(1)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *g)
	for range *g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			es := make([]raftlog.Entry[raftlog.LogID, []byte], *batch)
			for done := 0; done < *n; done += *batch {
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
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	runtime.ReadMemStats(&ms1)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	total := float64(next - 1)
	st := l.Stat().WAL.Flush
	fmt.Printf("append: %d goroutines × %d entries of %d B in batches of %d: %.0f entries/s, %.1f MB/s, %d fsyncs (%.2f syncs per fsync), %.3f allocs/entry, %v\n",
		*g, *n, *size, *batch, total/el.Seconds(), total*float64(*size)/el.Seconds()/1e6,
		st.Fsyncs, st.RequestsPerFsync(), float64(ms1.Mallocs-ms0.Mallocs)/total, el.Round(time.Millisecond))
	return nil
}

func benchOpen(args []string) error {
	fl := flag.NewFlagSet("bench open", flag.ExitOnError)
	dir := fl.String("dir", "", "log directory (required; built if empty)")
	entries := fl.Int("entries", 1_000_000, "entries to build when the directory is empty")
	size := fl.Int("size", 128, "payload bytes of built entries")
	fl.Parse(args)
	if *dir == "" {
		return errors.New("bench open: -dir is required")
	}
	if names, _ := os.ReadDir(*dir); len(names) == 0 {
		start := time.Now()
		if err := buildLog(*dir, *entries, *size); err != nil {
			return err
		}
		fmt.Printf("built %d entries of %d B in %v\n", *entries, *size, time.Since(start).Round(time.Millisecond))
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "bench", "open-child", *dir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func buildLog(dir string, n, size int) error {
	l, err := raftlog.Open(dir, raftlog.Config{CacheMaxItems: -1})
	if err != nil {
		return err
	}
	payload := make([]byte, size)
	es := make([]raftlog.Entry[raftlog.LogID, []byte], 1024)
	for i := 0; i < n; i += len(es) {
		es = es[:min(len(es), n-i)]
		for j := range es {
			es[j] = raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: uint64(i + j + 1)}, Payload: payload}
		}
		if _, err := l.Append(es...); err != nil {
			return err
		}
		if err := l.Flush(false, nil); err != nil {
			return err
		}
	}
	return l.Close()
}

// benchOpenChild opens the log in a fresh process so that its peak resident
// memory is the open's alone.
func benchOpenChild(args []string) error {
	start := time.Now()
	l, err := raftlog.Open(args[0], raftlog.Config{CacheMaxItems: -1})
	if err != nil {
		return err
	}
	el := time.Since(start)
	s := l.Stat()
	fmt.Printf("open: %d entries in %v (%.0f entries/s), index %d bytes (%.1f B/entry), peak RSS %s\n",
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
