package fs

import (
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// ErrHalted is returned by every mutating operation of a Mem after the crash
// point set by [Mem.HaltAfter] has been reached: the machine is down, nothing
// more reaches its disk.
var ErrHalted = errors.New("fs.Mem: machine halted at its crash point")

// Mem is an in-memory file system with POSIX semantics that remembers what is
// durable, so that [Mem.Crash] can produce what a machine would find after a
// power loss.
//
// Each file has durable content (as of its last Sync) and the volatile writes
// and truncations made since. Each directory has durable entries (as of its
// last SyncDir) and the volatile creations, removals and renames made since.
// A new file is therefore not durable until its directory is synced, even
// when the file itself was synced: the strictest reading of POSIX, which is
// what a storage engine must survive.
//
// Mem also remembers freed content: what a disk's free blocks may still hold,
// which a [CrashReordered] crash can show inside a file (see [CrashMode]).
// Content is freed, as it was at that instant (volatile bytes included), when
//   - a file loses its last name (Remove, or a Rename over it): all its bytes,
//     at their offsets from 0;
//   - a truncation, or an O_TRUNC open, shortens a file: the bytes cut off,
//     at the offsets they had, remembered as that file's own;
//   - a crash loses every name of a file: the result of Crash frees its bytes.
//
// A crash that undoes the (unsynced) removal or truncation that freed some
// content still offers that content, so the same bytes may show both in
// their file and as stale bytes elsewhere: harsher than a real disk, which
// reuses a block only once its freeing is durable.
//
// The memory is bounded: Mem keeps the most recent 256 extents holding at
// most 1 MiB in total, forgetting the oldest first; an extent longer than
// 1 MiB keeps its first 1 MiB (the bytes nearest the cut, where a file
// regrows). Crash carries the freed content over to its result (a power loss
// does not erase a disk); Corrupt does not touch it.
//
// Mem counts mutating operations (creating open, write, truncate, sync,
// remove, rename, mkdir, syncdir, lock) so a test can stop the machine exactly
// after the k-th one ([Mem.HaltAfter]). It is safe for concurrent use; a
// single mutex serialises every operation.
type Mem struct {
	mu     sync.Mutex
	root   *memNode
	ops    uint64
	haltAt uint64 // 0: never
	locks  map[string]bool
	lastID uint64 // the id of the newest node

	// freed is the freed content, oldest first, within the bounds
	// memFreedMaxExtents and memFreedMaxBytes; freedBytes is the sum of the
	// lengths of its data. Extents are never modified once added, so a crash
	// result shares them.
	freed      []freedExtent
	freedBytes int
}

// memNode is a file or a directory. Open handles keep a pointer to their node,
// so an unlinked file stays readable through them, as on POSIX.
type memNode struct {
	dir bool
	// id names the node in freed extents (a pointer there would keep a
	// removed file's content alive); a crash result keeps the ids.
	id uint64
	// nlink counts the live directory entries naming the node: a file's
	// content is freed when the last one goes. It is 2 only for a file whose
	// rename was half undone by a crash.
	nlink int

	// Directories: the entries as they are now, and as of the last SyncDir.
	live, durable map[string]*memNode

	// Files: the content as it is now, as of the last Sync, and the
	// operations between the two, oldest first.
	data    []byte
	synced  []byte
	pending []memOp
}

// NewMem returns an empty in-memory file system holding only the root
// directory "/". Relative names are resolved against the root.
func NewMem() *Mem {
	return &Mem{root: newDirNode(0), locks: map[string]bool{}}
}

func newDirNode(id uint64) *memNode {
	return &memNode{dir: true, id: id, live: map[string]*memNode{}, durable: map[string]*memNode{}}
}

// newID returns the id of a new node. Called with m.mu held.
func (m *Mem) newID() uint64 {
	m.lastID++
	return m.lastID
}

// link names n in dir. Called with m.mu held.
func (m *Mem) link(dir *memNode, name string, n *memNode) {
	dir.live[name] = n
	n.nlink++
}

// unlink removes the name from dir and frees the content of a file that
// had no other name. Called with m.mu held.
func (m *Mem) unlink(dir *memNode, name string) {
	n := dir.live[name]
	delete(dir.live, name)
	n.nlink--
	if n.nlink == 0 && !n.dir {
		m.free(n.id, 0, n.data)
	}
}

// Ops returns the number of mutating operations performed so far.
func (m *Mem) Ops() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ops
}

