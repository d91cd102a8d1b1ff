//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNoteOfAProcessThatHoldsNothing: a LOCK note naming a process that
// exists but holds no lock on the log (one that died holding it and is not
// yet reaped, or an unrelated process given a dead holder's pid) is not
// reported as held: on Linux the tool asks /proc/locks, not the process
// table (in the initial PID namespace, where it lists every holder).
func TestNoteOfAProcessThatHoldsNothing(t *testing.T) {
	if !initialPIDNamespace() {
		t.Skip("/proc/locks shows every holder only in the initial PID namespace; elsewhere the tool falls back to the process table")
	}
	zombie := exec.Command(binary, "help")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer zombie.Wait()
	// Wait for the exit without reaping: the process stays a zombie.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, zombie.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		pid  int
	}{
		{"an exited process not yet reaped", zombie.Process.Pid},
		{"a running process that never took the lock", os.Getpid()},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := makeLog(t)
			host, _ := os.Hostname()
			note := fmt.Sprintf("pid=%d host=%s\n", c.pid, host)
			if err := os.WriteFile(filepath.Join(dir, "LOCK"), []byte(note), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, "stat", dir)
			r.wantCode(t, exitOK, "stat")
			if want := fmt.Sprintf("lock      last held by pid %d on host %s, which does not hold it now", c.pid, host); !strings.Contains(r.stdout, want) {
				t.Errorf("stat:\n%s\nwant a line %q", r.stdout, want)
			}
			r = runCLI(t, "verify", dir)
			r.wantCode(t, exitOK, "verify")
			if strings.Contains(r.stderr, "may be writing") || strings.Contains(r.stderr, fmt.Sprintf("held by pid %d", c.pid)) {
				t.Errorf("verify warns of a holder that holds nothing: %q", r.stderr)
			}
		})
	}
}
