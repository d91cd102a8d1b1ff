// Package fs is the file-system seam that raftlog's write-ahead log writes
// through.
//
// It has exactly the operations the WAL needs: opening files with flags,
// sequential and positional reads, sequential writes, data sync, truncation,
// removal, rename, sorted directory listing, directory creation, directory
// sync and an exclusive per-directory lock.
//
// Two implementations ship with the package:
//
//   - [OS] is the real operating-system file system, on package os and
//     golang.org/x/sys alone. Sync is fdatasync where the platform has it,
//     SyncDir fsyncs the directory itself, and Lock uses flock(2) on a LOCK
//     file, so it excludes other processes too, and records the holder in it.
//   - [Mem] is an in-memory file system that tracks what is durable and can
//     produce the state a machine would find after a power loss ([Mem.Crash]).
//     The simulator and the crash tests run on it.
//
// Package fs/aferofs adapts any afero.Fs (a base-path or encrypting layer, a
// user's own backend); it is a package of its own so that programs that do
// not use it do not link afero. Package fs/fstest checks that an
// implementation behaves as the WAL needs.
//
// Errors are the standard ones: a missing file satisfies
// errors.Is(err, ErrNotExist), an existing one errors.Is(err, ErrExist), a
// closed handle errors.Is(err, ErrClosed), and a directory locked by someone
// else errors.Is(err, ErrLocked) (from OS, a [*LockedError] naming the
// holder).
package fs

import (
	"errors"
	"io"
	iofs "io/fs"
	"os"
)

// FS is a file system the WAL can write through. Implementations must be safe
// for concurrent use.
type FS interface {
	// OpenFile opens name with os.O_* flags (O_RDONLY, O_WRONLY, O_RDWR,
	// O_CREATE, O_EXCL, O_TRUNC, O_APPEND). Creating a file makes its
	// directory entry visible at once but durable only after SyncDir of
	// its directory.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	// Stat describes the named file or directory.
	Stat(name string) (os.FileInfo, error)
	// Remove unlinks a file or an empty directory. The removal is durable
	// only after SyncDir of the parent directory.
	Remove(name string) error
	// Rename moves oldname to newname, replacing newname if it is a file.
	// Durable only after SyncDir of the directories involved.
	Rename(oldname, newname string) error
	// ReadDir returns the names of the entries of dir, sorted.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and any missing parents. New directories are
	// durable only after SyncDir of their parents.
	MkdirAll(dir string, perm os.FileMode) error
	// SyncDir makes the entries of dir (creations, removals, renames)
	// durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on dir, held until the returned Closer
	// is closed. A second Lock of the same directory, from this process or
	// (where the implementation can tell) another one, fails at once with
	// an error that satisfies errors.Is(err, ErrLocked).
	Lock(dir string) (io.Closer, error)
}

// File is an open file. Read and Write use the handle's own position (Write
// always appends when the file was opened with O_APPEND); ReadAt does not
// touch that position and may run concurrently with Write.
type File interface {
	// Name is the name the file was opened with.
	Name() string
	io.Reader
	io.ReaderAt
	io.Writer
	// WriteAt writes p at offset off without moving the handle's
	// position, extending the file if it ends before; bytes skipped over
	// read as zeros. As with os.File, a handle opened with O_APPEND
	// refuses it.
	io.WriterAt
	// Sync makes the file's content and size durable (fdatasync where the
	// platform has it). It does not make the file's directory entry
	// durable: that is SyncDir.
	Sync() error
	// Truncate changes the file's size, zero-filling when it grows.
	Truncate(size int64) error
	// Stat describes the file.
	Stat() (os.FileInfo, error)
	// Close releases the handle; later calls fail with ErrClosed.
	Close() error
}

// Errors returned by every implementation, wrapped in *os.PathError.
var (
	// ErrNotExist: the file or directory does not exist.
	ErrNotExist = iofs.ErrNotExist
	// ErrExist: the file already exists (O_CREATE|O_EXCL).
	ErrExist = iofs.ErrExist
	// ErrClosed: the handle was closed.
	ErrClosed = iofs.ErrClosed
	// ErrLocked: the directory is locked by another holder.
	ErrLocked = errors.New("directory is locked by another holder")
)

// LockFileName is the file that the Lock of OS and of Mem creates in the
// locked directory (the afero adapter's in-process lock creates none). OS
// writes "pid=PID host=HOST\n" into it while it holds the lock.
const LockFileName = "LOCK"
