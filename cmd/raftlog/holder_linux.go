//go:build linux

package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/raftlog/raftlog/fs"
)

// lockTaken reports whether some process on this host holds the flock on
// dir's LOCK file, from /proc/locks, without taking it: known is false when
// that cannot be read. This is what decides whether a log is in use; the
// note's pid alone cannot, since a process that died holding the log may
// linger as a zombie, or its pid may have been given to another process.
func lockTaken(dir string) (taken, known bool) {
	st, err := os.Stat(filepath.Join(dir, fs.LockFileName))
	if err != nil {
		return false, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return false, false
	}
	// /proc/locks names a file as major:minor:inode. Only the inode is
	// compared: under overlayfs the device a lock is listed with may not
	// be the one stat reports, and a lock on another device's file with
	// the same inode number errs on the safe side (taken).
	want := fmt.Sprintf(":%d", sys.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return false, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; a waiter's
		// line has "->" after the number, and takes nothing yet.
		fields := strings.Fields(sc.Text())
		if len(fields) >= 6 && fields[1] == "FLOCK" && strings.HasSuffix(fields[5], want) {
			return true, true
		}
	}
	return false, sc.Err() == nil
}
