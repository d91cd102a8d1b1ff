package main

import (
	"bytes"
	encbin "encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/wal"
)

// snapshotDir returns every file in dir with its content.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[n.Name()] = string(b)
	}
	return out
}

// TestVerifyAndRepair damages a log four ways (a bit flip in a record of a
// closed chunk, one in the checkpoint of a closed chunk, the last chunk cut
// short, the newest chunk removed): verify exits 1 naming the damage and
// writes nothing; repair cuts the log (or rewrites the checkpoint), keeps a
// backup of every file it changes or moves aside, and reports each cut;
// verify then exits 0.
func TestVerifyAndRepair(t *testing.T) {
	healthy := makeLog(t)
	r := runCLI(t, "verify", healthy)
	r.wantCode(t, exitOK, "verify of a healthy log")
	if !strings.Contains(r.stdout, "healthy") || !strings.Contains(r.stdout, "9 entries [1, 10)") {
		t.Fatalf("verify of a healthy log says:\n%s", r.stdout)
	}

	for _, c := range []struct {
		name   string
		damage func(t *testing.T, dir string) string // returns the damaged file
		keep   string                                // the entries left, as printed
		// rewrite: the repair rewrites the damage (a chunk's checkpoint)
		// rather than cutting entries.
		rewrite bool
	}{
		{"bit flip in a closed chunk", func(t *testing.T, dir string) string {
			first := chunkFiles(t, dir)[0]
			b, err := os.ReadFile(first)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(b, []byte("set k3=v3"))
			if i < 0 {
				t.Fatalf("entry 3 is not in %s", first)
			}
			b[i] ^= 0x04
			if err := os.WriteFile(first, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return first
		}, "entries   [1, 3)", false},
		{"checkpoint of a closed chunk", func(t *testing.T, dir string) string {
			second := chunkFiles(t, dir)[1]
			b, err := os.ReadFile(second)
			if err != nil {
				t.Fatal(err)
			}
			marker := int(encbin.LittleEndian.Uint32(b[wal.ChunkHeaderSize:]))
			b[wal.ChunkHeaderSize+codec.Overhead+marker+10] ^= 0x04 // in the checkpoint's body
			if err := os.WriteFile(second, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return second
		}, "entries   [1, 10)", true},
		{"last chunk cut", func(t *testing.T, dir string) string {
			chunks := chunkFiles(t, dir)
			last := chunks[len(chunks)-1]
			b, err := os.ReadFile(last)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(last, b[:len(b)-30], 0o644); err != nil {
				t.Fatal(err)
			}
			return last
		}, "", false},
		{"newest chunk removed", func(t *testing.T, dir string) string {
			chunks := chunkFiles(t, dir)
			if err := os.Remove(chunks[len(chunks)-1]); err != nil {
				t.Fatal(err)
			}
			return chunks[len(chunks)-2] // its seal is cut
		}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := makeLog(t)
			file := c.damage(t, dir)
			before := snapshotDir(t, dir)

			r := runCLI(t, "verify", dir)
			r.wantCode(t, exitFailure, "verify of a damaged log")
			if !strings.Contains(r.stdout, "damaged") {
				t.Fatalf("verify says:\n%s", r.stdout)
			}
			r = runCLI(t, "verify", "--json", dir)
			r.wantCode(t, exitFailure, "verify --json of a damaged log")
			var vr verifyReport
			if err := json.Unmarshal([]byte(r.stdout), &vr); err != nil || vr.Healthy || vr.Damage == nil {
				t.Fatalf("verify --json: %v\n%s", err, r.stdout)
			}
			if after := snapshotDir(t, dir); !equalMaps(before, after) {
				t.Fatal("verify changed the log")
			}

			copied := t.TempDir()
			if err := os.CopyFS(copied, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			r = runCLI(t, "repair", copied)
			r.wantCode(t, exitOK, "repair of a copy")
			if !strings.Contains(r.stdout, "repaired") || strings.Contains(r.stdout, "is gone from it") == c.rewrite ||
				strings.Contains(r.stdout, "bytes rewritten") != c.rewrite {
				t.Fatalf("repair of a copy says:\n%s\nwant the cuts, and what is gone unless a rewrite lost nothing", r.stdout)
			}

			r = runCLI(t, "repair", "--json", dir)
			r.wantCode(t, exitOK, "repair")
			var rr repairReport
			if err := json.Unmarshal([]byte(r.stdout), &rr); err != nil {
				t.Fatalf("repair --json: %v\n%s", err, r.stdout)
			}
			if len(rr.Cuts) == 0 {
				t.Fatalf("repair cut nothing:\n%s", r.stdout)
			}
			cutFile := false
			for _, cut := range rr.Cuts {
				if !cut.Durable || cut.Backup == "" {
					t.Fatalf("a repair cut without a backup: %+v", cut)
				}
				orig, ok := before[filepath.Base(cut.File)]
				if !ok {
					t.Fatalf("a cut of %s, which was not in the log", cut.File)
				}
				backup, err := os.ReadFile(cut.Backup)
				if err != nil || string(backup) != orig {
					t.Fatalf("the backup %s does not hold %s as it was (%v)", cut.Backup, cut.File, err)
				}
				cutFile = cutFile || cut.File == file
			}
			if !cutFile {
				t.Fatalf("no cut of the damaged file %s: %+v", file, rr.Cuts)
			}

			r = runCLI(t, "verify", dir)
			r.wantCode(t, exitOK, "verify after the repair")
			if c.keep != "" {
				r = runCLI(t, "repair", dir)
				r.wantCode(t, exitOK, "a second repair")
				if !strings.Contains(r.stdout, "nothing to repair") || !strings.Contains(r.stdout, c.keep) {
					t.Fatalf("a second repair says:\n%s", r.stdout)
				}
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
