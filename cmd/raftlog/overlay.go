package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"

	"github.com/raftlog/raftlog/fs"
)

// overlayFS reads a real directory tree and keeps every change in memory,
// so that raftlog.Open can run its recovery, repairs included, without
// writing a byte to the disk or taking the directory's lock. A file opened
// for writing is first copied into memory (copy-on-write); removals and
// renames are remembered, not done. This is what lets dump and stat show a
// log as recovery would leave it, on a log that is in use or damaged.
type overlayFS struct {
	base fs.FS
	mem  *fs.Mem

	mu   sync.Mutex
	gone map[string]bool // base names removed or renamed away in the overlay
}

func newOverlay(base fs.FS) *overlayFS {
	return &overlayFS{base: base, mem: fs.NewMem(), gone: map[string]bool{}}
}

// key is the absolute, cleaned name that both layers use.
func key(name string) string {
	if p, err := filepath.Abs(name); err == nil {
		return p
	}
	return filepath.Clean(name)
}

func notExist(op, name string) error { return &os.PathError{Op: op, Path: name, Err: fs.ErrNotExist} }

// inMem reports whether the overlay holds its own copy of name.
func (o *overlayFS) inMem(k string) bool {
	_, err := o.mem.Stat(k)
	return err == nil
}

// stat is Stat on the merged view; callers hold o.mu.
func (o *overlayFS) stat(k string) (os.FileInfo, error) {
	if o.gone[k] {
		return nil, notExist("stat", k)
	}
	if fi, err := o.mem.Stat(k); err == nil {
		return fi, nil
	}
	return o.base.Stat(k)
}

func (o *overlayFS) Stat(name string) (os.FileInfo, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stat(key(name))
}

const writeFlags = os.O_WRONLY | os.O_RDWR | os.O_CREATE | os.O_TRUNC | os.O_APPEND

func (o *overlayFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	k := key(name)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gone[k] {
		if flag&os.O_CREATE == 0 {
			return nil, notExist("open", name)
		}
		return o.createInMem(k, flag, perm)
	}
	if o.inMem(k) {
		return o.mem.OpenFile(k, flag, perm)
	}
	if flag&writeFlags == 0 {
		return o.base.OpenFile(k, flag, perm)
	}
	fi, err := o.base.Stat(k)
	switch {
	case err == nil && fi.IsDir():
		return o.base.OpenFile(k, flag, perm) // fails as the OS says
	case err == nil && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, &os.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case err == nil:
		if err := o.copyUp(k, flag&os.O_TRUNC != 0); err != nil {
			return nil, err
		}
		return o.mem.OpenFile(k, flag, perm)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	case flag&os.O_CREATE == 0:
		return nil, notExist("open", name)
	}
	return o.createInMem(k, flag, perm)
}

// createInMem creates k in memory, if its directory exists in the view.
func (o *overlayFS) createInMem(k string, flag int, perm os.FileMode) (fs.File, error) {
	dir := filepath.Dir(k)
	fi, err := o.stat(dir)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: k, Err: fs.ErrNotExist}
	}
	if !fi.IsDir() {
		return nil, &os.PathError{Op: "open", Path: k, Err: syscall.ENOTDIR}
	}
	if err := o.mem.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	delete(o.gone, k)
	return o.mem.OpenFile(k, flag, perm)
}

// copyUp copies the base file k into memory (empty when trunc is set).
func (o *overlayFS) copyUp(k string, trunc bool) error {
	var data []byte
	if !trunc {
		b, err := fs.ReadFile(o.base, k)
		if err != nil {
			return err
		}
		data = b
	}
	if err := o.mem.MkdirAll(filepath.Dir(k), 0o755); err != nil {
		return err
	}
	return fs.WriteFile(o.mem, k, data, 0o644)
}

func (o *overlayFS) Remove(name string) error {
	k := key(name)
	o.mu.Lock()
	defer o.mu.Unlock()
	fi, err := o.stat(k)
	if err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if fi.IsDir() {
		names, err := o.readDir(k)
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
		}
	}
	if o.inMem(k) {
		if err := o.mem.Remove(k); err != nil {
			return err
		}
	}
	if _, err := o.base.Stat(k); err == nil {
		o.gone[k] = true
	}
	return nil
}

func (o *overlayFS) Rename(oldname, newname string) error {
	ok, nk := key(oldname), key(newname)
	o.mu.Lock()
	defer o.mu.Unlock()
	fi, err := o.stat(ok)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if fi.IsDir() {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.EXDEV} // the WAL renames files only
	}
	if !o.inMem(ok) {
		if err := o.copyUp(ok, false); err != nil {
			return err
		}
	}
	if dfi, err := o.stat(filepath.Dir(nk)); err != nil || !dfi.IsDir() {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if err := o.mem.MkdirAll(filepath.Dir(nk), 0o755); err != nil {
		return err
	}
	if err := o.mem.Rename(ok, nk); err != nil {
		return err
	}
	delete(o.gone, nk)
	if _, err := o.base.Stat(ok); err == nil {
		o.gone[ok] = true
	}
	return nil
}

// readDir merges the names of both layers; callers hold o.mu.
func (o *overlayFS) readDir(k string) ([]string, error) {
	if o.gone[k] {
		return nil, notExist("readdir", k)
	}
	baseNames, berr := o.base.ReadDir(k)
	memNames, merr := o.mem.ReadDir(k)
	if berr != nil && merr != nil {
		return nil, berr
	}
	var names []string
	for _, n := range baseNames {
		if !o.gone[filepath.Join(k, n)] {
			names = append(names, n)
		}
	}
	names = append(names, memNames...)
	slices.Sort(names)
	return slices.Compact(names), nil
}

func (o *overlayFS) ReadDir(dir string) ([]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.readDir(key(dir))
}

func (o *overlayFS) MkdirAll(dir string, perm os.FileMode) error {
	k := key(dir)
	o.mu.Lock()
	defer o.mu.Unlock()
	for p := k; ; p = filepath.Dir(p) {
		if fi, err := o.stat(p); err == nil && !fi.IsDir() {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	delete(o.gone, k)
	return o.mem.MkdirAll(k, perm)
}

// SyncDir has nothing to make durable: it only checks that dir exists.
func (o *overlayFS) SyncDir(dir string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	fi, err := o.stat(key(dir))
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &os.PathError{Op: "syncdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}

// Lock takes an in-memory lock only: the real directory's lock, and the
// process that may hold it, are left alone.
func (o *overlayFS) Lock(dir string) (io.Closer, error) {
	k := key(dir)
	o.mu.Lock()
	fi, err := o.stat(k)
	if err == nil && !fi.IsDir() {
		err = &os.PathError{Op: "lock", Path: dir, Err: syscall.ENOTDIR}
	}
	if err == nil {
		err = o.mem.MkdirAll(k, 0o755)
	}
	o.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return o.mem.Lock(k)
}