// HaltAfter stops the machine after k more mutating operations: the k
// operations succeed, every later mutating operation fails with ErrHalted and
// changes nothing. HaltAfter(0) halts at once. A test then calls Crash to see
// what survived.
func (m *Mem) HaltAfter(k uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.haltAt = m.ops + k + 1
}

// Halted reports whether the crash point set by HaltAfter has been reached.
func (m *Mem) Halted() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.haltAt != 0 && m.ops+1 >= m.haltAt
}

// mutate counts one mutating operation, or refuses it past the crash point.
// Called with m.mu held.
func (m *Mem) mutate(op, name string) error {
	if m.haltAt != 0 && m.ops+1 >= m.haltAt {
		return &os.PathError{Op: op, Path: name, Err: ErrHalted}
	}
	m.ops++
	return nil
}

// clean turns a name into a slash-separated absolute path.
func clean(name string) string {
	return path.Clean("/" + filepath.ToSlash(name))
}

// lookup returns the node at p (nil if absent) and its parent directory (nil
// if a parent component is missing or is not a directory).
func (m *Mem) lookup(p string) (node, parent *memNode, base string) {
	if p == "/" {
		return m.root, nil, "/"
	}
	dir, base := path.Split(p)
	parent = m.root
	for _, c := range splitPath(dir) {
		next := parent.live[c]
		if next == nil || !next.dir {
			return nil, nil, base
		}
		parent = next
	}
	return parent.live[base], parent, base
}

func splitPath(p string) []string {
	var parts []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			parts = append(parts, c)
		}
	}
	return parts
}

// OpenFile implements FS.
func (m *Mem) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	node, parent, base := m.lookup(p)
	if parent == nil && node == nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: ErrNotExist}
	}
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	switch {
	case node == nil && flag&os.O_CREATE == 0:
		return nil, &os.PathError{Op: "open", Path: name, Err: ErrNotExist}
	case node != nil && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &os.PathError{Op: "open", Path: name, Err: ErrExist}
	case node != nil && node.dir && writable:
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	case node == nil:
		if err := m.mutate("open", name); err != nil {
			return nil, err
		}
		node = &memNode{id: m.newID()}
		m.link(parent, base, node)
	case flag&os.O_TRUNC != 0 && writable && len(node.data) > 0:
		if err := m.mutate("open", name); err != nil {
			return nil, err
		}
		m.truncate(node, 0)
	}
	return &memFile{m: m, node: node, name: name, flag: flag}, nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (os.FileInfo, error) {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	node, _, base := m.lookup(p)
	if node == nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: ErrNotExist}
	}
	return node.info(base), nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	node, parent, base := m.lookup(p)
	if node == nil || parent == nil {
		return &os.PathError{Op: "remove", Path: name, Err: ErrNotExist}
	}
	if node.dir && len(node.live) > 0 {
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
	}
	if err := m.mutate("remove", name); err != nil {
		return err
	}
	m.unlink(parent, base)
	return nil
}

// Rename implements FS.
func (m *Mem) Rename(oldname, newname string) error {
	op, np := clean(oldname), clean(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	node, oparent, obase := m.lookup(op)
	if node == nil || oparent == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: ErrNotExist}
	}
	target, nparent, nbase := m.lookup(np)
	if nparent == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: ErrNotExist}
	}
	if target == node {
		return nil
	}
	if target != nil {
		switch {
		case target.dir && !node.dir:
			return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.EISDIR}
		case !target.dir && node.dir:
			return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.ENOTDIR}
		case target.dir && len(target.live) > 0:
			return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.ENOTEMPTY}
		}
	}
	if node.dir && (np == op || len(np) > len(op) && np[:len(op)+1] == op+"/") {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.EINVAL}
	}
	if err := m.mutate("rename", oldname); err != nil {
		return err
	}
	if target != nil {
		m.unlink(nparent, nbase)
	}
	m.link(nparent, nbase, node) // before the unlink: node keeps a name throughout
	m.unlink(oparent, obase)
	return nil
}

