package fstest

import (
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/raftlog/raftlog/fs"
)

func testLock(t *testing.T, fsys fs.FS, dir string) {
	l1, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("first Lock(dir) = %v, want nil", err)
	}
	_, err = fsys.Lock(dir)
	wantErrIs(t, "second Lock(dir) while held", err, fs.ErrLocked)
	// The same directory under another spelling is the same lock.
	_, err = fsys.Lock(dir + "/.")
	wantErrIs(t, "Lock(dir/.) while dir is held", err, fs.ErrLocked)

	other := filepath.Join(dir, "other")
	if err := fsys.MkdirAll(other, 0o755); err != nil {
		t.Fatalf("MkdirAll(other) = %v, want nil", err)
	}
	l2, err := fsys.Lock(other)
	if err != nil {
		t.Fatalf("Lock(other) while dir is held = %v, want nil", err)
	}
	mustClose(t, l1)
	l3, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) after the holder closed = %v, want nil", err)
	}
	_, err = fsys.Lock(other)
	wantErrIs(t, "second Lock(other) while held", err, fs.ErrLocked)
	mustClose(t, l3)
	mustClose(t, l2)

	_, err = fsys.Lock(filepath.Join(dir, "missing"))
	wantErrIs(t, "Lock(missing)", err, fs.ErrNotExist)
}

func testLockConcurrentOneWinner(t *testing.T, fsys fs.FS, dir string) {
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		holders []io.Closer
		others  []error
	)
	for range n {
		wg.Go(func() {
			<-start
			l, err := fsys.Lock(dir)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				holders = append(holders, l)
			} else {
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(holders) != 1 {
		t.Fatalf("%d concurrent Locks of one directory: %d succeeded, want exactly 1", n, len(holders))
	}
	for _, err := range others {
		wantErrIs(t, "a losing concurrent Lock", err, fs.ErrLocked)
	}
	mustClose(t, holders[0])
}

// testLockStaleClose: closing a lock a second time, after someone else took
// the directory, must not release the new holder's lock.
func testLockStaleClose(t *testing.T, fsys fs.FS, dir string) {
	l1, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) = %v, want nil", err)
	}
	mustClose(t, l1)
	l2, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) after release = %v, want nil", err)
	}
	defer l2.Close()
	_ = l1.Close() // stale: may fail or not, but must not touch l2's lock
	_, err = fsys.Lock(dir)
	wantErrIs(t, "Lock(dir) held by a new holder after the old holder's second Close", err, fs.ErrLocked)
}
