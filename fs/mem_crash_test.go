package fs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

var (
	allModes       = []CrashMode{CrashProcess, CrashOrdered, CrashReordered}
	powerLossModes = []CrashMode{CrashOrdered, CrashReordered}
)

// crashRng is the rng handed to Crash for a seed; a test that also needs
// randomness for its history uses another stream (rand.NewPCG(seed, 1)).
func crashRng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", what, err)
	}
}

// newDurableMem returns a Mem whose /data directory is itself durable.
func newDurableMem(t *testing.T) *Mem {
	t.Helper()
	m := NewMem()
	must(t, "MkdirAll(/data)", m.MkdirAll("/data", 0o755))
	must(t, "SyncDir(/)", m.SyncDir("/"))
	must(t, "SyncDir(/data)", m.SyncDir("/data"))
	return m
}

// writeFile writes chunks to a new (or truncated) file, syncing its content
// when sync is set. It never syncs the directory.
func writeFile(t *testing.T, m *Mem, name string, sync bool, chunks ...[]byte) {
	t.Helper()
	f := mustOpen(t, m, name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY)
	for _, c := range chunks {
		mustWrite(t, f, c)
	}
	if sync {
		must(t, "Sync("+name+")", f.Sync())
	}
	mustClose(t, f)
}

// appendFile appends chunks to an existing file without syncing.
func appendFile(t *testing.T, m *Mem, name string, chunks ...[]byte) {
	t.Helper()
	f := mustOpen(t, m, name, os.O_WRONLY|os.O_APPEND)
	for _, c := range chunks {
		mustWrite(t, f, c)
	}
	mustClose(t, f)
}

// readIfExists returns a file's content and whether it exists.
func readIfExists(t *testing.T, m *Mem, name string) ([]byte, bool) {
	t.Helper()
	b, err := ReadFile(m, name)
	if errors.Is(err, ErrNotExist) {
		return nil, false
	}
	if err != nil {
		t.Fatalf("ReadFile(%s) = %v, want nil or ErrNotExist", name, err)
	}
	return b, true
}

// randBytes returns n random non-zero bytes.
func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(1 + rng.IntN(255))
	}
	return b
}

// dumpMem walks m from the root: every directory appears as "path/" with an
// empty value, every file as its path with its content.
func dumpMem(t *testing.T, m *Mem) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		if depth > 32 {
			t.Fatalf("dumpMem: directories nested deeper than 32 at %s (a cycle?)", dir)
		}
		names, err := m.ReadDir(dir)
		must(t, "ReadDir("+dir+")", err)
		for _, n := range names {
			p := path.Join(dir, n)
			fi, err := m.Stat(p)
			must(t, "Stat("+p+")", err)
			if fi.IsDir() {
				out[p+"/"] = ""
				walk(p, depth+1)
				continue
			}
			out[p] = string(mustReadFile(t, m, p))
		}
	}
	walk("/", 0)
	return out
}

// fingerprint is a dump as one comparable string.
func fingerprint(d map[string]string) string {
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(d)) {
		fmt.Fprintf(&sb, "%q:%d:%q\n", k, len(d[k]), d[k])
	}
	return sb.String()
}

// diffDumps describes the first difference between two dumps, "" if none.
func diffDumps(got, want map[string]string) string {
	keys := slices.Sorted(maps.Keys(got))
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			return fmt.Sprintf("%s: missing, want it (%d bytes)", k, len(w))
		case !wok:
			return fmt.Sprintf("%s: present (%d bytes), want it absent", k, len(g))
		case g != w:
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			return fmt.Sprintf("%s: got %d bytes, want %d bytes, first difference at offset %d", k, len(g), len(w), i)
		}
	}
	return ""
}

// richHistory builds a Mem with every kind of durable and volatile state.
func richHistory(t *testing.T) *Mem {
	t.Helper()
	m := newDurableMem(t)
	writeFile(t, m, "/data/synced", true, pattern(1500, 1))
	appendFile(t, m, "/data/synced", pattern(300, 2), pattern(500, 3))
	writeFile(t, m, "/data/unsynced", false, pattern(700, 4), pattern(1300, 5))
	writeFile(t, m, "/data/gone", true, pattern(100, 6))
	writeFile(t, m, "/data/old", true, pattern(200, 7))
	writeFile(t, m, "/data/trunc", true, pattern(1200, 8))
	writeFile(t, m, "/data/regrow", true, pattern(2000, 12))
	must(t, "SyncDir(/data)", m.SyncDir("/data"))

	writeFile(t, m, "/data/newfile", true, pattern(600, 9))
	must(t, "Remove(gone)", m.Remove("/data/gone"))
	must(t, "Rename(old, renamed)", m.Rename("/data/old", "/data/renamed"))
	must(t, "MkdirAll(sub)", m.MkdirAll("/data/sub", 0o755))
	writeFile(t, m, "/data/sub/x", true, pattern(50, 10))
	must(t, "SyncDir(sub)", m.SyncDir("/data/sub"))
	f := mustOpen(t, m, "/data/trunc", os.O_RDWR)
	must(t, "Truncate(trunc, 100)", f.Truncate(100))
	if _, err := f.ReadAt(make([]byte, 1), 0); err != nil {
		t.Fatalf("ReadAt(trunc) = %v", err)
	}
	mustWrite(t, f, pattern(900, 11)) // at position 0
	mustClose(t, f)
	// Cut durably, then regrown: a reordered crash may show stale bytes
	// (its own cut ones, or those of /data/gone) where the regrowth did not
	// land.
	f = mustOpen(t, m, "/data/regrow", os.O_RDWR|os.O_APPEND)
	must(t, "Truncate(regrow, 300)", f.Truncate(300))
	must(t, "Sync(regrow)", f.Sync())
	mustWrite(t, f, pattern(1500, 13))
	mustClose(t, f)
	return m
}

