package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestHeldLog: with the log held by another process, dump, verify and stat
// still work (they take no lock); dump and verify warn that the holder may
// be writing, stat names it; a command that needs the lock fails with a
// message naming the holder.
func TestHeldLog(t *testing.T) {
	dir := makeLog(t)
	pid := holdLog(t, dir)
	host, _ := os.Hostname()
	holder := fmt.Sprintf("held by pid %d on host %s", pid, host)

	r := runCLI(t, "dump", dir)
	r.wantCode(t, exitOK, "dump of a held log")
	if !strings.Contains(r.stdout, "{Term:2 Index:7} \"set k7=v7\"") || !strings.Contains(r.stderr, holder) {
		t.Errorf("dump of a held log: stdout %q, stderr %q; want the entries and a note naming %q", r.stdout, r.stderr, holder)
	}
	r = runCLI(t, "verify", dir)
	r.wantCode(t, exitOK, "verify of a held log")
	if !strings.Contains(r.stderr, holder) {
		t.Errorf("verify of a held log: stderr %q; want a note naming %q", r.stderr, holder)
	}
	r = runCLI(t, "stat", dir)
	r.wantCode(t, exitOK, "stat of a held log")
	if !strings.Contains(r.stdout, "lock      "+holder) {
		t.Errorf("stat of a held log does not name the holder %q:\n%s", holder, r.stdout)
	}
	r = runCLI(t, "bench", "append", "-dir", dir, "-n", "8", "-batch", "8")
	r.wantCode(t, exitFailure, "bench append on a held log")
	if !strings.Contains(r.stderr, "directory is locked by another holder") || !strings.Contains(r.stderr, fmt.Sprintf("pid %d on host %s", pid, host)) {
		t.Errorf("bench append on a held log: stderr %q, want the lock error naming pid %d", r.stderr, pid)
	}
}

// TestCrashedHolder: a LOCK note left by a process that died holding the
// log is reported as such, and the log reads as any other.
func TestCrashedHolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is checked with signal 0 on unix only")
	}
	dir := makeLog(t)
	gone := exec.Command(binary, "help") // a process that has exited: its pid names nobody
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	note := fmt.Sprintf("pid=%d host=%s\n", gone.Process.Pid, host)
	if err := os.WriteFile(filepath.Join(dir, "LOCK"), []byte(note), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "stat", dir)
	r.wantCode(t, exitOK, "stat with a dead holder's note")
	if want := fmt.Sprintf("lock      last held by pid %d on host %s, which does not hold it now", gone.Process.Pid, host); !strings.Contains(r.stdout, want) {
		t.Errorf("stat with a dead holder's note:\n%s\nwant a line %q", r.stdout, want)
	}
}
