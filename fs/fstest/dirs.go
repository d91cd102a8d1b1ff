package fstest

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
)

func testRenameReplaces(t *testing.T, fsys fs.FS, dir string) {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustWriteFile(t, fsys, a, []byte("new content"))
	mustWriteFile(t, fsys, b, []byte("old"))
	if err := fsys.Rename(a, b); err != nil {
		t.Fatalf("Rename(a, b) = %v, want nil", err)
	}
	wantContent(t, fsys, b, []byte("new content"))
	_, err := fsys.Stat(a)
	wantErrIs(t, "Stat(a) after Rename(a, b)", err, fs.ErrNotExist)
	names, err := fsys.ReadDir(dir)
	if err != nil || !slices.Equal(names, []string{"b"}) {
		t.Fatalf("ReadDir after Rename(a, b) = (%q, %v), want ([b], nil)", names, err)
	}
	err = fsys.Rename(a, filepath.Join(dir, "c"))
	wantErrIs(t, "Rename(missing, c)", err, fs.ErrNotExist)

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
	wantErrIs(t, "Stat(b) after Rename(b, sub/c)", err, fs.ErrNotExist)
}

func testRemove(t *testing.T, fsys fs.FS, dir string) {
	name := filepath.Join(dir, "f")
	mustWriteFile(t, fsys, name, []byte("doomed"))
	r := mustOpen(t, fsys, name, os.O_RDONLY)
	defer r.Close()
	if err := fsys.Remove(name); err != nil {
		t.Fatalf("Remove(f) = %v, want nil", err)
	}
	_, err := fsys.Stat(name)
	wantErrIs(t, "Stat(f) after Remove", err, fs.ErrNotExist)
	_, err = fsys.OpenFile(name, os.O_RDONLY, 0)
	wantErrIs(t, "OpenFile(f) after Remove", err, fs.ErrNotExist)
	err = fsys.Remove(name)
	wantErrIs(t, "second Remove(f)", err, fs.ErrNotExist)
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
	wantErrIs(t, "Stat(sub) after Remove", err, fs.ErrNotExist)
	if names, err := fsys.ReadDir(dir); err != nil || len(names) != 0 {
		t.Fatalf("ReadDir after removing everything = (%q, %v), want ([], nil)", names, err)
	}
}

func testReadDirSorted(t *testing.T, fsys fs.FS, dir string) {
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
	wantErrIs(t, "ReadDir(missing)", err, fs.ErrNotExist)
}

func testMkdirAllSyncDir(t *testing.T, fsys fs.FS, dir string) {
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
	wantErrIs(t, "SyncDir(missing)", err, fs.ErrNotExist)
	err = fsys.SyncDir(filepath.Join(dir, "missing", "deeper"))
	wantErrIs(t, "SyncDir(missing/deeper)", err, fs.ErrNotExist)
	// MkdirAll through a file fails.
	if err := fsys.MkdirAll(filepath.Join(leaf, "f", "g"), 0o755); err == nil {
		t.Fatalf("MkdirAll(x/y/z/f/g) where f is a file = nil, want an error")
	}
}
