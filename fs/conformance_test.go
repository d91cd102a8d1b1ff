package fs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spf13/afero"
)

// conformanceImpl is one FS under test: setup returns it with a fresh, empty
// directory that the case may use as it likes.
type conformanceImpl struct {
	name  string
	setup func(t *testing.T) (FS, string)
}

var conformanceImpls = []conformanceImpl{
	{"os", func(t *testing.T) (FS, string) { return OS(), t.TempDir() }},
	{"mem", func(t *testing.T) (FS, string) {
		m := NewMem()
		if err := m.MkdirAll("/data", 0o755); err != nil {
			t.Fatalf("MkdirAll(/data) = %v, want nil", err)
		}
		return m, "/data"
	}},
	{"afero-os", func(t *testing.T) (FS, string) { return Afero(afero.NewOsFs()), t.TempDir() }},
}

type conformanceCase struct {
	name string
	run  func(t *testing.T, fsys FS, dir string)
}

var conformanceCases = []conformanceCase{
	{"WriteThenRead", testWriteThenRead},
	{"AppendLandsAtEnd", testAppendLandsAtEnd},
	{"OpenFlags", testOpenFlags},
	{"ReadAtConcurrentWithAppend", testReadAtConcurrentWithAppend},
	{"Truncate", testTruncate},
	{"RenameReplaces", testRenameReplaces},
	{"Remove", testRemove},
	{"ReadDirSorted", testReadDirSorted},
	{"MkdirAllSyncDir", testMkdirAllSyncDir},
	{"Lock", testLock},
	{"LockConcurrentOneWinner", testLockConcurrentOneWinner},
	{"LockStaleCloseKeepsNewHolder", testLockStaleClose},
	{"ClosedHandle", testClosedHandle},
	{"ReadOnlyHandleAndSync", testReadOnlyHandleAndSync},
	{"ReadFileWriteFile", testReadFileWriteFile},
}

// TestConformance runs every case against every implementation: they must
// all behave the same.
func TestConformance(t *testing.T) {
	for _, impl := range conformanceImpls {
		t.Run(impl.name, func(t *testing.T) {
			for _, c := range conformanceCases {
				t.Run(c.name, func(t *testing.T) {
					fsys, dir := impl.setup(t)
					c.run(t, fsys, dir)
				})
			}
		})
	}
}

// --- helpers shared by the cases ---

func mustOpen(t *testing.T, fsys FS, name string, flag int) File {
	t.Helper()
	f, err := fsys.OpenFile(name, flag, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(%s, %#x) = %v, want nil", name, flag, err)
	}
	return f
}

func mustWrite(t *testing.T, f File, p []byte) {
	t.Helper()
	n, err := f.Write(p)
	if err != nil || n != len(p) {
		t.Fatalf("Write(%d bytes) to %s = (%d, %v), want (%d, nil)", len(p), f.Name(), n, err, len(p))
	}
}

func mustClose(t *testing.T, c io.Closer) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v, want nil", err)
	}
}

func mustWriteFile(t *testing.T, fsys FS, name string, data []byte) {
	t.Helper()
	if err := WriteFile(fsys, name, data, 0o644); err != nil {
		t.Fatalf("WriteFile(%s, %d bytes) = %v, want nil", name, len(data), err)
	}
}

func mustReadFile(t *testing.T, fsys FS, name string) []byte {
	t.Helper()
	b, err := ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("ReadFile(%s) = %v, want nil", name, err)
	}
	return b
}

func wantContent(t *testing.T, fsys FS, name string, want []byte) {
	t.Helper()
	if got := mustReadFile(t, fsys, name); !bytes.Equal(got, want) {
		t.Fatalf("content of %s:\n got %q (%d bytes)\nwant %q (%d bytes)", name, clip(got), len(got), clip(want), len(want))
	}
}

func wantErrIs(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s = %v, want an error satisfying errors.Is(err, %v)", what, err, target)
	}
}

