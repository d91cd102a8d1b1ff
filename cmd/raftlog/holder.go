package main

import (
	"fmt"
	"os"

	"github.com/raftlog/raftlog/fs"
)

// holder is the process that a log directory's LOCK file names.
type holder struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
	// Running says whether the log is held now: known only on this host
	// (nil elsewhere). Where /proc/locks can tell (Linux), it is whether
	// the LOCK file's flock is taken; elsewhere, and where it cannot
	// tell, whether the process the note names exists. A crashed holder
	// leaves its note behind.
	Running *bool `json:"running"`
}

// lockHolder reads the holder of dir's lock without taking it; ok is false
// when the LOCK file names nobody (the log is not open, or was closed
// cleanly).
func lockHolder(dir string) (h holder, ok bool) {
	pid, host, err := fs.ReadLockHolder(fs.OS(), dir)
	if err != nil || pid == 0 {
		return holder{}, false
	}
	h = holder{PID: pid, Host: host}
	if me, err := os.Hostname(); err == nil && me == host {
		running, known := lockTaken(dir)
		if !known {
			running = processExists(pid)
		}
		h.Running = &running
	}
	return h, true
}

// String says who holds the lock, for messages.
func (h holder) String() string {
	switch {
	case h.Running == nil:
		return fmt.Sprintf("held by pid %d on host %s (per its LOCK file)", h.PID, h.Host)
	case *h.Running:
		return fmt.Sprintf("held by pid %d on host %s", h.PID, h.Host)
	}
	return fmt.Sprintf("last held by pid %d on host %s, which does not hold it now (it did not close the log)", h.PID, h.Host)
}

// live reports whether the holder may still be writing to the log.
func (h holder) live() bool { return h.Running == nil || *h.Running }
