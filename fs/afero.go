package fs

import (
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/afero"
)

// Afero adapts any afero.Fs (a base-path layer, an encrypting layer, a
// user's own backend) to FS.
//
// What it cannot guarantee, when the backend is not the OS:
//   - Sync is the backend's Sync: for afero's MemMapFs that is a no-op, and
//     no backend gets fdatasync (use [OS] for that).
//   - SyncDir opens the directory and calls Sync on it; whether that makes
//     the entries durable is up to the backend.
//   - Lock excludes other holders in this process only (an in-process
//     table keyed by the cleaned path), never another process.
//   - afero's MemMapFs has a ReadAt that moves the shared file position, so
//     ReadAt concurrent with Write is unsafe on it; use [Mem] instead.
func Afero(backend afero.Fs) FS {
	return &aferoFS{
		fs:   backend,
		sync: func(f afero.File) error { return f.Sync() },
		lock: processLocks.lock,
	}
}

// aferoFS implements FS over afero; OS() is the same code with an fdatasync
// and flock of its own.
type aferoFS struct {
	fs   afero.Fs
	sync func(afero.File) error
	lock func(dir string) (io.Closer, error)
}

func (a *aferoFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := a.fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &aferoFile{File: f, sync: a.sync}, nil
}

func (a *aferoFS) Stat(name string) (os.FileInfo, error) { return a.fs.Stat(name) }
func (a *aferoFS) Remove(name string) error              { return a.fs.Remove(name) }
func (a *aferoFS) Rename(oldname, newname string) error {
	return a.fs.Rename(oldname, newname)
}

func (a *aferoFS) ReadDir(dir string) ([]string, error) {
	infos, err := afero.ReadDir(a.fs, dir) // sorted by name
	if err != nil {
		return nil, err
	}
	names := make([]string, len(infos))
	for i, fi := range infos {
		names[i] = fi.Name()
	}
	return names, nil
}

func (a *aferoFS) MkdirAll(dir string, perm os.FileMode) error { return a.fs.MkdirAll(dir, perm) }

func (a *aferoFS) SyncDir(dir string) error {
	d, err := a.fs.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return &os.PathError{Op: "syncdir", Path: dir, Err: serr}
	}
	return cerr
}

func (a *aferoFS) Lock(dir string) (io.Closer, error) {
	if _, err := a.fs.Stat(dir); err != nil {
		return nil, err
	}
	return a.lock(dir)
}

type aferoFile struct {
	afero.File
	sync func(afero.File) error
}

func (f *aferoFile) Sync() error { return f.sync(f.File) }

func (f *aferoFile) Truncate(size int64) error { return f.File.Truncate(size) }

// Unwrap returns the *os.File underneath, or nil when the backend is not the
// OS, for platform calls such as fallocate.
func (f *aferoFile) Unwrap() *os.File {
	osf, _ := f.File.(*os.File)
	return osf
}

// lockTable is the in-process part of every Lock: it makes a second Lock of
// the same directory fail even where the backend has no lock of its own.
type lockTable struct {
	mu   sync.Mutex
	held map[string]bool
}

var processLocks = &lockTable{held: map[string]bool{}}

func (t *lockTable) lock(dir string) (io.Closer, error) {
	key, err := filepath.Abs(dir)
	if err != nil {
		key = filepath.Clean(dir)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held[key] {
		return nil, &os.PathError{Op: "lock", Path: dir, Err: ErrLocked}
	}
	t.held[key] = true
	// Release at most once: a second Close of this holder's closer, after
	// another holder has taken the directory, must not free that one's lock.
	var once sync.Once
	return closerFunc(func() error {
		once.Do(func() {
			t.mu.Lock()
			delete(t.held, key)
			t.mu.Unlock()
		})
		return nil
	}), nil
}

// closerFunc makes a func an io.Closer. It calls the func on every Close:
// a func that must act once guards itself (sync.Once).
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