func wantSize(t *testing.T, fsys FS, f File, want int64) {
	t.Helper()
	fi, err := fsys.Stat(f.Name())
	if err != nil {
		t.Fatalf("Stat(%s) = %v, want nil", f.Name(), err)
	}
	if fi.Size() != want {
		t.Fatalf("Stat(%s).Size() = %d, want %d", f.Name(), fi.Size(), want)
	}
	fi, err = f.Stat()
	if err != nil {
		t.Fatalf("File(%s).Stat() = %v, want nil", f.Name(), err)
	}
	if fi.Size() != want {
		t.Fatalf("File(%s).Stat().Size() = %d, want %d", f.Name(), fi.Size(), want)
	}
}

// clip shortens long byte strings in failure messages.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return append(slices.Clone(b[:64]), "..."...)
	}
	return b
}

// pattern returns n bytes that differ from their neighbours and from zero.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) + 1 + seed
		if b[i] == 0 {
			b[i] = 1
		}
	}
	return b
}

// --- the cases ---

func testWriteThenRead(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	data := []byte("hello, world: 0123456789")
	w := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	mustWrite(t, w, data[:10])
	mustWrite(t, w, data[10:]) // continues at the handle's position
	// The handle's position is at the end now.
	if n, err := w.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read at end of a written handle = (%d, %v), want (0, io.EOF)", n, err)
	}
	if w.Name() != name {
		t.Fatalf("Name() = %q, want %q", w.Name(), name)
	}
	wantSize(t, fsys, w, int64(len(data)))
	fi, err := w.Stat()
	if err != nil {
		t.Fatalf("File.Stat() = %v, want nil", err)
	}
	if fi.Name() != "f" || fi.IsDir() {
		t.Fatalf("File.Stat() = (name %q, dir %v), want (\"f\", false)", fi.Name(), fi.IsDir())
	}
	mustClose(t, w)

	r := mustOpen(t, fsys, name, os.O_RDONLY)
	defer r.Close()
	buf := make([]byte, 4)
	if n, err := io.ReadFull(r, buf); n != 4 || err != nil || string(buf) != "hell" {
		t.Fatalf("first Read = (%d, %v, %q), want (4, nil, \"hell\")", n, err, buf[:n])
	}

	// ReadAt at several offsets, none of which moves the handle's position.
	for _, off := range []int{0, 1, 7, 13, len(data) - 4} {
		p := make([]byte, 4)
		n, err := r.ReadAt(p, int64(off))
		if n != 4 || err != nil || !bytes.Equal(p, data[off:off+4]) {
			t.Fatalf("ReadAt(4 bytes, off %d) = (%d, %v, %q), want (4, nil, %q)", off, n, err, p[:n], data[off:off+4])
		}
	}
	// Exactly up to the end: all bytes, and nil or io.EOF are both allowed by
	// io.ReaderAt; the bytes must be right.
	p := make([]byte, 4)
	if n, err := r.ReadAt(p, int64(len(data)-4)); n != 4 || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt ending at EOF = (%d, %v), want (4, nil or io.EOF)", n, err)
	}
	// Past EOF.
	for _, off := range []int64{int64(len(data)), int64(len(data)) + 5, 1 << 20} {
		n, err := r.ReadAt(make([]byte, 8), off)
		if n != 0 || err != io.EOF {
			t.Fatalf("ReadAt(8 bytes, off %d) past EOF (size %d) = (%d, %v), want (0, io.EOF)", off, len(data), n, err)
		}
	}
	// Straddling EOF: the available bytes and io.EOF.
	p = make([]byte, 8)
	off := len(data) - 3
	if n, err := r.ReadAt(p, int64(off)); n != 3 || err != io.EOF || !bytes.Equal(p[:3], data[off:]) {
		t.Fatalf("ReadAt(8 bytes, off %d) straddling EOF (size %d) = (%d, %v, %q), want (3, io.EOF, %q)", off, len(data), n, err, p[:n], data[off:])
	}

	// Sequential reading resumes where it was.
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[4:]) {
		t.Fatalf("Read after ReadAts = (%q, %v), want (%q, nil): ReadAt moved the position?", rest, err, data[4:])
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read at EOF = (%d, %v), want (0, io.EOF)", n, err)
	}
}

