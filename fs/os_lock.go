package fs

import (
	"os"
	"path/filepath"
)

// lockOSDir takes the flock on dir/LOCK and records the holder in it. A
// refusal is a *LockedError naming the holder the file records, if any.
func lockOSDir(dir string) (*osLock, error) {
	name := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := flock(f); err != nil {
		f.Close()
		if err == ErrLocked {
			return nil, lockedBy(dir)
		}
		return nil, &os.PathError{Op: "lock", Path: dir, Err: err}
	}
	writeHolder(f)
	return &osLock{f: f}, nil
}

// writeHolder replaces the LOCK file's content with this process's holder
// line. The note is advisory: when it cannot be written (a full disk, say)
// the lock is still held and the note stays empty or stale, since refusing
// to open a log for want of 40 bytes would also block purging it to free
// space. Emptying the file first means a reader sees nothing, a line without
// its newline (which it ignores), or the whole line.
func writeHolder(f *os.File) {
	if f.Truncate(0) == nil {
		f.WriteAt(holderLine(os.Getpid(), hostname()), 0)
	}
}

type osLock struct{ f *os.File }

// Close empties the holder note, releases the flock and closes the file.
// A second Close does nothing: the file it would touch may be another
// holder's by then.
func (l *osLock) Close() error {
	if l.f == nil {
		return nil
	}
	l.f.Truncate(0) // advisory, like writeHolder: the unlock below is what counts
	err := funlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
