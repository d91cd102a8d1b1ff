package failpointcrash_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/crashtest"
	"github.com/raftlog/raftlog/raftlog"
)

// envDir tells the child process where its log is; without it, TestChild
// does nothing.
const envDir = "FAILPOINTCRASH_DIR"

// TestCrashAfterFsync runs TestChild in a child process with the failpoint
// wal/afterFsync set to crash it (a panic) at the 6th fsync, just after the
// fsync returned and before the Sync that waits for it is acknowledged. The
// child prints "acked N" once Sync returns for entry N. The parent then
// opens the log the child left and checks the contract: every acknowledged
// entry is there and reads back intact, nothing beyond the one entry whose
// Sync was under way, and the log takes writes again.
func TestCrashAfterFsync(t *testing.T) {
	if !crashtest.FailpointsEnabled {
		t.Skip("failpoints are compiled out: go test -tags failpoint ./examples/failpointcrash")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$")
	cmd.Env = append(os.Environ(), envDir+"="+dir,
		crashtest.FailpointsEnv(map[string]string{crashtest.FailpointAfterFsync: "5*off->panic"}))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(stderr.String(), "failpoint panic") {
		t.Fatalf("the child did not die at the failpoint: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	acked := uint64(0)
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked, _ = strconv.ParseUint(n, 10, 64)
		}
	}

	l, err := raftlog.Open(dir, raftlog.Config{MustExist: true})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer l.Close()
	last := l.State().Last.Value().Index
	if last < acked || last > acked+1 {
		t.Fatalf("the log ends at %d; the child saw %d acknowledged (and one more under way)", last, acked)
	}
	for e, err := range l.Read(1, last+1) {
		if err != nil || string(e.Payload) != payload(e.ID.Index) {
			t.Fatalf("entry %v: %q, %v", e.ID, e.Payload, err)
		}
	}
	next := raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 2, Index: last + 1}, Payload: []byte("after")}
	if _, err := l.Append(next); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	t.Logf("the child crashed at wal/afterFsync with %d entries acknowledged; the log recovered %d", acked, last)
}

func payload(i uint64) string { return fmt.Sprintf("entry %d", i) }

// TestChild is the child process: it appends entries one at a time, syncs
// each and says so, until the failpoint kills it.
func TestChild(t *testing.T) {
	dir := os.Getenv(envDir)
	if dir == "" {
		t.Skip("the child of TestCrashAfterFsync")
	}
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 100; i++ {
		if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: i}, Payload: []byte(payload(i))}); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("acked %d\n", i)
	}
	t.Fatal("the failpoint never fired")
}
