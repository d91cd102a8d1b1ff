// Package aferofs adapts any afero.Fs (a base-path layer, an encrypting
// layer, a user's own backend) to raftlog's fs.FS.
//
// It lives apart from package fs so that programs that do not use afero do
// not link it: afero's root package pulls in net/http and crypto/tls.
//
// What it cannot guarantee, when the backend is not the OS:
//   - Sync is the backend's Sync: for afero's MemMapFs that is a no-op, and
//     no backend gets fdatasync (use fs.OS for that).
//   - SyncDir opens the directory and calls Sync on it; whether that makes
//     the entries durable is up to the backend.
//   - Lock excludes other holders in this process only (an in-process
//     table keyed by the cleaned absolute path), never another process, and
//     writes no LOCK file.
//   - afero's MemMapFs has a ReadAt that moves the shared file position, so
//     ReadAt concurrent with Write is unsafe on it; use fs.Mem instead.
package aferofs

import (
	"io"
	"os"

	"github.com/raftlog/raftlog/fs"
	"github.com/spf13/afero"
)

// New returns an fs.FS that reads and writes through backend, with the
// limits the package documentation lists.
func New(backend afero.Fs) fs.FS { return &aferoFS{fs: backend} }

type aferoFS struct{ fs afero.Fs }

func (a *aferoFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := a.fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &aferoFile{File: f}, nil
}

func (a *aferoFS) Stat(name string) (os.FileInfo, error)       { return a.fs.Stat(name) }
func (a *aferoFS) Remove(name string) error                    { return a.fs.Remove(name) }
func (a *aferoFS) Rename(oldname, newname string) error        { return a.fs.Rename(oldname, newname) }
func (a *aferoFS) MkdirAll(dir string, perm os.FileMode) error { return a.fs.MkdirAll(dir, perm) }

// ReadDir lists dir's entries; afero.ReadDir sorts them by name.
func (a *aferoFS) ReadDir(dir string) ([]string, error) {
	infos, err := afero.ReadDir(a.fs, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(infos))
	for i, fi := range infos {
		names[i] = fi.Name()
	}
	return names, nil
}

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

// Lock checks that dir exists, then takes the in-process lock.
func (a *aferoFS) Lock(dir string) (io.Closer, error) {
	if _, err := a.fs.Stat(dir); err != nil {
		return nil, err
	}
	return locks.lock(dir)
}

type aferoFile struct{ afero.File }

// Truncate is the backend's: afero.File has it, fs.File names it.
func (f *aferoFile) Truncate(size int64) error { return f.File.Truncate(size) }

// Unwrap returns the *os.File underneath, or nil when the backend is not the
// OS, for platform calls such as fallocate.
func (f *aferoFile) Unwrap() *os.File {
	osf, _ := f.File.(*os.File)
	return osf
}
