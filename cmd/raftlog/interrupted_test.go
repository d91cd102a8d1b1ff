package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

// repairedLogChild opens dir in Repair mode and exits without writing to
// the log or closing it: a process that stopped right after its repair,
// before anyone read the report.
func repairedLogChild(dir string) {
	if _, err := raftlog.Open(dir, raftlog.Config{Recovery: wal.Repair}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestAnInterruptedRepair: a process repaired a log (entry 2 damaged, so
// entries 2 to 9 cut) and stopped before it wrote to the log or closed it.
// The tool must not call the shorter log healthy: verify, dump and stat
// say a repair was interrupted and exit 1; repair reports the earlier cut
// with every entry from 2 on; then the log is healthy.
func TestAnInterruptedRepair(t *testing.T) {
	dir := makeLog(t)
	damageEntry2(t, dir)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), repairEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child repairing %s: %v\n%s", dir, err, out)
	}

	for _, args := range [][]string{{"verify", dir}, {"dump", dir}, {"stat", dir}} {
		r := runCLI(t, args...)
		r.wantCode(t, exitFailure, strings.Join(args, " "))
		if out := r.stdout + r.stderr; !strings.Contains(out, "a repair of "+dir+" cut the log from offset") {
			t.Errorf("%q: %q does not say a repair was interrupted", args, out)
		}
	}
	r := runCLI(t, "repair", dir)
	r.wantCode(t, exitOK, "repair")
	if !strings.Contains(r.stdout, "an earlier repair cut the log") || !strings.Contains(r.stdout, "every entry from 2 on may have been in them") {
		t.Errorf("repair after an interrupted one: %q", r.stdout)
	}
	r = runCLI(t, "verify", dir)
	r.wantCode(t, exitOK, "verify after the repair")
	if !strings.Contains(r.stdout, "healthy") || !strings.Contains(r.stdout, "[1, 2)") {
		t.Errorf("verify after the repair: %q", r.stdout)
	}
}