// TestCrashSyncedDataSurvives: content that was synced, in a file whose entry
// was synced, is there after every crash; the volatile writes only append, so
// the synced prefix is intact in every mode.
func TestCrashSyncedDataSurvives(t *testing.T) {
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			for seed := range uint64(200) {
				hist := rand.New(rand.NewPCG(seed, 1))
				m := newDurableMem(t)
				synced := randBytes(hist, 1+hist.IntN(2000))
				cut := hist.IntN(len(synced) + 1)
				// O_APPEND: the write after the truncation lands at its end.
				f := mustOpen(t, m, "/data/f", os.O_CREATE|os.O_RDWR|os.O_APPEND)
				mustWrite(t, f, synced[:cut])
				mustWrite(t, f, randBytes(hist, 1+hist.IntN(300))) // overwritten below
				must(t, "Truncate", f.Truncate(int64(cut)))
				mustWrite(t, f, synced[cut:])
				must(t, "Sync", f.Sync())
				must(t, "SyncDir", m.SyncDir("/data"))
				full := slices.Clone(synced)
				for range 1 + hist.IntN(5) {
					p := randBytes(hist, 1+hist.IntN(700))
					mustWrite(t, f, p)
					full = append(full, p...)
				}
				mustClose(t, f)

				c := m.Crash(crashRng(seed), mode)
				got, ok := readIfExists(t, c, "/data/f")
				if !ok {
					t.Fatalf("seed %d, mode %v: /data/f vanished, want it kept (created, synced and dir-synced)", seed, mode)
				}
				if len(got) < len(synced) || !bytes.Equal(got[:len(synced)], synced) {
					i := 0
					for i < len(got) && i < len(synced) && got[i] == synced[i] {
						i++
					}
					t.Fatalf("seed %d, mode %v: crashed /data/f has %d bytes, differing from the %d synced bytes at offset %d; want the synced bytes as its prefix",
						seed, mode, len(got), len(synced), i)
				}
				if len(got) > len(full) {
					t.Fatalf("seed %d, mode %v: crashed /data/f has %d bytes, more than the %d ever written", seed, mode, len(got), len(full))
				}
				if mode == CrashProcess && !bytes.Equal(got, full) {
					t.Fatalf("seed %d, mode process: crashed /data/f has %d bytes, want all %d written bytes unchanged", seed, len(got), len(full))
				}
			}
		})
	}
}

// TestCrashOrderedKeepsPrefix: in ordered mode the volatile appends survive
// as a prefix of their concatenation, torn at any byte.
func TestCrashOrderedKeepsPrefix(t *testing.T) {
	const seeds = 500
	m := newDurableMem(t)
	synced := pattern(100, 200)
	writeFile(t, m, "/data/f", true, synced)
	must(t, "SyncDir", m.SyncDir("/data"))
	sizes := []int{7, 50, 3, 90, 2}
	var volatile []byte // byte i is i+1: every byte distinct, none zero
	boundaries := map[int]bool{0: true}
	var chunks [][]byte
	for _, n := range sizes {
		c := make([]byte, n)
		for i := range c {
			c[i] = byte(len(volatile) + i + 1)
		}
		chunks = append(chunks, c)
		volatile = append(volatile, c...)
		boundaries[len(volatile)] = true
	}
	appendFile(t, m, "/data/f", chunks...)

	var torn, empty, full int
	lengths := map[int]bool{}
	for seed := range uint64(seeds) {
		got, ok := readIfExists(t, m.Crash(crashRng(seed), CrashOrdered), "/data/f")
		if !ok {
			t.Fatalf("seed %d: /data/f vanished, want it kept (its entry is durable)", seed)
		}
		if len(got) < len(synced) || !bytes.Equal(got[:len(synced)], synced) {
			t.Fatalf("seed %d: crashed content (%d bytes) does not start with the %d synced bytes", seed, len(got), len(synced))
		}
		rest := got[len(synced):]
		if len(rest) > len(volatile) || !bytes.Equal(rest, volatile[:len(rest)]) {
			t.Fatalf("seed %d: after the synced bytes came %d bytes %v, want a prefix of the %d volatile bytes %v", seed, len(rest), clip(rest), len(volatile), clip(volatile))
		}
		lengths[len(rest)] = true
		switch {
		case len(rest) == 0:
			empty++
		case len(rest) == len(volatile):
			full++
		case !boundaries[len(rest)]:
			torn++
		}
	}
	t.Logf("%d seeds: %d empty, %d full, %d torn, %d distinct lengths", seeds, empty, full, torn, len(lengths))
	if empty == 0 || full == 0 || torn == 0 {
		t.Fatalf("over seeds 0..%d: %d empty, %d full, %d torn outcomes; want each at least once", seeds-1, empty, full, torn)
	}
}

