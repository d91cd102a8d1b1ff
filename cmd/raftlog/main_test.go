package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/raftlog/raftlog/raftlog"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// binary is the raftlog command built for the tests: they run it as a user
// would, and read its output and exit status.
var binary string

// holdEnv names the log directory that TestMain, run as a child, holds open
// (see holdLog).
const holdEnv = "RAFTLOG_CLI_TEST_HOLD"

// crashEnv names the log directory that TestMain, run as a child, writes and
// leaves without closing (see crashedLog).
const crashEnv = "RAFTLOG_CLI_TEST_CRASH"

// repairEnv names the log directory that TestMain, run as a child,
// opens in Repair mode and leaves without writing or closing it (see
// TestAnInterruptedRepair).
const repairEnv = "RAFTLOG_CLI_TEST_REPAIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(repairEnv); dir != "" {
		repairedLogChild(dir)
		return
	}
	if dir := os.Getenv(holdEnv); dir != "" {
		holdLogChild(dir)
		return
	}
	if dir := os.Getenv(crashEnv); dir != "" {
		crashedLogChild(dir)
		return
	}
	tmp, err := os.MkdirTemp("", "raftlog-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(tmp, "raftlog")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the raftlog command: %v\n%s", err, out)
		os.RemoveAll(tmp)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// result is what one run of the command did.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the built command with args and no standard input.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running raftlog %q: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// wantCode fails the test when r did not exit with code.
func (r result) wantCode(t *testing.T, code int, what string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.code, code, r.stdout, r.stderr)
	}
}

// makeLog writes a small log with every kind of state in a new directory:
// a vote, nine entries in chunks of five records (the last with a binary
// payload), a commit and user data, synced and closed. ManualFlush makes
// its bytes the same on every run.
func makeLog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	l, err := writeLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// crashedLog makes the log of makeLog in a child process (this test binary)
// that exits without closing it, as a crashed node leaves its log.
func crashedLog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child writing %s: %v\n%s", dir, err, out)
	}
	return dir
}

// writeLog writes the test log into dir and syncs it, leaving it open.
func writeLog(dir string) (*raftlog.DefaultLog, error) {
	l, err := raftlog.Open(dir, raftlog.Config{ChunkMaxRecords: 5, ManualFlush: true})
	if err != nil {
		return nil, fmt.Errorf("Open(%s) = %w", dir, err)
	}
	if _, err := l.SaveVote(raftlog.Vote{Term: 2, NodeID: 1, Committed: true}); err != nil {
		return nil, err
	}
	for i := uint64(1); i <= 9; i++ {
		p := fmt.Appendf(nil, "set k%d=v%d", i, i)
		if i == 9 {
			p = []byte{0, 1, 0xff, '"'}
		}
		if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1 + i/5, Index: i}, Payload: p}); err != nil {
			return nil, err
		}
	}
	if _, err := l.Commit(raftlog.LogID{Term: 2, Index: 7}); err != nil {
		return nil, err
	}
	if _, err := l.SaveUserData(raftlog.Some([]byte("applied=7"))); err != nil {
		return nil, err
	}
	return l, l.Sync()
}

// crashedLogChild is the child of crashedLog.
func crashedLogChild(dir string) {
	if _, err := writeLog(dir); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0) // no Close: the log is left as a crash leaves it
}

// holdLog starts a child process (this test binary) that opens the log in
// dir and holds it until the test ends; it returns the child's pid.
func holdLog(t *testing.T, dir string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the child closes the log and exits
		if err := cmd.Wait(); err != nil {
			t.Errorf("the child holding %s: %v", dir, err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "holding\n" {
		t.Fatalf("the child holding %s said %q (%v), want \"holding\\n\"", dir, line, err)
	}
	return cmd.Process.Pid
}

// holdLogChild is the child of holdLog: it opens the log, says "holding",
// and closes it when its standard input closes.
func holdLogChild(dir string) {
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(1)
	}
	fmt.Println("holding")
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := l.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "child: close:", err)
		os.Exit(1)
	}
	os.Exit(0)
}
