package fs

// Helpers of mem_crash_test.go: the same as package fstest's, which an
// in-package test cannot import (fstest imports fs).

import (
	"bytes"
	"io"
	"slices"
	"testing"
)

func mustOpen(t *testing.T, fsys FS, name string, flag int) File {
	t.Helper()
	f, err := fsys.OpenFile(name, flag, 0o644)
	if err != nil {
		t.Fatalf("OpenFile(%s, %#x) = %v, want nil", name, flag, err)
	}
	return f
}

func mustWrite(t *testing.T, f File, p []byte) {
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

func mustReadFile(t *testing.T, fsys FS, name string) []byte {
	t.Helper()
	b, err := ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("ReadFile(%s) = %v, want nil", name, err)
	}
	return b
}

func wantContent(t *testing.T, fsys FS, name string, want []byte) {
	t.Helper()
	if got := mustReadFile(t, fsys, name); !bytes.Equal(got, want) {
		t.Fatalf("content of %s:\n got %q (%d bytes)\nwant %q (%d bytes)", name, clip(got), len(got), clip(want), len(want))
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
