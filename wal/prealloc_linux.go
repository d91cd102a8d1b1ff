//go:build linux

package wal

import (
	"errors"
	"os"

	"github.com/raftlog/raftlog/fs"
	"golang.org/x/sys/unix"
)

// preallocate reserves n bytes for f without changing its size
// (FALLOC_FL_KEEP_SIZE), so recovery never sees a zero-filled tail. It needs
// the *os.File underneath; other files are left alone.
func preallocate(f fs.File, n int64) error {
	u, ok := f.(interface{ Unwrap() *os.File })
	if !ok || u.Unwrap() == nil {
		return errors.New("file system gives no *os.File to preallocate")
	}
	rc, err := u.Unwrap().SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		ferr = unix.Fallocate(int(fd), unix.FALLOC_FL_KEEP_SIZE, 0, n)
	}); err != nil {
		return err
	}
	return ferr
}
