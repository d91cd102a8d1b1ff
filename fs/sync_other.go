//go:build !linux

package fs

import "os"

// datasync falls back to os.File.Sync, which is F_FULLFSYNC on macOS and
// fsync (or FlushFileBuffers) elsewhere.
func datasync(f *os.File) error { return f.Sync() }
