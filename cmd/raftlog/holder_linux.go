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
	"golang.org/x/sys/unix"
)

// lockTaken reports whether the flock on dir's LOCK file is taken, from
// /proc/locks, without taking it; known is false where /proc/locks cannot
// tell. A LOCK note's pid alone cannot: a process that died holding the
// log may linger as a zombie, and its pid may have gone to another
// process. /proc/locks lists a lock only when its owner is visible in this
// process's PID namespace, so a lock it does not list counts as free only
// in the initial namespace: in a container the holder may be outside it.
func lockTaken(dir string) (taken, known bool) {
	st, err := os.Stat(filepath.Join(dir, fs.LockFileName))
	if err != nil {
		return false, false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return false, false
	}
	dev := uint64(sys.Dev) // uint32 on some platforms
	// /proc/locks names a file as major:minor:inode, the device in hex.
	exact := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), sys.Ino)
	// Under overlayfs the device a lock is listed with may not be the one
	// stat reports: there the inode alone is compared, which errs towards
	// "taken" should another file share the inode number.
	inodeOnly, inode := onOverlay(dir), fmt.Sprintf(":%d", sys.Ino)
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
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		if fields[5] == exact || inodeOnly && strings.HasSuffix(fields[5], inode) {
			return true, true
		}
	}
	if sc.Err() != nil || !initialPIDNamespace() {
		return false, false
	}
	return false, true
}

// initialPIDNamespace reports whether this process runs in the host's
// first PID namespace, whose inode number the kernel fixes
// (PROC_PID_INIT_INO), so that /proc/locks shows every holder.
func initialPIDNamespace() bool {
	ns, err := os.Readlink("/proc/self/ns/pid")
	return err == nil && ns == "pid:[4026531836]"
}

// onOverlay reports whether dir is on overlayfs (a container's root).
func onOverlay(dir string) bool {
	var s unix.Statfs_t
	return unix.Statfs(dir, &s) == nil && s.Type == unix.OVERLAYFS_SUPER_MAGIC
}
