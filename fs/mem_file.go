package fs

import (
	"errors"
	"io"
	"os"
	"path"
	"slices"
	"syscall"
	"time"
)

// write applies a volatile write at off. Called with m.mu held.
func (n *memNode) write(off int64, p []byte) {
	n.pending = append(n.pending, memOp{off: off, data: slices.Clone(p)})
	n.data = applyWrite(n.data, off, p)
}

// truncate applies a volatile truncation to n; the bytes it cuts off become
// n's own freed content. Called with m.mu held.
func (m *Mem) truncate(n *memNode, size int64) {
	if size < int64(len(n.data)) {
		m.free(n.id, size, n.data[size:])
	}
	n.pending = append(n.pending, memOp{truncate: true, size: size})
	n.data = applyTruncate(n.data, size)
}

// sync makes the current content durable. Called with m.mu held.
func (n *memNode) sync() {
	for _, op := range n.pending {
		n.synced = op.apply(n.synced)
	}
	n.pending = nil
}

// memOp is a volatile write (data at off) or truncation (to size).
type memOp struct {
	truncate bool
	off      int64
	data     []byte // a copy: later writes may overwrite the same range
	size     int64
}

func (op memOp) apply(b []byte) []byte {
	if op.truncate {
		return applyTruncate(b, op.size)
	}
	return applyWrite(b, op.off, op.data)
}

func applyWrite(b []byte, off int64, p []byte) []byte {
	end := off + int64(len(p))
	if end > int64(len(b)) {
		b = applyTruncate(b, end)
	}
	copy(b[off:], p)
	return b
}

func applyTruncate(b []byte, size int64) []byte {
	if size <= int64(len(b)) {
		return b[:size]
	}
	if size <= int64(cap(b)) {
		old := len(b)
		b = b[:size]
		clear(b[old:])
		return b
	}
	return append(b, make([]byte, size-int64(len(b)))...)
}

func (n *memNode) info(name string) os.FileInfo {
	if n.dir {
		return memInfo{name: name, mode: os.ModeDir | 0o755, dir: true}
	}
	return memInfo{name: name, size: int64(len(n.data)), mode: 0o644}
}

type memInfo struct {
	name string
	size int64
	mode os.FileMode
	dir  bool
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() os.FileMode  { return i.mode }
func (i memInfo) ModTime() time.Time { return time.Time{} } // fixed, for determinism
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

// memFile is an open handle on a Mem node.
type memFile struct {
	m      *Mem
	node   *memNode
	name   string
	flag   int
	pos    int64
	closed bool
}

func (f *memFile) check(op string, write bool) error {
	if f.closed {
		return &os.PathError{Op: op, Path: f.name, Err: ErrClosed}
	}
	if f.node.dir {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EISDIR}
	}
	w := f.flag&(os.O_WRONLY|os.O_RDWR) != 0
	r := f.flag&os.O_WRONLY == 0
	if write && !w || !write && !r {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EBADF}
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if f.pos >= int64(len(f.node.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.node.data[f.pos:])
	f.pos += int64(n)
	return n, nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: syscall.EINVAL}
	}
	if off >= int64(len(f.node.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.m.mutate("write", f.name); err != nil {
		return 0, err
	}
	if f.flag&os.O_APPEND != 0 {
		f.pos = int64(len(f.node.data))
	}
	f.node.write(f.pos, p)
	f.pos += int64(len(p))
	return len(p), nil
}

// errWriteAtInAppendMode is what WriteAt returns on a handle opened with
// O_APPEND, where os.File refuses it too: the two disagree on where the
// bytes would go.
var errWriteAtInAppendMode = errors.New("WriteAt on a file opened with O_APPEND")

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if f.flag&os.O_APPEND != 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: errWriteAtInAppendMode}
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: syscall.EINVAL}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if err := f.m.mutate("write", f.name); err != nil {
		return 0, err
	}
	f.node.write(off, p)
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return &os.PathError{Op: "sync", Path: f.name, Err: ErrClosed}
	}
	if err := f.m.mutate("sync", f.name); err != nil {
		return err
	}
	f.node.sync()
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return &os.PathError{Op: "truncate", Path: f.name, Err: syscall.EINVAL}
	}
	if err := f.m.mutate("truncate", f.name); err != nil {
		return err
	}
	f.m.truncate(f.node, size)
	return nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return &os.PathError{Op: "close", Path: f.name, Err: ErrClosed}
	}
	f.closed = true
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return nil, &os.PathError{Op: "stat", Path: f.name, Err: ErrClosed}
	}
	return f.node.info(path.Base(clean(f.name))), nil
}