func testAppendLandsAtEnd(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	mustWriteFile(t, fsys, name, []byte("abc"))
	a := mustOpen(t, fsys, name, os.O_WRONLY|os.O_APPEND)
	defer a.Close()
	b := mustOpen(t, fsys, name, os.O_WRONLY)
	defer b.Close()

	mustWrite(t, b, []byte("XYZ12")) // at b's position 0: overwrites, grows to 5
	wantContent(t, fsys, name, []byte("XYZ12"))
	mustWrite(t, a, []byte("!!")) // at the end, not at a's position 0
	wantContent(t, fsys, name, []byte("XYZ12!!"))
	mustWrite(t, b, []byte("Q")) // b's own position, 5
	wantContent(t, fsys, name, []byte("XYZ12Q!"))
	mustWrite(t, a, []byte("?")) // the end again
	wantContent(t, fsys, name, []byte("XYZ12Q!?"))

	// An O_APPEND handle opened for reading too still appends.
	c := mustOpen(t, fsys, name, os.O_RDWR|os.O_APPEND)
	defer c.Close()
	mustWrite(t, c, []byte("$"))
	wantContent(t, fsys, name, []byte("XYZ12Q!?$"))
}

func testOpenFlags(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	missing := filepath.Join(dir, "missing")
	mustWriteFile(t, fsys, name, []byte("data"))

	_, err := fsys.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	wantErrIs(t, "OpenFile(existing, O_CREATE|O_EXCL)", err, ErrExist)
	wantContent(t, fsys, name, []byte("data"))

	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_RDWR | os.O_TRUNC, os.O_WRONLY | os.O_APPEND} {
		_, err := fsys.OpenFile(missing, flag, 0o644)
		wantErrIs(t, fmt.Sprintf("OpenFile(missing, %#x)", flag), err, ErrNotExist)
	}
	_, err = fsys.Stat(missing)
	wantErrIs(t, "Stat(missing) after failed opens", err, ErrNotExist)
	_, err = fsys.OpenFile(filepath.Join(dir, "nodir", "f"), os.O_CREATE|os.O_WRONLY, 0o644)
	wantErrIs(t, "OpenFile(in a missing directory, O_CREATE)", err, ErrNotExist)

	// O_CREATE|O_EXCL on a missing file creates it, empty.
	f := mustOpen(t, fsys, missing, os.O_CREATE|os.O_EXCL|os.O_RDWR)
	wantSize(t, fsys, f, 0)
	mustClose(t, f)

	// O_CREATE without O_EXCL on an existing file keeps its content.
	f = mustOpen(t, fsys, name, os.O_CREATE|os.O_RDWR)
	wantSize(t, fsys, f, 4)
	mustClose(t, f)

	// O_TRUNC empties it.
	f = mustOpen(t, fsys, name, os.O_WRONLY|os.O_TRUNC)
	wantSize(t, fsys, f, 0)
	mustClose(t, f)
	wantContent(t, fsys, name, []byte{})
}

