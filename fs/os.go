package fs

import (
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/afero"
)

// OS returns the operating system's file system (afero's OsFs underneath).
//
// File.Sync is fdatasync on Linux (the file's data and size, not its
// timestamps), F_FULLFSYNC on macOS and fsync elsewhere. SyncDir opens the
// directory and fsyncs it. Lock takes a non-blocking exclusive flock(2) on
// dir/LOCK, which excludes other processes as well as a second Lock in this
// one; the LOCK file is left in place when the lock is released.
func OS() FS {
	return &aferoFS{fs: afero.NewOsFs(), sync: syncOSFile, lock: lockOSDir}
}

func syncOSFile(f afero.File) error {
	if osf, ok := f.(*os.File); ok {
		if err := datasync(osf); err != nil {
			return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
		}
		return nil
	}
	return f.Sync()
}

func lockOSDir(dir string) (io.Closer, error) {
	name := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, &os.PathError{Op: "lock", Path: dir, Err: err}
	}
	return &osLock{f: f}, nil
}

type osLock struct{ f *os.File }

func (l *osLock) Close() error {
	if l.f == nil {
		return nil
	}
	err := funlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
