package aferofs_test

import (
	"errors"
	"os"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/fs/aferofs"
	"github.com/raftlog/raftlog/fs/fstest"
	"github.com/spf13/afero"
)

// TestConformance: over afero's OsFs, and over a base-path layer on it, the
// adapter passes every case that fs.OS passes.
func TestConformance(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		fstest.Run(t, func(t *testing.T) (fs.FS, string) { return aferofs.New(afero.NewOsFs()), t.TempDir() })
	})
	t.Run("basepath", func(t *testing.T) {
		fstest.Run(t, func(t *testing.T) (fs.FS, string) {
			return aferofs.New(afero.NewBasePathFs(afero.NewOsFs(), t.TempDir())), "/"
		})
	})
}

// TestLockedNamesThisProcess: the in-process lock's refusal is a
// *fs.LockedError that names this process, since no other can hold it.
func TestLockedNamesThisProcess(t *testing.T) {
	fsys := aferofs.New(afero.NewOsFs())
	dir := t.TempDir()
	l, err := fsys.Lock(dir)
	if err != nil {
		t.Fatalf("Lock = %v, want nil", err)
	}
	defer l.Close()
	_, err = fsys.Lock(dir)
	var locked *fs.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, fs.ErrLocked) || locked.PID != os.Getpid() {
		t.Fatalf("second Lock = %v, want a *fs.LockedError for pid %d", err, os.Getpid())
	}
}
