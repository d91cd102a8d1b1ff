package matrix

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/raftlog/raftlog/bench/workload"
)

// Run is one child run: the child's Result and what the parent measured of
// the process.
type Run struct {
	workload.Result
	// MaxRSS is the child's peak resident memory in bytes, from the
	// rusage the parent collected when it exited.
	MaxRSS int64
	// Wall is the child process's whole life in seconds.
	Wall float64
	// Fsyncs is, for a traced run, the fsync-family calls (fsync,
	// fdatasync, sync_file_range, msync, syncfs, sync) inside the timed
	// window; -1 for an untimed one.
	Fsyncs int64
	// Err is the child's failure, if any (its standard error).
	Err string `json:",omitempty"`
}

// Runner starts the children.
type Runner struct {
	// BinDir holds one child binary per store, named after Store.Child.
	BinDir string
	// Strace is the strace binary for traced runs, "" if there is none.
	Strace string
	// seccomp is set when strace supports --seccomp-bpf, which stops the
	// child only at the traced calls.
	seccomp bool
}

// BuildChildren builds every store's child into binDir with the go command,
// from the bench module that holds the working directory.
func BuildChildren(binDir string) error {
	cmd := exec.Command("go", "env", "GOMOD")
	out, err := cmd.Output()
	mod := strings.TrimSpace(string(out))
	if err != nil || !strings.HasSuffix(filepath.ToSlash(mod), "bench/go.mod") {
		return fmt.Errorf("matrix: run from inside the bench module (go env GOMOD = %q, %v), or pass -bin", mod, err)
	}
	build := exec.Command("go", "build", "-buildvcs=false", "-o", binDir+string(filepath.Separator), "./cmd/child/...")
	build.Dir = filepath.Dir(mod)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("matrix: building the children: %v\n%s", err, out)
	}
	return nil
}

// Version reads the version of a store's module from its child binary.
func (r *Runner) Version(s Store) string {
	info, err := buildinfo.ReadFile(filepath.Join(r.BinDir, s.Child))
	if err != nil {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == s.Module {
			if d.Replace != nil {
				return treeVersion()
			}
			return d.Version
		}
	}
	return "unknown"
}

// treeVersion names the commit of the working tree the benchmark runs in,
// which is the raftlog it measures (the bench module replaces raftlog with
// its parent directory).
func treeVersion() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "this tree (commit unknown)"
	}
	v := "this tree at " + strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		v += " with local changes"
	}
	return v
}

// UseStrace checks that the strace binary runs and whether it filters with
// seccomp.
func (r *Runner) UseStrace(path string) error {
	if out, err := exec.Command(path, "-f", "-qq", "-e", "trace=fsync", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		return fmt.Errorf("matrix: %s does not run: %v: %s", path, err, out)
	}
	r.Strace = path
	r.seccomp = exec.Command(path, "-f", "--seccomp-bpf", "-qq", "-e", "trace=fsync", "-o", os.DevNull, "true").Run() == nil
	return nil
}

// syncCalls are the system calls a traced run counts.
const syncCalls = "fsync,fdatasync,sync_file_range,msync,syncfs,sync"

// Start runs one child to its end. A traced run goes under strace, which
// writes each sync call with its time; the calls inside the child's timed
// window are counted.
func (r *Runner) Start(s Store, p workload.Params, traced bool) Run {
	bin := filepath.Join(r.BinDir, s.Child)
	args := p.Args()
	var trace string
	if traced {
		f, err := os.CreateTemp("", "bench-strace-")
		if err != nil {
			return Run{Err: err.Error(), Fsyncs: -1}
		}
		f.Close()
		trace = f.Name()
		defer os.Remove(trace)
		pre := []string{"-f", "-qq", "-ttt", "-e", "trace=" + syncCalls, "-e", "signal=none", "-o", trace}
		if r.seccomp {
			pre = append(pre, "--seccomp-bpf")
		}
		args = append(append(pre, "--", bin), args...)
		bin = r.Strace
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	run := Run{Wall: time.Since(start).Seconds(), Fsyncs: -1}
	if cmd.ProcessState == nil { // it did not start
		run.Err = fmt.Sprintf("%s %s: %v", s.Name, p.Workload, err)
		return run
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && !traced {
		run.MaxRSS = ru.Maxrss << 10 // Linux reports kilobytes
	}
	if err != nil {
		run.Err = fmt.Sprintf("%s %s: %v: %s", s.Name, p.Workload, err, strings.TrimSpace(stderr.String()))
		return run
	}
	if err := json.Unmarshal(stdout.Bytes(), &run.Result); err != nil {
		run.Err = fmt.Sprintf("%s %s: bad result %q: %v", s.Name, p.Workload, stdout.String(), err)
		return run
	}
	if traced {
		n, err := countSyncs(trace, run.WindowStart, run.WindowEnd)
		if err != nil {
			run.Err = err.Error()
		}
		run.Fsyncs = n
	}
	return run
}
