package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/fs/fstest"
	"github.com/raftlog/raftlog/raftlog"
)

// TestOverlayConformance: the overlay behaves as any fs.FS must, over an
// empty directory (everything happens in memory).
func TestOverlayConformance(t *testing.T) {
	fstest.Run(t, func(t *testing.T) (fs.FS, string) { return newOverlay(fs.OS()), t.TempDir() })
}

// TestOverlayCopyOnWrite: writes, truncations, removals and renames of real
// files show through the overlay and never reach the disk.
func TestOverlayCopyOnWrite(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte("real a"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("real b"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := newOverlay(fs.OS())
	f, err := o.OpenFile(a, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(" and more"))
	f.Close()
	if got, _ := fs.ReadFile(o, a); string(got) != "real a and more" {
		t.Errorf("a through the overlay = %q, want %q", got, "real a and more")
	}
	if err := o.Rename(a, filepath.Join(dir, "c")); err != nil {
		t.Fatal(err)
	}
	if err := o.Remove(b); err != nil {
		t.Fatal(err)
	}
	names, err := o.ReadDir(dir)
	if err != nil || len(names) != 1 || names[0] != "c" {
		t.Errorf("ReadDir through the overlay = %q, %v; want [c]", names, err)
	}
	for name, want := range map[string]string{a: "real a", b: "real b"} {
		if got, err := os.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("%s on disk = %q, %v; want %q untouched", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c")); err == nil {
		t.Errorf("the rename reached the disk")
	}
}

// TestOverlayOpenLog: a log opened, written and closed through the overlay
// leaves the real files as they were.
func TestOverlayOpenLog(t *testing.T) {
	dir := makeLog(t)
	before := snapshot(t, dir)
	l, err := raftlog.Open(dir, raftlog.Config{FS: newOverlay(fs.OS())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 2, Index: 10}, Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Purge(raftlog.LogID{Term: 1, Index: 4}); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !mapsEqual(before, snapshot(t, dir)) {
		t.Fatalf("writing through the overlay changed %s", dir)
	}
}
