//go:build unix

package fs

import (
	"os"

	"golang.org/x/sys/unix"
)

// flock takes a non-blocking exclusive lock on f. flock locks belong to the
// open file description, so a second open of the same LOCK file in this
// process is refused just like one from another process.
func flock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lerr = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
			if lerr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if lerr == unix.EWOULDBLOCK {
		return ErrLocked
	}
	return lerr
}

func funlock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var uerr error
	if err := rc.Control(func(fd uintptr) { uerr = unix.Flock(int(fd), unix.LOCK_UN) }); err != nil {
		return err
	}
	return uerr
}
