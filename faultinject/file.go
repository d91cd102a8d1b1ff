package faultinject

import (
	"os"

	"github.com/raftlog/raftlog/fs"
)

// file is an fs.File opened through an FS: it forwards to the inner file
// after asking the FS what the call suffers.
type file struct {
	fs    *FS
	inner fs.File
	name  string // as passed to OpenFile: what rules match and faults name
}

var (
	_ fs.FS   = (*FS)(nil)
	_ fs.File = (*file)(nil)
)

func (f *file) Name() string { return f.inner.Name() }

func (f *file) Read(p []byte) (int, error) {
	a := f.fs.decide(OpRead, false, len(p), f.name)
	f.fs.wait(a)
	if a.err != nil {
		return 0, a.err
	}
	n, err := f.inner.Read(p)
	if a.flip > 0 {
		f.fs.flip(a, p[:n], -1)
	}
	if a.zero {
		f.fs.zeroTail(a, p[:n], -1)
	}
	return n, err
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	a := f.fs.decide(OpRead, false, len(p), f.name)
	f.fs.wait(a)
	if a.err != nil {
		return 0, a.err
	}
	n, err := f.inner.ReadAt(p, off)
	if a.flip > 0 {
		f.fs.flip(a, p[:n], off)
	}
	if a.zero {
		f.fs.zeroTail(a, p[:n], off)
	}
	return n, err
}

// Write passes a short write's prefix to the inner file and then reports the
// injected error; if the prefix itself fails, the inner error is returned
// instead, though the fault stays in the log.
func (f *file) Write(p []byte) (int, error) {
	a := f.fs.decide(OpWrite, false, len(p), f.name)
	f.fs.wait(a)
	if a.short >= 0 {
		if a.short > 0 {
			if n, err := f.inner.Write(p[:a.short]); err != nil {
				return n, err
			}
		}
		return a.short, a.err
	}
	if a.err != nil {
		return 0, a.err
	}
	return f.inner.Write(p)
}

// WriteAt suffers the same rules as Write (OpWrite): a short write passes
// its prefix to the inner file at off, then reports the injected error.
func (f *file) WriteAt(p []byte, off int64) (int, error) {
	a := f.fs.decide(OpWrite, false, len(p), f.name)
	f.fs.wait(a)
	if a.short >= 0 {
		if a.short > 0 {
			if n, err := f.inner.WriteAt(p[:a.short], off); err != nil {
				return n, err
			}
		}
		return a.short, a.err
	}
	if a.err != nil {
		return 0, a.err
	}
	return f.inner.WriteAt(p, off)
}

func (f *file) Sync() error {
	a := f.fs.decide(OpSync, false, 0, f.name)
	f.fs.wait(a)
	if a.err != nil {
		return a.err
	}
	return f.inner.Sync()
}

func (f *file) Truncate(size int64) error {
	a := f.fs.decide(OpTruncate, false, 0, f.name)
	f.fs.wait(a)
	if a.err != nil {
		return a.err
	}
	return f.inner.Truncate(size)
}

func (f *file) Stat() (os.FileInfo, error) { return f.inner.Stat() }

func (f *file) Close() error { return f.inner.Close() }
