package main

import (
	"strings"
	"testing"
)

// TestLongWorkQuietOffTerminal: with stderr not a terminal, sim and bench
// print their results on stdout and nothing else.
func TestLongWorkQuietOffTerminal(t *testing.T) {
	r := runCLI(t, "sim", "-seeds", "3", "-ops", "30", "-j", "1")
	r.wantCode(t, exitOK, "sim")
	if r.stderr != "" || !strings.Contains(r.stdout, "seeds 3 (from 1), ops/seed 30") || !strings.Contains(r.stdout, "violations 0") {
		t.Errorf("sim: stdout %q, stderr %q; want only the summary on stdout", r.stdout, r.stderr)
	}
	r = runCLI(t, "bench", "append", "-n", "32", "-batch", "8", "-g", "2", "-dir", t.TempDir())
	r.wantCode(t, exitOK, "bench append")
	if r.stderr != "" || !strings.Contains(r.stdout, "append: 2 goroutines × 32 entries of 128 B in batches of 8") {
		t.Errorf("bench append: stdout %q, stderr %q; want only the result on stdout", r.stdout, r.stderr)
	}
}
