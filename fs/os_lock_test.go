package fs_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
)

const lockChildEnv = "RAFTLOG_FS_LOCK_CHILD_DIR"

// Exit codes of TestHelperLockChild.
const (
	childGotLocked = 3
	childGotLock   = 4
	childOtherErr  = 5
)

// TestHelperLockChild is not a test: TestOSLockOtherProcess runs it in a
// child process, which tries to lock the directory named by lockChildEnv and
// prints the holder a refusal names as "holder PID HOST".
func TestHelperLockChild(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("helper for TestOSLockOtherProcess; runs only in its child process")
	}
	l, err := fs.OS().Lock(dir)
	var locked *fs.LockedError
	switch {
	case errors.As(err, &locked) && errors.Is(err, fs.ErrLocked):
		fmt.Printf("holder %d %s\n", locked.PID, locked.Host)
		os.Exit(childGotLocked)
	case err != nil:
		fmt.Fprintln(os.Stderr, "lock:", err)
		os.Exit(childOtherErr)
	}
	l.Close()
	os.Exit(childGotLock)
}

// TestOSLockOtherProcess: the lock excludes another process, whose refusal
// names this process as the holder; once released, the other process gets it.
func TestOSLockOtherProcess(t *testing.T) {
	if runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skipf("no cross-process lock on %s", runtime.GOOS)
	}
	dir := t.TempDir()
	child := func() (int, string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
		out, err := cmd.Output()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("running the child: %v\n%s", err, out)
		}
		code := cmd.ProcessState.ExitCode()
		if code != childGotLocked && code != childGotLock {
			t.Fatalf("child exited with %d, want %d (locked) or %d (got the lock); output:\n%s", code, childGotLocked, childGotLock, out)
		}
		return code, string(out)
	}

	l, err := fs.OS().Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) = %v, want nil", err)
	}
	code, out := child()
	if code != childGotLocked {
		t.Fatalf("child Lock while the parent holds the lock: exit %d, want %d (ErrLocked)", code, childGotLocked)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("holder %d %s\n", os.Getpid(), host); !strings.HasPrefix(out, want) {
		t.Fatalf("the child's refusal names %q, want %q", out, want)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	if code, _ := child(); code != childGotLock {
		t.Fatalf("child Lock after the parent released it: exit %d, want %d (success)", code, childGotLock)
	}
}

// TestOSLockNamesHolder: a refusal in this process is a *LockedError naming
// this process, ReadLockHolder reads the same from the LOCK file without
// taking the lock, and a clean release empties the note.
func TestOSLockNamesHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := fs.OS().Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) = %v, want nil", err)
	}
	host, _ := os.Hostname()
	_, err = fs.OS().Lock(dir)
	var locked *fs.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, fs.ErrLocked) {
		t.Fatalf("second Lock(dir) = %v, want a *fs.LockedError matching fs.ErrLocked", err)
	}
	if locked.Dir != dir || locked.PID != os.Getpid() || locked.Host != host {
		t.Fatalf("refusal = %+v, want {Dir:%s PID:%d Host:%s}", *locked, dir, os.Getpid(), host)
	}
	if want := fmt.Sprintf("pid %d on host %s", os.Getpid(), host); !strings.Contains(err.Error(), want) {
		t.Fatalf("refusal message %q does not name the holder (%q)", err, want)
	}
	pid, h, err := fs.ReadLockHolder(fs.OS(), dir)
	if err != nil || pid != os.Getpid() || h != host {
		t.Fatalf("ReadLockHolder while held = (%d, %q, %v), want (%d, %q, nil)", pid, h, err, os.Getpid(), host)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
	pid, h, err = fs.ReadLockHolder(fs.OS(), dir)
	if err != nil || pid != 0 || h != "" {
		t.Fatalf("ReadLockHolder after release = (%d, %q, %v), want (0, \"\", nil)", pid, h, err)
	}
}

// TestReadLockHolder: what a LOCK file may hold, and what is read from it.
// A note cut short (no newline) or foreign content names no holder.
func TestReadLockHolder(t *testing.T) {
	m := fs.NewMem()
	_, _, err := fs.ReadLockHolder(m, "/")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadLockHolder without a LOCK file = %v, want fs.ErrNotExist", err)
	}
	for _, c := range []struct {
		content string
		pid     int
		host    string
	}{
		{"pid=42 host=db-1\n", 42, "db-1"},
		{"pid=42 host=db-1", 0, ""},
		{"pid=4", 0, ""},
		{"", 0, ""},
		{"pid=-1 host=x\n", 0, ""},
		{"pid=x host=y\n", 0, ""},
		{"pid=42 host=a\npid=43 host=b\n", 0, ""},
		{"hello\n", 0, ""},
	} {
		if err := fs.WriteFile(m, filepath.Join("/", fs.LockFileName), []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		pid, host, err := fs.ReadLockHolder(m, "/")
		if err != nil || pid != c.pid || host != c.host {
			t.Errorf("LOCK %s: ReadLockHolder = (%d, %q, %v), want (%d, %q, nil)", strconv.Quote(c.content), pid, host, err, c.pid, c.host)
		}
	}
}
