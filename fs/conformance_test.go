package fs_test

import (
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/fs/fstest"
)

// TestConformance runs every case of package fstest against OS and Mem:
// they must behave the same (the afero adapter runs them in its own
// package).
func TestConformance(t *testing.T) {
	t.Run("os", func(t *testing.T) {
		fstest.Run(t, func(t *testing.T) (fs.FS, string) { return fs.OS(), t.TempDir() })
	})
	t.Run("mem", func(t *testing.T) {
		fstest.Run(t, func(t *testing.T) (fs.FS, string) {
			m := fs.NewMem()
			if err := m.MkdirAll("/data", 0o755); err != nil {
				t.Fatalf("MkdirAll(/data) = %v, want nil", err)
			}
			return m, "/data"
		})
	})
}