// TestCrashOrderedReplaysTruncate: a volatile truncation is replayed in
// order, so the file is the synced content, the truncated one, or the
// truncated one plus a prefix of the write that followed.
func TestCrashOrderedReplaysTruncate(t *testing.T) {
	m := newDurableMem(t)
	synced := bytes.Repeat([]byte{'A'}, 600)
	writeFile(t, m, "/data/f", true, synced)
	must(t, "SyncDir", m.SyncDir("/data"))
	f := mustOpen(t, m, "/data/f", os.O_RDWR)
	must(t, "Truncate(100)", f.Truncate(100))
	// The handle has not moved: the write lands at 0, over the kept bytes.
	mustWrite(t, f, bytes.Repeat([]byte{'B'}, 50))
	mustClose(t, f)
	// Outcomes: the synced bytes (nothing replayed), 100 'A' (the
	// truncation), or j 'B' then 100-j 'A' (the write, torn after j bytes).
	seen := map[string]bool{}
	for seed := range uint64(200) {
		got, _ := readIfExists(t, m.Crash(crashRng(seed), CrashOrdered), "/data/f")
		j := len(got) - len(bytes.TrimLeft(got, "B"))
		want := append(bytes.Repeat([]byte{'B'}, j), bytes.Repeat([]byte{'A'}, 100-min(j, 100))...)
		switch {
		case bytes.Equal(got, synced):
			seen["synced"] = true
		case j <= 50 && bytes.Equal(got, want):
			seen[map[bool]string{true: "truncated", false: "truncated+write"}[j == 0]] = true
		default:
			t.Fatalf("seed %d: crashed content %q (%d bytes), want the 600 synced 'A', or 100 'A' overwritten at the start by at most 50 'B'", seed, clip(got), len(got))
		}
	}
	if len(seen) != 3 {
		t.Fatalf("over 200 seeds saw outcomes %v, want synced, truncated and truncated+write", slices.Sorted(maps.Keys(seen)))
	}
}

// TestCrashWriteDoesNotRetainBuffer: Write must not keep the caller's slice
// (io.Writer): a buffer reused after Write must not change what a crash
// replays.
func TestCrashWriteDoesNotRetainBuffer(t *testing.T) {
	for _, mode := range allModes {
		m := newDurableMem(t)
		writeFile(t, m, "/data/f", true, nil)
		must(t, "SyncDir", m.SyncDir("/data"))
		f := mustOpen(t, m, "/data/f", os.O_WRONLY|os.O_APPEND)
		buf := bytes.Repeat([]byte{'a'}, 600)
		mustWrite(t, f, buf)
		copy(buf, bytes.Repeat([]byte{'b'}, 600)) // reuse the buffer
		mustWrite(t, f, buf)
		copy(buf, bytes.Repeat([]byte{'z'}, 600))
		mustClose(t, f)
		want := append(bytes.Repeat([]byte{'a'}, 600), bytes.Repeat([]byte{'b'}, 600)...)
		wantContent(t, m, "/data/f", want)
		for seed := range uint64(50) {
			got, _ := readIfExists(t, m.Crash(crashRng(seed), mode), "/data/f")
			for i, c := range got {
				if c != 0 && c != want[i] {
					t.Fatalf("seed %d, mode %v: crashed byte %d = %q, want %q (or 0): the crash replayed a buffer the caller reused", seed, mode, i, c, want[i])
				}
			}
		}
	}
}

