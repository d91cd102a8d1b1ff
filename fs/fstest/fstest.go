// Package fstest checks that an fs.FS behaves as the WAL needs: the same
// cases run against fs.OS, fs.Mem and the afero adapter, and a user's own
// implementation can run them too.
//
//	func TestMyFS(t *testing.T) {
//		fstest.Run(t, func(t *testing.T) (fs.FS, string) { return myfs.New(), t.TempDir() })
//	}
package fstest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/fs"
)

// Case is one conformance check; it gets the FS and a fresh, empty
// directory it may use as it likes.
type Case struct {
	Name string
	Run  func(t *testing.T, fsys fs.FS, dir string)
}

// Cases lists every check, in the order Run runs them.
var Cases = []Case{
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
	{"WriteAt", testWriteAt},
}

// Run runs every case as a subtest. setup returns the FS under test and a
// fresh, empty directory in it; it is called once per case.
func Run(t *testing.T, setup func(t *testing.T) (fs.FS, string)) {
	for _, c := range Cases {
		t.Run(c.Name, func(t *testing.T) {
			fsys, dir := setup(t)
			c.Run(t, fsys, dir)
		})
	}
}

// --- helpers shared by the cases ---

func mustOpen(t *testing.T, fsys fs.FS, name string, flag int) fs.File {
	t.Helper()
	f, err := fsys.OpenFile(name, flag, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(%s, %#x) = %v, want nil", name, flag, err)
	}
	return f
}

func mustWrite(t *testing.T, f fs.File, p []byte) {
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

func mustWriteFile(t *testing.T, fsys fs.FS, name string, data []byte) {
	t.Helper()
	if err := fs.WriteFile(fsys, name, data, 0o644); err != nil {
		t.Fatalf("fs.WriteFile(%s, %d bytes) = %v, want nil", name, len(data), err)
	}
}

func mustReadFile(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("fs.ReadFile(%s) = %v, want nil", name, err)
	}
	return b
}

func wantContent(t *testing.T, fsys fs.FS, name string, want []byte) {
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

func wantSize(t *testing.T, fsys fs.FS, f fs.File, want int64) {
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
