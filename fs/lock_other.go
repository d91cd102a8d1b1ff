//go:build !unix && !windows

package fs

import (
	"os"
	"path/filepath"
	"sync"
)

// Platforms without flock fall back to an in-process set of held LOCK
// files: a second Lock in this process is refused, another process is not
// excluded.
var otherLocks sync.Map // absolute LOCK path -> struct{}

func otherKey(f *os.File) string {
	if p, err := filepath.Abs(f.Name()); err == nil {
		return p
	}
	return filepath.Clean(f.Name())
}

func flock(f *os.File) error {
	if _, held := otherLocks.LoadOrStore(otherKey(f), struct{}{}); held {
		return ErrLocked
	}
	return nil
}

func funlock(f *os.File) error {
	otherLocks.Delete(otherKey(f))
	return nil
}