// TestCrashReorderedSectors: in reordered mode each volatile sector lands or
// not, independently; sectors that never landed read as the synced bytes or,
// past the synced length, as zeros: this Mem has freed nothing, so no stale
// bytes can show (mem_stale_test.go tests those).
func TestCrashReorderedSectors(t *testing.T) {
	const seeds = 500
	m := newDurableMem(t)
	synced := pattern(700, 50)
	writeFile(t, m, "/data/f", true, synced)
	must(t, "SyncDir", m.SyncDir("/data"))
	hist := rand.New(rand.NewPCG(99, 1))
	final := slices.Clone(synced)
	lengthsOK := map[int]bool{len(final): true}
	var chunks [][]byte
	for _, n := range []int{300, 1000, 1000} {
		c := randBytes(hist, n) // non-zero: a landed sector is never all zeros
		chunks = append(chunks, c)
		final = append(final, c...)
		lengthsOK[len(final)] = true
	}
	appendFile(t, m, "/data/f", chunks...)
	old := append(slices.Clone(synced), make([]byte, len(final)-len(synced))...) // nothing landed

	holes := 0
	subsets := map[string]bool{} // landed patterns of full-length outcomes
	lengths := map[int]int{}
	for seed := range uint64(seeds) {
		got, ok := readIfExists(t, m.Crash(crashRng(seed), CrashReordered), "/data/f")
		if !ok {
			t.Fatalf("seed %d: /data/f vanished, want it kept", seed)
		}
		if !lengthsOK[len(got)] {
			t.Fatalf("seed %d: crashed length %d, want one the file had since its sync %v", seed, len(got), slices.Sorted(maps.Keys(lengthsOK)))
		}
		lengths[len(got)]++
		var landed []bool
		for lo := 0; lo < len(got); lo += SectorSize {
			hi := min(lo+SectorSize, len(got))
			isNew := bytes.Equal(got[lo:hi], final[lo:hi])
			isOld := bytes.Equal(got[lo:hi], old[lo:hi])
			if !isNew && !isOld {
				t.Fatalf("seed %d: sector %d [%d, %d) of %d bytes is neither the new bytes nor the synced bytes/zeros", seed, lo/SectorSize, lo, hi, len(got))
			}
			if hi <= len(synced) && !bytes.Equal(got[lo:hi], synced[lo:hi]) {
				t.Fatalf("seed %d: untouched sector %d [%d, %d) differs from the synced content", seed, lo/SectorSize, lo, hi)
			}
			landed = append(landed, isNew && !isOld)
		}
		// A hole: a sector wholly past the synced length that did not land
		// (zeros), followed by one that did.
		hole := false
		for s := range landed {
			if s*SectorSize >= len(synced) && !landed[s] && slices.Contains(landed[s+1:], true) {
				hole = true
			}
		}
		if hole {
			holes++
		}
		if len(got) == len(final) {
			subsets[fmt.Sprint(landed)] = true
		}
	}
	t.Logf("%d seeds: %d with a hole, lengths %v, %d distinct landed subsets at full length", seeds, holes, lengths, len(subsets))
	if holes == 0 {
		t.Fatalf("over seeds 0..%d no crashed file had a hole (a zero sector before a landed one); want at least one", seeds-1)
	}
	if len(subsets) < 8 {
		t.Fatalf("over seeds 0..%d only %d distinct landed subsets at full length, want at least 8 (any subset may land)", seeds-1, len(subsets))
	}
	if len(lengths) != len(lengthsOK) {
		t.Fatalf("over seeds 0..%d saw lengths %v, want each of %v", seeds-1, lengths, slices.Sorted(maps.Keys(lengthsOK)))
	}
}

// TestCrashProcessKeepsEverything: a process crash loses nothing, synced or
// not, file content or directory change.
func TestCrashProcessKeepsEverything(t *testing.T) {
	m := richHistory(t)
	want := dumpMem(t, m)
	for _, name := range []string{"/data/newfile", "/data/renamed", "/data/sub/x", "/data/unsynced"} {
		if _, ok := want[name]; !ok {
			t.Fatalf("history: %s missing before the crash", name)
		}
	}
	for seed := range uint64(20) {
		if d := diffDumps(dumpMem(t, m.Crash(crashRng(seed), CrashProcess)), want); d != "" {
			t.Fatalf("seed %d, mode process: crash result differs from the state before the crash: %s", seed, d)
		}
	}
}

// TestCrashUnsyncedCreate: a new entry survives a power loss only if its
// directory was synced; the file's own Sync is not enough.
func TestCrashUnsyncedCreate(t *testing.T) {
	for _, mode := range powerLossModes {
		t.Run(mode.String(), func(t *testing.T) {
			var kept, lost, dirKept, dirLost int
			for seed := range uint64(200) {
				m := newDurableMem(t)
				writeFile(t, m, "/data/named", false, []byte("unsynced content"))
				must(t, "SyncDir", m.SyncDir("/data"))
				writeFile(t, m, "/data/new", true, []byte("synced content"))
				must(t, "MkdirAll(sub)", m.MkdirAll("/data/sub", 0o755))
				writeFile(t, m, "/data/sub/x", true, []byte("x"))
				must(t, "SyncDir(sub)", m.SyncDir("/data/sub"))

				c := m.Crash(crashRng(seed), mode)
				if got, ok := readIfExists(t, c, "/data/named"); !ok {
					t.Fatalf("seed %d, mode %v: /data/named vanished, want it kept: its entry was dir-synced", seed, mode)
				} else if !bytes.HasPrefix([]byte("unsynced content"), bytes.TrimRight(got, "\x00")) {
					t.Fatalf("seed %d, mode %v: /data/named = %q, want a prefix of %q (or zeros)", seed, mode, got, "unsynced content")
				}
				if got, ok := readIfExists(t, c, "/data/new"); ok {
					kept++
					if string(got) != "synced content" {
						t.Fatalf("seed %d, mode %v: /data/new = %q, want %q (its content was synced)", seed, mode, got, "synced content")
					}
				} else {
					lost++
				}
				if _, err := c.Stat("/data/sub"); err == nil {
					dirKept++
					if got, ok := readIfExists(t, c, "/data/sub/x"); !ok || string(got) != "x" {
						t.Fatalf("seed %d, mode %v: /data/sub survived but sub/x = (%q, exists %v), want (\"x\", true)", seed, mode, got, ok)
					}
				} else {
					dirLost++
				}
			}
			t.Logf("mode %v: unsynced entry kept %d, lost %d; unsynced dir kept %d, lost %d", mode, kept, lost, dirKept, dirLost)
			if kept == 0 || lost == 0 || dirKept == 0 || dirLost == 0 {
				t.Fatalf("mode %v over seeds 0..199: unsynced file kept %d, lost %d; unsynced dir kept %d, lost %d; want both outcomes for each", mode, kept, lost, dirKept, dirLost)
			}
		})
	}
}