func testReadAtConcurrentWithAppend(t *testing.T, fsys FS, dir string) {
	const (
		records = 2000
		size    = 64
		readers = 4
	)
	record := func(i int) []byte {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(i*7 + j*13 + i>>8)
		}
		copy(b, fmt.Sprintf("#%06d", i))
		return b
	}
	name := filepath.Join(dir, "log")
	// One handle for the writer and the readers: ReadAt must neither see a
	// torn record nor move the position that Write uses.
	f := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	defer f.Close()

	var written atomic.Int64 // records completely written
	var failed atomic.Bool   // a reader saw an error: stop everyone
	errs := make(chan error, readers+1)
	var wg sync.WaitGroup

	wg.Go(func() {
		for i := range records {
			if failed.Load() {
				return
			}
			if n, err := f.Write(record(i)); n != size || err != nil {
				errs <- fmt.Errorf("write of record %d = (%d, %v), want (%d, nil)", i, n, err, size)
				failed.Store(true)
				return
			}
			written.Store(int64(i + 1))
		}
	})
	for g := range readers {
		wg.Go(func() {
			p := make([]byte, size)
			check := func(i int) bool {
				n, err := f.ReadAt(p, int64(i)*size)
				if n != size || err != nil || !bytes.Equal(p, record(i)) {
					errs <- fmt.Errorf("reader %d: ReadAt(record %d, off %d) with %d records written = (%d, %v, %q), want (%d, nil, %q)",
						g, i, i*size, written.Load(), n, err, p[:n], size, record(i))
					failed.Store(true)
					return false
				}
				return true
			}
			for i := range records {
				for written.Load() <= int64(i) { // wait for record i
					if failed.Load() {
						return
					}
					runtime.Gosched()
				}
				// The newest complete record, and an older one that
				// differs per reader.
				if !check(i) || !check((i*31+g*17)%(i+1)) {
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	wantSize(t, fsys, f, records*size)
	want := make([]byte, 0, records*size)
	for i := range records {
		want = append(want, record(i)...)
	}
	wantContent(t, fsys, name, want)
}

func testTruncate(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	data := pattern(1000, 0)
	f := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE)
	defer f.Close()
	mustWrite(t, f, data)

	if err := f.Truncate(300); err != nil {
		t.Fatalf("Truncate(300) = %v, want nil", err)
	}
	wantSize(t, fsys, f, 300)
	wantContent(t, fsys, name, data[:300])

	// Growing zero-fills: the bytes cut above must not come back.
	if err := f.Truncate(800); err != nil {
		t.Fatalf("Truncate(800) = %v, want nil", err)
	}
	wantSize(t, fsys, f, 800)
	want := append(slices.Clone(data[:300]), make([]byte, 500)...)
	wantContent(t, fsys, name, want)

	// Truncate leaves the handle's position (1000) alone: a write there
	// leaves a zero-filled gap.
	mustWrite(t, f, []byte("Z"))
	want = append(want, make([]byte, 200)...)
	want = append(want, 'Z')
	wantSize(t, fsys, f, 1001)
	wantContent(t, fsys, name, want)

	if err := f.Truncate(0); err != nil {
		t.Fatalf("Truncate(0) = %v, want nil", err)
	}
	wantSize(t, fsys, f, 0)
	if n, err := f.ReadAt(make([]byte, 1), 0); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt(off 0) after Truncate(0) = (%d, %v), want (0, io.EOF)", n, err)
	}
}

func testRenameReplaces(t *testing.T, fsys FS, dir string) {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustWriteFile(t, fsys, a, []byte("new content"))
	mustWriteFile(t, fsys, b, []byte("old"))
	if err := fsys.Rename(a, b); err != nil {
		t.Fatalf("Rename(a, b) = %v, want nil", err)
	}
	wantContent(t, fsys, b, []byte("new content"))
	_, err := fsys.Stat(a)
	wantErrIs(t, "Stat(a) after Rename(a, b)", err, ErrNotExist)
	names, err := fsys.ReadDir(dir)
	if err != nil || !slices.Equal(names, []string{"b"}) {
		t.Fatalf("ReadDir after Rename(a, b) = (%q, %v), want ([b], nil)", names, err)
	}
	err = fsys.Rename(a, filepath.Join(dir, "c"))
	wantErrIs(t, "Rename(missing, c)", err, ErrNotExist)

	// Rename into a subdirectory.
	sub := filepath.Join(dir, "sub")
	if err := fsys.MkdirAll(sub, 0o755); err != nil {
		t.Fatalf("MkdirAll(sub) = %v, want nil", err)
	}
	if err := fsys.Rename(b, filepath.Join(sub, "c")); err != nil {
		t.Fatalf("Rename(b, sub/c) = %v, want nil", err)
	}
	wantContent(t, fsys, filepath.Join(sub, "c"), []byte("new content"))
	_, err = fsys.Stat(b)
	wantErrIs(t, "Stat(b) after Rename(b, sub/c)", err, ErrNotExist)
}

func testRemove(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	mustWriteFile(t, fsys, name, []byte("doomed"))
	r := mustOpen(t, fsys, name, os.O_RDONLY)
	defer r.Close()
	if err := fsys.Remove(name); err != nil {
		t.Fatalf("Remove(f) = %v, want nil", err)
	}
	_, err := fsys.Stat(name)
	wantErrIs(t, "Stat(f) after Remove", err, ErrNotExist)
	_, err = fsys.OpenFile(name, os.O_RDONLY, 0)
	wantErrIs(t, "OpenFile(f) after Remove", err, ErrNotExist)
	err = fsys.Remove(name)
	wantErrIs(t, "second Remove(f)", err, ErrNotExist)
	// A handle opened before the removal still reads the data (POSIX).
	p := make([]byte, 6)
	if n, err := r.ReadAt(p, 0); n != 6 || (err != nil && err != io.EOF) || string(p) != "doomed" {
		t.Fatalf("ReadAt through a handle on a removed file = (%d, %v, %q), want (6, nil, \"doomed\")", n, err, p[:n])
	}
	// An empty directory can be removed too.
	sub := filepath.Join(dir, "sub")
	if err := fsys.MkdirAll(sub, 0o755); err != nil {
		t.Fatalf("MkdirAll(sub) = %v, want nil", err)
	}
	if err := fsys.Remove(sub); err != nil {
		t.Fatalf("Remove(empty dir) = %v, want nil", err)
	}
	_, err = fsys.Stat(sub)
	wantErrIs(t, "Stat(sub) after Remove", err, ErrNotExist)
	if names, err := fsys.ReadDir(dir); err != nil || len(names) != 0 {
		t.Fatalf("ReadDir after removing everything = (%q, %v), want ([], nil)", names, err)
	}
}

func testReadDirSorted(t *testing.T, fsys FS, dir string) {
	for _, n := range []string{"b", "a", "c10", "c2"} {
		mustWriteFile(t, fsys, filepath.Join(dir, n), []byte(n))
	}
	if err := fsys.MkdirAll(filepath.Join(dir, "B"), 0o755); err != nil {
		t.Fatalf("MkdirAll(B) = %v, want nil", err)
	}
	want := []string{"B", "a", "b", "c10", "c2"}
	for range 3 { // the same every time
		names, err := fsys.ReadDir(dir)
		if err != nil || !slices.Equal(names, want) {
			t.Fatalf("ReadDir = (%q, %v), want (%q, nil)", names, err, want)
		}
	}
	_, err := fsys.ReadDir(filepath.Join(dir, "missing"))
	wantErrIs(t, "ReadDir(missing)", err, ErrNotExist)
}

func testMkdirAllSyncDir(t *testing.T, fsys FS, dir string) {
	parent := filepath.Join(dir, "x", "y")
	leaf := filepath.Join(parent, "z")
	if err := fsys.MkdirAll(leaf, 0o755); err != nil {
		t.Fatalf("MkdirAll(x/y/z) = %v, want nil", err)
	}
	for _, d := range []string{filepath.Join(dir, "x"), parent, leaf} {
		fi, err := fsys.Stat(d)
		if err != nil || !fi.IsDir() {
			t.Fatalf("Stat(%s) after MkdirAll = (%v, %v), want a directory", d, fi, err)
		}
	}
	if err := fsys.MkdirAll(leaf, 0o755); err != nil {
		t.Fatalf("MkdirAll of an existing directory = %v, want nil", err)
	}
	mustWriteFile(t, fsys, filepath.Join(leaf, "f"), []byte("x"))
	for _, d := range []string{leaf, parent, dir} {
		if err := fsys.SyncDir(d); err != nil {
			t.Fatalf("SyncDir(%s) = %v, want nil", d, err)
		}
	}
	if names, err := fsys.ReadDir(leaf); err != nil || !slices.Equal(names, []string{"f"}) {
		t.Fatalf("ReadDir(x/y/z) = (%q, %v), want ([f], nil)", names, err)
	}
	err := fsys.SyncDir(filepath.Join(dir, "missing"))
	wantErrIs(t, "SyncDir(missing)", err, ErrNotExist)
	err = fsys.SyncDir(filepath.Join(dir, "missing", "deeper"))
	wantErrIs(t, "SyncDir(missing/deeper)", err, ErrNotExist)
	// MkdirAll through a file fails.
	if err := fsys.MkdirAll(filepath.Join(leaf, "f", "g"), 0o755); err == nil {
		t.Fatalf("MkdirAll(x/y/z/f/g) where f is a file = nil, want an error")
	}
}

func testLock(t *testing.T, fsys FS, dir string) {
	l1, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("first Lock(dir) = %v, want nil", err)
	}
	_, err = fsys.Lock(dir)
	wantErrIs(t, "second Lock(dir) while held", err, ErrLocked)
	// The same directory under another spelling is the same lock.
	_, err = fsys.Lock(dir + "/.")
	wantErrIs(t, "Lock(dir/.) while dir is held", err, ErrLocked)

	other := filepath.Join(dir, "other")
	if err := fsys.MkdirAll(other, 0o755); err != nil {
		t.Fatalf("MkdirAll(other) = %v, want nil", err)
	}
	l2, err := fsys.Lock(other)
	if err != nil {
		t.Fatalf("Lock(other) while dir is held = %v, want nil", err)
	}
	mustClose(t, l1)
	l3, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) after the holder closed = %v, want nil", err)
	}
	_, err = fsys.Lock(other)
	wantErrIs(t, "second Lock(other) while held", err, ErrLocked)
	mustClose(t, l3)
	mustClose(t, l2)

	_, err = fsys.Lock(filepath.Join(dir, "missing"))
	wantErrIs(t, "Lock(missing)", err, ErrNotExist)
}

