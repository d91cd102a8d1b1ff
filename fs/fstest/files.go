package fstest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/raftlog/raftlog/fs"
)

func testWriteThenRead(t *testing.T, fsys fs.FS, dir string) {
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

func testAppendLandsAtEnd(t *testing.T, fsys fs.FS, dir string) {
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

// testWriteAt: WriteAt writes at its offset, leaves the handle's position
// alone, zero-fills a gap past the end, and is refused on an O_APPEND
// handle, where it would be ambiguous.
func testWriteAt(t *testing.T, fsys fs.FS, dir string) {
	name := filepath.Join(dir, "f")
	f := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE)
	defer f.Close()
	mustWrite(t, f, []byte("abcdef"))
	if n, err := f.WriteAt([]byte("XY"), 2); n != 2 || err != nil {
		t.Fatalf("WriteAt(off 2) = (%d, %v), want (2, nil)", n, err)
	}
	wantContent(t, fsys, name, []byte("abXYef"))
	if n, err := f.WriteAt([]byte("Z"), 9); n != 1 || err != nil {
		t.Fatalf("WriteAt(off 9) = (%d, %v), want (1, nil)", n, err)
	}
	wantSize(t, fsys, f, 10)
	wantContent(t, fsys, name, []byte("abXYef\x00\x00\x00Z"))
	mustWrite(t, f, []byte("!")) // the position is still 6
	wantContent(t, fsys, name, []byte("abXYef!\x00\x00Z"))
	if err := f.Sync(); err != nil {
		t.Fatalf("Sync = %v", err)
	}

	a := mustOpen(t, fsys, name, os.O_RDWR|os.O_APPEND)
	defer a.Close()
	if n, err := a.WriteAt([]byte("no"), 0); err == nil {
		t.Fatalf("WriteAt on an O_APPEND handle = (%d, nil), want an error", n)
	}
	wantContent(t, fsys, name, []byte("abXYef!\x00\x00Z"))
}

func testOpenFlags(t *testing.T, fsys fs.FS, dir string) {
	name := filepath.Join(dir, "f")
	missing := filepath.Join(dir, "missing")
	mustWriteFile(t, fsys, name, []byte("data"))

	_, err := fsys.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	wantErrIs(t, "OpenFile(existing, O_CREATE|O_EXCL)", err, fs.ErrExist)
	wantContent(t, fsys, name, []byte("data"))

	for _, flag := range []int{os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_RDWR | os.O_TRUNC, os.O_WRONLY | os.O_APPEND} {
		_, err := fsys.OpenFile(missing, flag, 0o644)
		wantErrIs(t, fmt.Sprintf("OpenFile(missing, %#x)", flag), err, fs.ErrNotExist)
	}
	_, err = fsys.Stat(missing)
	wantErrIs(t, "Stat(missing) after failed opens", err, fs.ErrNotExist)
	_, err = fsys.OpenFile(filepath.Join(dir, "nodir", "f"), os.O_CREATE|os.O_WRONLY, 0o644)
	wantErrIs(t, "OpenFile(in a missing directory, O_CREATE)", err, fs.ErrNotExist)

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

func testReadAtConcurrentWithAppend(t *testing.T, fsys fs.FS, dir string) {
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

func testTruncate(t *testing.T, fsys fs.FS, dir string) {
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

func testClosedHandle(t *testing.T, fsys fs.FS, dir string) {
	name := filepath.Join(dir, "f")
	f := mustOpen(t, fsys, name, os.O_RDWR|os.O_CREATE)
	mustWrite(t, f, []byte("some bytes"))
	mustClose(t, f)

	_, err := f.Read(make([]byte, 4))
	wantErrIs(t, "Read after Close", err, fs.ErrClosed)
	_, err = f.ReadAt(make([]byte, 4), 0)
	wantErrIs(t, "ReadAt after Close", err, fs.ErrClosed)
	n, err := f.Write([]byte("more"))
	wantErrIs(t, "Write after Close", err, fs.ErrClosed)
	if n != 0 {
		t.Fatalf("Write after Close wrote %d bytes, want 0", n)
	}
	wantErrIs(t, "second Close", f.Close(), fs.ErrClosed)
	wantContent(t, fsys, name, []byte("some bytes"))
}

func testReadOnlyHandleAndSync(t *testing.T, fsys fs.FS, dir string) {
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

func testReadFileWriteFile(t *testing.T, fsys fs.FS, dir string) {
	name := filepath.Join(dir, "f")
	big := pattern(10_000, 3)
	mustWriteFile(t, fsys, name, big)
	wantContent(t, fsys, name, big)
	// WriteFile truncates what was there.
	mustWriteFile(t, fsys, name, []byte("short"))
	wantContent(t, fsys, name, []byte("short"))
	mustWriteFile(t, fsys, name, nil)
	wantContent(t, fsys, name, []byte{})
	_, err := fs.ReadFile(fsys, filepath.Join(dir, "missing"))
	wantErrIs(t, "fs.ReadFile(missing)", err, fs.ErrNotExist)
	err = fs.WriteFile(fsys, filepath.Join(dir, "nodir", "f"), []byte("x"), 0o644)
	wantErrIs(t, "fs.WriteFile(in a missing directory)", err, fs.ErrNotExist)
}