// TestCrashUnsyncedRemove: a removal that was not dir-synced may be undone
// by a power loss; once dir-synced it holds.
func TestCrashUnsyncedRemove(t *testing.T) {
	content := pattern(1000, 17)
	for _, mode := range powerLossModes {
		t.Run(mode.String(), func(t *testing.T) {
			var back, gone int
			for seed := range uint64(200) {
				m := newDurableMem(t)
				writeFile(t, m, "/data/f", true, content)
				must(t, "SyncDir", m.SyncDir("/data"))
				must(t, "Remove", m.Remove("/data/f"))
				got, ok := readIfExists(t, m.Crash(crashRng(seed), mode), "/data/f")
				if ok {
					back++
					if !bytes.Equal(got, content) {
						t.Fatalf("seed %d, mode %v: removed file came back with %d bytes, want its %d synced bytes", seed, mode, len(got), len(content))
					}
				} else {
					gone++
				}
				must(t, "SyncDir after Remove", m.SyncDir("/data"))
				if _, ok := readIfExists(t, m.Crash(crashRng(seed), mode), "/data/f"); ok {
					t.Fatalf("seed %d, mode %v: /data/f came back after its removal was dir-synced, want it gone", seed, mode)
				}
			}
			t.Logf("mode %v: removed file back %d, gone %d", mode, back, gone)
			if back == 0 || gone == 0 {
				t.Fatalf("mode %v over seeds 0..199: back %d, gone %d; want both outcomes", mode, back, gone)
			}
		})
	}
}

// TestCrashUnsyncedRename: each half of a rename that was not dir-synced
// survives independently; once dir-synced only the new name remains.
func TestCrashUnsyncedRename(t *testing.T) {
	content := pattern(300, 33)
	for _, mode := range powerLossModes {
		t.Run(mode.String(), func(t *testing.T) {
			seen := map[string]int{}
			for seed := range uint64(200) {
				m := newDurableMem(t)
				writeFile(t, m, "/data/a", true, content)
				writeFile(t, m, "/data/target", true, []byte("old target"))
				must(t, "SyncDir", m.SyncDir("/data"))
				must(t, "Rename(a, b)", m.Rename("/data/a", "/data/b"))
				must(t, "Rename(b-twin, target)", func() error {
					writeFile(t, m, "/data/twin", true, []byte("new target"))
					return m.Rename("/data/twin", "/data/target")
				}())

				c := m.Crash(crashRng(seed), mode)
				a, hasA := readIfExists(t, c, "/data/a")
				b, hasB := readIfExists(t, c, "/data/b")
				for name, got := range map[string][]byte{"a": a, "b": b} {
					if got != nil && !bytes.Equal(got, content) {
						t.Fatalf("seed %d, mode %v: /data/%s has %d bytes, want the %d bytes of the renamed file", seed, mode, name, len(got), len(content))
					}
				}
				seen[fmt.Sprintf("a=%v,b=%v", hasA, hasB)]++
				if hasA && hasB {
					// Both halves survived: two names of one file, as a
					// hard link would be.
					g := mustOpen(t, c, "/data/a", os.O_WRONLY)
					mustWrite(t, g, []byte("via a"))
					mustClose(t, g)
					if got := mustReadFile(t, c, "/data/b"); !bytes.HasPrefix(got, []byte("via a")) {
						t.Fatalf("seed %d, mode %v: a and b both survived the rename, but a write through a is not seen through b (b starts %q), want one file under two names", seed, mode, clip(got))
					}
				}
				// Renaming over an existing name: the name never vanishes.
				tgt, ok := readIfExists(t, c, "/data/target")
				if !ok || (string(tgt) != "old target" && string(tgt) != "new target") {
					t.Fatalf("seed %d, mode %v: /data/target = (%q, exists %v), want \"old target\" or \"new target\"", seed, mode, tgt, ok)
				}

				must(t, "SyncDir after Rename", m.SyncDir("/data"))
				c = m.Crash(crashRng(seed), mode)
				_, hasA = readIfExists(t, c, "/data/a")
				b, hasB = readIfExists(t, c, "/data/b")
				if hasA || !hasB || !bytes.Equal(b, content) {
					t.Fatalf("seed %d, mode %v: after SyncDir, a exists %v, b exists %v (%d bytes); want only b, with the %d bytes", seed, mode, hasA, hasB, len(b), len(content))
				}
				if _, ok := readIfExists(t, c, "/data/twin"); ok {
					t.Fatalf("seed %d, mode %v: /data/twin exists after the dir-synced rename, want it gone", seed, mode)
				}
				if tgt, _ := readIfExists(t, c, "/data/target"); string(tgt) != "new target" {
					t.Fatalf("seed %d, mode %v: /data/target = %q after SyncDir, want %q", seed, mode, tgt, "new target")
				}
			}
			t.Logf("mode %v: outcomes %v", mode, seen)
			if len(seen) != 4 {
				t.Fatalf("mode %v over seeds 0..199: outcomes %v; want old only, new only, both and neither", mode, seen)
			}
		})
	}
}