func testLockConcurrentOneWinner(t *testing.T, fsys FS, dir string) {
	const n = 8
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		holders []io.Closer
		others  []error
	)
	for range n {
		wg.Go(func() {
			<-start
			l, err := fsys.Lock(dir)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				holders = append(holders, l)
			} else {
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(holders) != 1 {
		t.Fatalf("%d concurrent Locks of one directory: %d succeeded, want exactly 1", n, len(holders))
	}
	for _, err := range others {
		wantErrIs(t, "a losing concurrent Lock", err, ErrLocked)
	}
	mustClose(t, holders[0])
}

// testLockStaleClose: closing a lock a second time, after someone else took
// the directory, must not release the new holder's lock.
func testLockStaleClose(t *testing.T, fsys FS, dir string) {
	l1, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) = %v, want nil", err)
	}
	mustClose(t, l1)
	l2, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) after release = %v, want nil", err)
	}
	defer l2.Close()
	_ = l1.Close() // stale: may fail or not, but must not touch l2's lock
	_, err = fsys.Lock(dir)
	wantErrIs(t, "Lock(dir) held by a new holder after the old holder's second Close", err, ErrLocked)
}

func testClosedHandle(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	f := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, []byte("some bytes"))
	mustClose(t, f)

	_, err := f.Read(make([]byte, 4))
	wantErrIs(t, "Read after Close", err, ErrClosed)
	_, err = f.ReadAt(make([]byte, 4), 0)
	wantErrIs(t, "ReadAt after Close", err, ErrClosed)
	n, err := f.Write([]byte("more"))
	wantErrIs(t, "Write after Close", err, ErrClosed)
	if n != 0 {
		t.Fatalf("Write after Close wrote %d bytes, want 0", n)
	}
	wantErrIs(t, "second Close", f.Close(), ErrClosed)
	wantContent(t, fsys, name, []byte("some bytes"))
}

