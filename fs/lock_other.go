//go:build !unix && !windows

package fs

import (
	"io"
	"os"
	"sync"
)

// Platforms without flock fall back to the in-process lock table: a second
// Lock in this process is refused, another process is not excluded.
var otherLocks sync.Map // *os.File -> io.Closer

func flock(f *os.File) error {
	c, err := processLocks.lock(f.Name())
	if err != nil {
		return ErrLocked
	}
	otherLocks.Store(f, c)
	return nil
}

func funlock(f *os.File) error {
	if c, ok := otherLocks.LoadAndDelete(f); ok {
		return c.(io.Closer).Close()
	}
	return nil
}