// TestCrashDeterministic: the same history and the same seed crash to the
// same bytes, stale ones included; different seeds to different outcomes.
func TestCrashDeterministic(t *testing.T) {
	m := richHistory(t)
	twin := richHistory(t) // the same history, built again
	regrown := string(mustReadFile(t, m, "/data/regrow"))
	for _, mode := range powerLossModes {
		t.Run(mode.String(), func(t *testing.T) {
			distinct := map[string]bool{}
			stale := 0 // seeds where /data/regrow shows bytes never written there
			for seed := range uint64(64) {
				d1 := dumpMem(t, m.Crash(crashRng(seed), mode))
				d2 := dumpMem(t, m.Crash(crashRng(seed), mode))
				if d := diffDumps(d2, d1); d != "" {
					t.Fatalf("seed %d, mode %v: two crashes of one Mem differ: %s", seed, mode, d)
				}
				if d := diffDumps(dumpMem(t, twin.Crash(crashRng(seed), mode)), d1); d != "" {
					t.Fatalf("seed %d, mode %v: crashes of two Mems with the same history differ: %s", seed, mode, d)
				}
				distinct[fingerprint(d1)] = true
				got := d1["/data/regrow"]
				for lo := 0; lo < len(got); lo += SectorSize {
					sec := got[lo:min(lo+SectorSize, len(got))]
					if strings.Trim(sec, "\x00") != "" && sec != regrown[lo:lo+len(sec)] {
						stale++
						break
					}
				}
			}
			t.Logf("mode %v: %d distinct outcomes, %d with stale bytes, over seeds 0..63", mode, len(distinct), stale)
			if len(distinct) < 8 {
				t.Fatalf("mode %v: %d distinct outcomes over seeds 0..63, want at least 8", mode, len(distinct))
			}
			if wantStale := mode == CrashReordered; (stale > 0) != wantStale {
				t.Fatalf("mode %v: %d of seeds 0..63 showed stale bytes in /data/regrow, want some only in reordered mode", mode, stale)
			}
		})
	}
}