func testReadOnlyHandleAndSync(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	w := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE)
	defer w.Close()
	mustWrite(t, w, []byte("durable"))
	if err := w.Sync(); err != nil {
		t.Fatalf("Sync on a read-write handle = %v, want nil", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		t.Fatalf("SyncDir(dir) = %v, want nil", err)
	}

	r := mustOpen(t, fsys, name, os.O_RDONLY)
	defer r.Close()
	if n, err := r.Write([]byte("x")); err == nil || n != 0 {
		t.Fatalf("Write on a read-only handle = (%d, %v), want (0, an error)", n, err)
	}
	if err := r.Truncate(0); err == nil {
		t.Fatalf("Truncate on a read-only handle = nil, want an error")
	}
	if err := r.Sync(); err != nil {
		t.Fatalf("Sync on a read-only handle = %v, want nil", err)
	}
	wantContent(t, fsys, name, []byte("durable"))

	wo := mustOpen(t, fsys, name, os.O_WRONLY)
	defer wo.Close()
	if n, err := wo.Read(make([]byte, 1)); err == nil || n != 0 {
		t.Fatalf("Read on a write-only handle = (%d, %v), want (0, an error)", n, err)
	}
}

func testReadFileWriteFile(t *testing.T, fsys FS, dir string) {
	name := filepath.Join(dir, "f")
	big := pattern(10_000, 3)
	mustWriteFile(t, fsys, name, big)
	wantContent(t, fsys, name, big)
	// WriteFile truncates what was there.
	mustWriteFile(t, fsys, name, []byte("short"))
	wantContent(t, fsys, name, []byte("short"))
	mustWriteFile(t, fsys, name, nil)
	wantContent(t, fsys, name, []byte{})
	_, err := ReadFile(fsys, filepath.Join(dir, "missing"))
	wantErrIs(t, "ReadFile(missing)", err, ErrNotExist)
	err = WriteFile(fsys, filepath.Join(dir, "nodir", "f"), []byte("x"), 0o644)
	wantErrIs(t, "WriteFile(in a missing directory)", err, ErrNotExist)
}