// ReadDir implements FS.
func (m *Mem) ReadDir(dir string) ([]string, error) {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	node, _, _ := m.lookup(p)
	if node == nil {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: ErrNotExist}
	}
	if !node.dir {
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: syscall.ENOTDIR}
	}
	names := make([]string, 0, len(node.live))
	for n := range node.live {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll implements FS. It counts as one mutating operation when it creates
// anything.
func (m *Mem) MkdirAll(dir string, perm os.FileMode) error {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.root
	counted := false
	for _, c := range splitPath(p) {
		next := cur.live[c]
		if next == nil {
			if !counted {
				if err := m.mutate("mkdir", dir); err != nil {
					return err
				}
				counted = true
			}
			next = newDirNode(m.newID())
			m.link(cur, c, next)
		} else if !next.dir {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		cur = next
	}
	return nil
}

// SyncDir implements FS: the directory's current entries become its durable
// ones.
func (m *Mem) SyncDir(dir string) error {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	node, _, _ := m.lookup(p)
	if node == nil {
		return &os.PathError{Op: "syncdir", Path: dir, Err: ErrNotExist}
	}
	if !node.dir {
		return &os.PathError{Op: "syncdir", Path: dir, Err: syscall.ENOTDIR}
	}
	if err := m.mutate("syncdir", dir); err != nil {
		return err
	}
	node.durable = cloneEntries(node.live)
	return nil
}

func cloneEntries(src map[string]*memNode) map[string]*memNode {
	dst := make(map[string]*memNode, len(src))
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// Lock implements FS. Like OS it creates dir/LOCK; the lock itself lives in
// this Mem and is not carried over by Crash.
func (m *Mem) Lock(dir string) (io.Closer, error) {
	p := clean(dir)
	m.mu.Lock()
	node, _, _ := m.lookup(p)
	switch {
	case node == nil:
		m.mu.Unlock()
		return nil, &os.PathError{Op: "lock", Path: dir, Err: ErrNotExist}
	case !node.dir:
		m.mu.Unlock()
		return nil, &os.PathError{Op: "lock", Path: dir, Err: syscall.ENOTDIR}
	case m.locks[p]:
		m.mu.Unlock()
		return nil, &os.PathError{Op: "lock", Path: dir, Err: ErrLocked}
	}
	if node.live[LockFileName] == nil {
		if err := m.mutate("lock", dir); err != nil {
			m.mu.Unlock()
			return nil, err
		}
		m.link(node, LockFileName, &memNode{id: m.newID()})
	}
	m.locks[p] = true
	m.mu.Unlock()
	var once sync.Once
	return closerFunc(func() error {
		once.Do(func() {
			m.mu.Lock()
			delete(m.locks, p)
			m.mu.Unlock()
		})
		return nil
	}), nil
}

func (f *memFile) Name() string { return f.name }

// Corrupt XORs mask into the byte at off of the named file, in its current
// and its durable content alike: damage at rest, such as a bit flip on the
// medium, which no crash can undo. It is not a mutating operation (it does
// not count toward HaltAfter). Offsets past either content are left alone.
func (m *Mem) Corrupt(name string, off int64, mask byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	node, _, _ := m.lookup(clean(name))
	if node == nil || node.dir {
		return &os.PathError{Op: "corrupt", Path: name, Err: ErrNotExist}
	}
	if off < 0 {
		return &os.PathError{Op: "corrupt", Path: name, Err: syscall.EINVAL}
	}
	if off < int64(len(node.data)) {
		node.data[off] ^= mask
	}
	if off < int64(len(node.synced)) {
		node.synced[off] ^= mask
	}
	for i := range node.pending {
		op := &node.pending[i]
		if !op.truncate && off >= op.off && off < op.off+int64(len(op.data)) {
			op.data[off-op.off] ^= mask
		}
	}
	return nil
}