// TestMemHaltAfter: the machine stops exactly after k more mutating
// operations; later ones fail with ErrHalted and change nothing, reads still
// work.
func TestMemHaltAfter(t *testing.T) {
	m := newDurableMem(t)
	writeFile(t, m, "/data/keep", true, []byte("keep"))
	must(t, "SyncDir", m.SyncDir("/data"))
	must(t, "MkdirAll(/data/sub)", m.MkdirAll("/data/sub", 0o755))
	f := mustOpen(t, m, "/data/f", os.O_CREATE|os.O_RDWR)
	defer f.Close()

	m.HaltAfter(2)
	if m.Halted() {
		t.Fatalf("Halted() right after HaltAfter(2) = true, want false")
	}
	mustWrite(t, f, []byte("one"))
	mustWrite(t, f, []byte("two"))
	if !m.Halted() {
		t.Fatalf("Halted() after 2 of HaltAfter(2) operations = false, want true")
	}

	before := dumpMem(t, m)
	ops := m.Ops()
	crashes := func() []string { // what power losses would find, for a few seeds
		var out []string
		for _, mode := range powerLossModes {
			for seed := range uint64(16) {
				out = append(out, fingerprint(dumpMem(t, m.Crash(crashRng(seed), mode))))
			}
		}
		return out
	}
	crashBefore := crashes()
	ops2 := m.Ops()
	if ops2 != ops {
		t.Fatalf("reads and crashes changed Ops() from %d to %d, want unchanged", ops, ops2)
	}

	halted := []struct {
		name string
		op   func() error
	}{
		{"Write", func() error {
			n, err := f.Write([]byte("three"))
			if n != 0 {
				return fmt.Errorf("wrote %d bytes (err %v)", n, err)
			}
			return err
		}},
		{"Sync", f.Sync},
		{"Truncate", func() error { return f.Truncate(1) }},
		{"OpenFile(create)", func() error { _, err := m.OpenFile("/data/new", os.O_CREATE|os.O_WRONLY, 0o644); return err }},
		{"OpenFile(O_TRUNC)", func() error { _, err := m.OpenFile("/data/keep", os.O_TRUNC|os.O_WRONLY, 0o644); return err }},
		{"Remove", func() error { return m.Remove("/data/keep") }},
		{"Rename", func() error { return m.Rename("/data/keep", "/data/moved") }},
		{"MkdirAll", func() error { return m.MkdirAll("/data/d1/d2", 0o755) }},
		{"SyncDir", func() error { return m.SyncDir("/data") }},
		{"Lock", func() error { _, err := m.Lock("/data/sub"); return err }},
		{"WriteFile", func() error { return WriteFile(m, "/data/other", []byte("x"), 0o644) }},
	}
	for _, h := range halted {
		err := h.op()
		if !errors.Is(err, ErrHalted) {
			t.Fatalf("%s after the crash point = %v, want an error satisfying errors.Is(err, ErrHalted)", h.name, err)
		}
		if d := diffDumps(dumpMem(t, m), before); d != "" {
			t.Fatalf("halted %s changed the file system: %s", h.name, d)
		}
		if got := m.Ops(); got != ops {
			t.Fatalf("halted %s changed Ops() from %d to %d, want unchanged", h.name, ops, got)
		}
	}
	if !slices.Equal(crashes(), crashBefore) {
		t.Fatalf("halted operations changed what a crash finds (durable state or volatile history), want unchanged")
	}
	// Reads still work.
	if got := mustReadFile(t, m, "/data/f"); string(got) != "onetwo" {
		t.Fatalf("/data/f after the halt = %q, want %q", got, "onetwo")
	}
	if n, err := f.ReadAt(make([]byte, 3), 3); n != 3 || err != nil {
		t.Fatalf("ReadAt after the halt = (%d, %v), want (3, nil)", n, err)
	}

	// HaltAfter(0) halts at once.
	m2 := NewMem()
	m2.HaltAfter(0)
	if err := m2.MkdirAll("/x", 0o755); !errors.Is(err, ErrHalted) {
		t.Fatalf("MkdirAll after HaltAfter(0) = %v, want ErrHalted", err)
	}
	if m2.Ops() != 0 {
		t.Fatalf("Ops() after HaltAfter(0) and a refused op = %d, want 0", m2.Ops())
	}
}

// TestMemOps: every mutating operation counts one, reads count nothing.
func TestMemOps(t *testing.T) {
	m := NewMem()
	var f File
	steps := []struct {
		name string
		want uint64 // added to Ops()
		op   func() error
	}{
		{"MkdirAll(new, nested)", 1, func() error { return m.MkdirAll("/data/a/b", 0o755) }},
		{"MkdirAll(existing)", 0, func() error { return m.MkdirAll("/data/a/b", 0o755) }},
		{"SyncDir", 1, func() error { return m.SyncDir("/data") }},
		{"OpenFile(create)", 1, func() (err error) { f, err = m.OpenFile("/data/f", os.O_CREATE|os.O_RDWR, 0o644); return err }},
		{"Write", 1, func() error { _, err := f.Write([]byte("hello")); return err }},
		{"Write", 1, func() error { _, err := f.Write([]byte(" world")); return err }},
		{"Sync", 1, f2(&f, File.Sync)},
		{"Truncate", 1, func() error { return f.Truncate(3) }},
		{"ReadAt", 0, func() error { _, err := f.ReadAt(make([]byte, 3), 0); return err }},
		{"Read", 0, func() error {
			_, err := f.Read(make([]byte, 3)) // at position 11 of 3 bytes
			if err == io.EOF {
				err = nil
			}
			return err
		}},
		{"File.Stat", 0, func() error { _, err := f.Stat(); return err }},
		{"Stat", 0, func() error { _, err := m.Stat("/data/f"); return err }},
		{"ReadDir", 0, func() error { _, err := m.ReadDir("/data"); return err }},
		{"ReadFile", 0, func() error { _, err := ReadFile(m, "/data/f"); return err }},
		{"OpenFile(read-only)", 0, func() error {
			g, err := m.OpenFile("/data/f", os.O_RDONLY, 0)
			if err == nil {
				err = g.Close()
			}
			return err
		}},
		{"OpenFile(create, existing)", 0, func() error {
			g, err := m.OpenFile("/data/f", os.O_CREATE|os.O_RDWR, 0o644)
			if err == nil {
				err = g.Close()
			}
			return err
		}},
		{"OpenFile(O_TRUNC, non-empty)", 1, func() error {
			g, err := m.OpenFile("/data/f", os.O_TRUNC|os.O_RDWR, 0o644)
			if err == nil {
				err = g.Close()
			}
			return err
		}},
		{"Close", 0, f2(&f, File.Close)},
		{"Rename", 1, func() error { return m.Rename("/data/f", "/data/g") }},
		{"Remove", 1, func() error { return m.Remove("/data/g") }},
		{"Lock(creates LOCK)", 1, func() error {
			l, err := m.Lock("/data")
			if err == nil {
				err = l.Close()
			}
			return err
		}},
		{"Crash", 0, func() error { m.Crash(crashRng(1), CrashReordered); return nil }},
	}
	for _, s := range steps {
		before := m.Ops()
		if err := s.op(); err != nil {
			t.Fatalf("%s = %v, want nil", s.name, err)
		}
		if got := m.Ops() - before; got != s.want {
			t.Fatalf("%s added %d to Ops(), want %d", s.name, got, s.want)
		}
	}
}

