package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// snapshot reads every file of dir, to check that a command changed none.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[n.Name()] = b
	}
	return m
}

// rawBodies is a codec that takes a record's body as it is.
type rawBodies struct{}

func (rawBodies) Append(dst, v []byte) ([]byte, error) { return append(dst, v...), nil }
func (rawBodies) Decode(src []byte) ([]byte, int, error) {
	return slices.Clone(src), len(src), nil
}

// recordsEnd is the file offset where the intact records of chunk file path
// in dir end.
func recordsEnd(t *testing.T, dir, path string) int64 {
	t.Helper()
	var end int64
	err := wal.Scan(fs.OS(), dir, rawBodies{}, func(f wal.Found[[]byte]) error {
		if f.File == path && f.Err == nil {
			end = max(end, f.Offset+int64(f.Size))
		}
		return nil
	})
	if err != nil || end == 0 {
		t.Fatalf("scanning %s: end %d, %v", path, end, err)
	}
	return end
}

func chunkFiles(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil || len(names) < 2 {
		t.Fatalf("chunks of the test log: %q (%v), want several", names, err)
	}
	slices.Sort(names)
	return names
}

// TestExitStatus: dump and stat exit 0 on a healthy log, and 1 on a torn
// tail and on corruption, saying what recovery would do; none of them
// writes to the log.
// damageEntry2 flips a bit of entry 2's payload in the test log in dir and
// returns the chunk file it damaged.
func damageEntry2(t *testing.T, dir string) string {
	t.Helper()
	first := chunkFiles(t, dir)[0]
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("set k2=v2"))
	if i < 0 {
		t.Fatalf("entry 2's payload is not in %s", first)
	}
	b[i] ^= 0x20
	if err := os.WriteFile(first, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return first
}

func TestExitStatus(t *testing.T) {
	healthy := makeLog(t)

	torn := crashedLog(t) // a torn tail is what a crash leaves: a closed log's end is known
	chunks := chunkFiles(t, torn)
	last := chunks[len(chunks)-1]
	f, err := os.OpenFile(last, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A record cut short, where the next record would go (over the zeros
	// written ahead of the records): recovery cuts those 7 bytes (and the
	// zeros after them, which it does not count).
	end := recordsEnd(t, torn, last)
	if _, err := f.WriteAt([]byte{0x30, 0, 0, 0, 1, 'a', 'b'}, end); err != nil {
		t.Fatal(err)
	}
	f.Close()

	corrupt := makeLog(t)
	first := damageEntry2(t, corrupt)

	for _, c := range []struct {
		name, dir string
		code      int
		stderr    string // in stderr; "" means stderr must be empty
	}{
		{"healthy", healthy, exitOK, ""},
		{"torn tail", torn, exitFailure, "is damaged: recovery would cut 7 bytes from its tail"},
		{"corruption", corrupt, exitFailure, "is damaged: recovery would refuse it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, c.dir)
			for _, args := range [][]string{{"dump", c.dir}, {"dump", "--json", c.dir}, {"dump", "--records", c.dir}, {"stat", c.dir}, {"stat", "--json", c.dir}} {
				r := runCLI(t, args...)
				r.wantCode(t, c.code, strings.Join(args, " "))
				if c.stderr == "" && r.stderr != "" || !strings.Contains(r.stderr, c.stderr) {
					t.Errorf("%q: stderr %q, want it to contain %q", args, r.stderr, c.stderr)
				}
			}
			if after := snapshot(t, c.dir); !mapsEqual(before, after) {
				t.Fatalf("dump and stat changed the files of %s", c.dir)
			}
		})
	}

	// The torn tail's cut is said in words, not as the log line recovery
	// writes.
	for _, cmd := range []string{"dump", "stat"} {
		r := runCLI(t, cmd, torn)
		out := r.stdout + r.stderr
		if !strings.Contains(out, "7 bytes at offset") || strings.Contains(out, "msg=") {
			t.Errorf("%s of a torn log: %q", cmd, out)
		}
	}

	// The corruption names the file and the first entry affected.
	r := runCLI(t, "dump", corrupt)
	for _, want := range []string{filepath.Base(first), "entries 2 to 9 are unreadable"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("dump of a corrupt log: stderr %q lacks %q", r.stderr, want)
		}
	}
	// What stat --json says about each.
	for _, c := range []struct {
		dir       string
		cut       int64
		refused   bool
		withState bool
	}{{healthy, 0, false, true}, {torn, 7, false, true}, {corrupt, 0, true, false}} {
		var rep statReport
		out := runCLI(t, "stat", "--json", c.dir).stdout
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("stat --json: %v\n%s", err, out)
		}
		if rep.Recovery.CutBytes != c.cut || (rep.Recovery.Error != "") != c.refused || (rep.State != nil) != c.withState {
			t.Errorf("stat --json %s: recovery %+v, state %v; want cut %d, refused %v, state present %v", c.dir, rep.Recovery, rep.State, c.cut, c.refused, c.withState)
		}
		var sum int64
		for _, ch := range rep.Chunks {
			sum += ch.Bytes
		}
		if len(rep.Chunks) != len(chunkFiles(t, c.dir)) || sum != rep.BytesOnDisk {
			t.Errorf("stat --json %s: %d chunks of %d bytes in all, bytes_on_disk %d; want every chunk file", c.dir, len(rep.Chunks), sum, rep.BytesOnDisk)
		}
	}
}

func mapsEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// TestNotALog: a missing directory is an error (status 1), not an empty log.
func TestNotALog(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for _, cmd := range []string{"dump", "stat"} {
		r := runCLI(t, cmd, missing)
		r.wantCode(t, exitFailure, cmd+" of a missing directory")
		if _, err := os.Stat(missing); err == nil {
			t.Fatalf("%s created %s", cmd, missing)
		}
	}
	// An empty directory holds no log: it is not a damaged one, and dump
	// suggests no listing of its records.
	empty := t.TempDir()
	r := runCLI(t, "dump", empty)
	r.wantCode(t, exitFailure, "dump of an empty directory")
	if !strings.Contains(r.stderr, "holds no log") || strings.Contains(r.stderr, "damaged") || strings.Contains(r.stderr, "--records") {
		t.Errorf("dump of an empty directory: stderr %q", r.stderr)
	}
	r = runCLI(t, "stat", empty)
	if !strings.Contains(r.stdout, "no log here") {
		t.Errorf("stat of an empty directory: stdout %q", r.stdout)
	}
	for _, cmd := range []string{"verify", "repair"} {
		r = runCLI(t, cmd, empty)
		r.wantCode(t, exitFailure, cmd+" of an empty directory")
		if !strings.Contains(r.stderr, "holds no log") || strings.Contains(r.stderr, "MustExist") {
			t.Errorf("%s of an empty directory: stderr %q", cmd, r.stderr)
		}
	}
}
