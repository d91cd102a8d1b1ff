package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockedError is the error of a Lock refused because another holder has the
// directory. It matches errors.Is(err, ErrLocked). PID and Host name the
// holder as recorded in the directory's LOCK file when the implementation
// records one ([OS] does): PID is 0 and Host empty when it is unknown (an
// old or empty LOCK file, or a holder that was still writing its note).
type LockedError struct {
	// Dir is the directory whose lock was refused.
	Dir string
	// PID is the holder's process id, 0 if unknown.
	PID int
	// Host is the holder's host name, empty if unknown.
	Host string
}

// Error says which directory is locked and, when known, by whom.
func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("lock %s: %v (holder unknown)", e.Dir, ErrLocked)
	}
	return fmt.Sprintf("lock %s: %v: pid %d on host %s", e.Dir, ErrLocked, e.PID, e.Host)
}

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// ReadLockHolder returns the holder that dir's LOCK file names: the process
// holding the lock now, or one that died holding it (the note is emptied on
// a clean release, not by a crash). It takes no lock, so it is safe on a
// directory in use. pid is 0 when the file names no holder; the error
// matches ErrNotExist when there is no LOCK file.
func ReadLockHolder(fsys FS, dir string) (pid int, host string, err error) {
	b, err := ReadFile(fsys, filepath.Join(dir, LockFileName))
	if err != nil {
		return 0, "", err
	}
	pid, host = parseHolder(b)
	return pid, host, nil
}

// lockedBy builds the refusal for dir with the holder its LOCK file names.
func lockedBy(dir string) *LockedError {
	e := &LockedError{Dir: dir}
	if b, err := os.ReadFile(filepath.Join(dir, LockFileName)); err == nil {
		e.PID, e.Host = parseHolder(b)
	}
	return e
}

// holderLine is the LOCK file's content: "pid=123 host=name\n".
func holderLine(pid int, host string) []byte {
	return fmt.Appendf(nil, "pid=%d host=%s\n", pid, host)
}

// parseHolder reads a holderLine. Anything else, a line cut short included
// (no newline), names no holder.
func parseHolder(b []byte) (pid int, host string) {
	line, ok := strings.CutSuffix(string(b), "\n")
	if !ok || strings.Contains(line, "\n") {
		return 0, ""
	}
	p, h, ok := strings.Cut(line, " ")
	ps, ok1 := strings.CutPrefix(p, "pid=")
	hs, ok2 := strings.CutPrefix(h, "host=")
	n, err := strconv.Atoi(ps)
	if !ok || !ok1 || !ok2 || err != nil || n <= 0 {
		return 0, ""
	}
	return n, hs
}

// hostname is os.Hostname, or "unknown" where it fails, so that a holder
// line always has a host.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \n") {
		return "unknown"
	}
	return h
}
