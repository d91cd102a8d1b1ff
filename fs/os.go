package fs

import (
	"io"
	"os"
)

// OS returns the operating system's file system, built on package os and
// golang.org/x/sys alone (no third-party layer, nothing that links net/http).
//
// File.Sync is fdatasync on Linux (the file's data and size, not its
// timestamps), F_FULLFSYNC on macOS (what os.File.Sync issues there) and
// fsync or FlushFileBuffers elsewhere. SyncDir opens the directory and
// fsyncs it. Lock takes a non-blocking exclusive flock(2) (LockFileEx on
// Windows) on dir/LOCK, which excludes other processes as well as a second
// Lock in this one, and then writes the holder's pid and host name into that
// file so that whoever is refused can be told who holds it ([LockedError],
// [ReadLockHolder]). The LOCK file is emptied and left in place when the lock
// is released.
func OS() FS { return osFS{} }

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f}, nil
}

func (osFS) Stat(name string) (os.FileInfo, error)       { return os.Stat(name) }
func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) Rename(oldname, newname string) error        { return os.Rename(oldname, newname) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) Lock(dir string) (io.Closer, error)          { return lockOSDir(dir) }

// ReadDir lists dir's entries; os.ReadDir sorts them by name.
func (osFS) ReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// SyncDir fsyncs the directory itself, which is what makes the creation,
// removal or renaming of its entries durable on POSIX file systems.
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

// osFile is an *os.File whose Sync is datasync.
type osFile struct{ *os.File }

// Sync is fdatasync on Linux and os.File.Sync elsewhere (see datasync).
func (f *osFile) Sync() error {
	if err := datasync(f.File); err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return nil
}

// Unwrap returns the *os.File underneath, for platform calls such as
// fallocate.
func (f *osFile) Unwrap() *os.File { return f.File }