// f2 binds a File method to a handle that is assigned later.
func f2(f *File, method func(File) error) func() error {
	return func() error { return method(*f) }
}

// TestCrashLeavesOriginalAlone: Crash reads m and shares no memory with its
// result.
func TestCrashLeavesOriginalAlone(t *testing.T) {
	m := richHistory(t)
	before := dumpMem(t, m)
	ops := m.Ops()
	first := map[CrashMode]string{}
	for _, mode := range allModes {
		first[mode] = fingerprint(dumpMem(t, m.Crash(crashRng(7), mode)))
		for seed := range uint64(10) {
			m.Crash(crashRng(seed), mode)
		}
	}
	if d := diffDumps(dumpMem(t, m), before); d != "" {
		t.Fatalf("crashing changed the original Mem: %s", d)
	}
	if m.Ops() != ops {
		t.Fatalf("crashing changed Ops() from %d to %d", ops, m.Ops())
	}
	for _, mode := range allModes {
		if got := fingerprint(dumpMem(t, m.Crash(crashRng(7), mode))); got != first[mode] {
			t.Fatalf("seed 7, mode %v: crash after other crashes differs from the first one: the crashes changed the original's durable or volatile state", mode)
		}
	}

	// Writes to either side do not reach the other.
	c := m.Crash(crashRng(3), CrashProcess)
	crashed := dumpMem(t, c)
	for _, name := range []string{"/data/synced", "/data/unsynced", "/data/trunc", "/data/newfile"} {
		g := mustOpen(t, c, name, os.O_WRONLY)
		mustWrite(t, g, bytes.Repeat([]byte{0xEE}, 40))
		mustClose(t, g)
	}
	if d := diffDumps(dumpMem(t, m), before); d != "" {
		t.Fatalf("writing to the crash result changed the original: %s", d)
	}
	c = m.Crash(crashRng(3), CrashProcess)
	for _, name := range []string{"/data/synced", "/data/unsynced", "/data/trunc", "/data/newfile"} {
		g := mustOpen(t, m, name, os.O_WRONLY)
		mustWrite(t, g, bytes.Repeat([]byte{0xDD}, 40))
		must(t, "Sync", g.Sync())
		mustClose(t, g)
	}
	if d := diffDumps(dumpMem(t, c), crashed); d != "" {
		t.Fatalf("writing to the original changed an earlier crash result: %s", d)
	}
}

// TestCrashResultIsDurable: a crash result has nothing volatile left, so
// crashing it again changes nothing; it has no crash point and no locks.
func TestCrashResultIsDurable(t *testing.T) {
	m := richHistory(t)
	lock, err := m.Lock("/data")
	must(t, "Lock(/data)", err)
	defer lock.Close()
	m.HaltAfter(0)
	for _, mode := range allModes {
		for seed := range uint64(30) {
			c := m.Crash(crashRng(seed), mode)
			want := dumpMem(t, c)
			for _, mode2 := range powerLossModes {
				for seed2 := range uint64(4) {
					if d := diffDumps(dumpMem(t, c.Crash(crashRng(seed2), mode2)), want); d != "" {
						t.Fatalf("seed %d, mode %v, then seed %d, mode %v: crashing a crash result changed it: %s", seed, mode, seed2, mode2, d)
					}
				}
			}
			if c.Halted() || c.Ops() != 0 {
				t.Fatalf("seed %d, mode %v: crash result Halted() = %v, Ops() = %d; want false, 0", seed, mode, c.Halted(), c.Ops())
			}
			l, err := c.Lock("/data")
			if err != nil {
				t.Fatalf("seed %d, mode %v: Lock(/data) on the crash result = %v, want nil (locks are not carried over)", seed, mode, err)
			}
			must(t, "unlock", l.Close())
			must(t, "WriteFile on the crash result", WriteFile(c, "/data/after", []byte("x"), 0o644))
		}
	}
}