// --- OS only: the lock excludes other processes ---

const lockChildEnv = "RAFTLOG_FS_LOCK_CHILD_DIR"

// Exit codes of TestHelperLockChild.
const (
	childGotLocked = 3
	childGotLock   = 4
	childOtherErr  = 5
)

// TestHelperLockChild is not a test: TestOSLockOtherProcess runs it in a
// child process, which tries to lock the directory named by lockChildEnv.
func TestHelperLockChild(t *testing.T) {
	dir := os.Getenv(lockChildEnv)
	if dir == "" {
		t.Skip("helper for TestOSLockOtherProcess; runs only in its child process")
	}
	l, err := OS().Lock(dir)
	switch {
	case errors.Is(err, ErrLocked):
		os.Exit(childGotLocked)
	case err != nil:
		fmt.Fprintln(os.Stderr, "lock:", err)
		os.Exit(childOtherErr)
	}
	l.Close()
	os.Exit(childGotLock)
}

func TestOSLockOtherProcess(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skipf("no cross-process lock test on %s", runtime.GOOS)
	}
	dir := t.TempDir()
	child := func() int {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockChildEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("running the child: %v\n%s", err, out)
		}
		code := cmd.ProcessState.ExitCode()
		if code != childGotLocked && code != childGotLock {
			t.Fatalf("child exited with %d, want %d (locked) or %d (got the lock); output:\n%s", code, childGotLocked, childGotLock, out)
		}
		return code
	}

	l, err := OS().Lock(dir)
	if err != nil {
		t.Fatalf("Lock(dir) = %v, want nil", err)
	}
	if code := child(); code != childGotLocked {
		t.Fatalf("child Lock while the parent holds the lock: exit %d, want %d (ErrLocked)", code, childGotLocked)
	}
	mustClose(t, l)
	if code := child(); code != childGotLock {
		t.Fatalf("child Lock after the parent released it: exit %d, want %d (success)", code, childGotLock)
	}
}
