package fs

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// sectorOf returns the n bytes of b from the start of sector k, zero-filled
// past b's end: what sector k of a file holding b reads as when the file is
// only n bytes into that sector.
func sectorOf(b []byte, k int64, n int) []byte {
	out := make([]byte, n)
	if lo := k * SectorSize; lo < int64(len(b)) {
		copy(out, b[lo:])
	}
	return out
}

// whichSector names what sector s of a crashed file holds: "zero", or the
// name of one of sources and the sector k of that source it equals. ok is
// false when it matches none. Sources are tried in sorted name order.
func whichSector(got []byte, s int64, sources map[string][]byte) (name string, k int64, ok bool) {
	lo := s * SectorSize
	sec := got[lo:min(lo+SectorSize, int64(len(got)))]
	if !slices.ContainsFunc(sec, func(c byte) bool { return c != 0 }) {
		return "zero", s, true
	}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		src := sources[name]
		for k := int64(0); k*SectorSize < int64(len(src)); k++ {
			if bytes.Equal(sec, sectorOf(src, k, len(sec))) {
				return name, k, true
			}
		}
	}
	return "", 0, false
}

// syncedFile creates name with content, syncs it and its directory /data.
func syncedFile(t *testing.T, m *Mem, name string, content []byte) {
	t.Helper()
	writeFile(t, m, name, true, content)
	must(t, "SyncDir(/data)", m.SyncDir("/data"))
}

// removeDurably removes name and syncs /data.
func removeDurably(t *testing.T, m *Mem, name string) {
	t.Helper()
	must(t, "Remove("+name+")", m.Remove(name))
	must(t, "SyncDir(/data)", m.SyncDir("/data"))
}

// TestCrashStaleRemovedFile: the content of a removed file reappears, sector
// by sector, at the same offset or at another one, where another file's
// volatile writes did not land; landed sectors and zeros are the only other
// outcomes.
func TestCrashStaleRemovedFile(t *testing.T) {
	const seeds = 300
	hist := rand.New(rand.NewPCG(5, 1))
	gone := randBytes(hist, 32*SectorSize)
	m := newDurableMem(t)
	syncedFile(t, m, "/data/gone", gone)
	removeDurably(t, m, "/data/gone")
	syncedFile(t, m, "/data/b", nil)
	b := randBytes(hist, 3*SectorSize+100) // the last sector is partial
	appendFile(t, m, "/data/b", b[:1000], b[1000:])

	seen := map[string]int{}
	for seed := range uint64(seeds) {
		got, ok := readIfExists(t, m.Crash(crashRng(seed), CrashReordered), "/data/b")
		if !ok {
			t.Fatalf("seed %d: /data/b vanished, want it kept (its entry is durable)", seed)
		}
		for s := int64(0); s*SectorSize < int64(len(got)); s++ {
			name, k, ok := whichSector(got, s, map[string][]byte{"b": b, "gone": gone})
			switch {
			case !ok:
				t.Fatalf("seed %d: sector %d of /data/b (%d bytes) is neither zeros, nor b's own bytes, nor a sector of the removed file", seed, s, len(got))
			case name == "b" && k != s:
				t.Fatalf("seed %d: sector %d of /data/b holds b's sector %d, want b's bytes only at their own offset", seed, s, k)
			case name == "gone" && k == s:
				seen["gone, same offset"]++
			case name == "gone":
				seen["gone, other offset"]++
			default:
				seen[name]++
			}
		}
	}
	t.Logf("sector outcomes over seeds 0..%d: %v", seeds-1, seen)
	for _, want := range []string{"b", "zero", "gone, same offset", "gone, other offset"} {
		if seen[want] == 0 {
			t.Fatalf("over seeds 0..%d no sector of /data/b was %q (outcomes %v); want each of b, zero and the removed file's bytes at the same and at another offset", seeds-1, want, seen)
		}
	}
	// The same offset is drawn on purpose (a removed chunk's record at the
	// offset it had is what a log's recovery is likeliest to take for its
	// own), not only by the chance of 1 in 32 of a random sector.
	if same, other := seen["gone, same offset"], seen["gone, other offset"]; 4*same < other {
		t.Fatalf("over seeds 0..%d the removed file's sectors showed %d times at their offset, %d times at another; want the same offset at least a quarter as often", seeds-1, same, other)
	}
}

// TestCrashStaleOwnTruncated: a file truncated (durably) and then extended by
// unsynced writes can show its own old bytes at the offsets they had, whether
// a Truncate or an O_TRUNC open cut them.
func TestCrashStaleOwnTruncated(t *testing.T) {
	const seeds = 300
	for _, how := range []string{"Truncate", "O_TRUNC"} {
		t.Run(how, func(t *testing.T) {
			hist := rand.New(rand.NewPCG(6, 1))
			old := randBytes(hist, 4*SectorSize)
			m := newDurableMem(t)
			syncedFile(t, m, "/data/f", old)
			keep := int64(0)
			flag := os.O_RDWR | os.O_APPEND // writes land at the end
			if how == "O_TRUNC" {
				flag |= os.O_TRUNC
			}
			f := mustOpen(t, m, "/data/f", flag)
			if how == "Truncate" {
				keep = SectorSize + 10 // the cut starts inside sector 1
				must(t, "Truncate", f.Truncate(keep))
			}
			must(t, "Sync", f.Sync())
			regrown := randBytes(hist, 4*SectorSize-int(keep))
			mustWrite(t, f, regrown[:700])
			mustWrite(t, f, regrown[700:])
			mustClose(t, f)
			final := append(slices.Clone(old[:keep]), regrown...)
			sources := map[string][]byte{
				"cut":     append(make([]byte, keep), old[keep:]...), // the freed extent, at its offsets
				"durable": old[:keep],
				"final":   final,
				"old":     old,
			}

			sameOffset := 0
			for seed := range uint64(seeds) {
				got, _ := readIfExists(t, m.Crash(crashRng(seed), CrashReordered), "/data/f")
				for s := int64(0); s*SectorSize < int64(len(got)); s++ {
					name, k, ok := whichSector(got, s, sources)
					if !ok || name == "final" && k != s {
						t.Fatalf("seed %d: sector %d of /data/f is neither zeros, nor its durable or current bytes there, nor a sector of its old content", seed, s)
					}
					if s*SectorSize < keep && (name != "durable" && name != "final" || k != s) {
						t.Fatalf("seed %d: sector %d of /data/f holds durable bytes (of [0, %d)) but reads as %s sector %d, want its durable or current bytes there", seed, s, keep, name, k)
					}
					if (name == "old" || name == "cut") && k == s {
						sameOffset++
					}
				}
			}
			t.Logf("%s: %d sectors showed the old bytes at their own offset over seeds 0..%d", how, sameOffset, seeds-1)
			if sameOffset == 0 {
				t.Fatalf("%s: over seeds 0..%d no sector of the regrown file showed its old bytes at their offset, want some", how, seeds-1)
			}
		})
	}
}

// TestCrashStaleOnlyWhereUndefined: stale bytes never replace durable bytes
// (not even where an unsynced truncation that landed cut them), and never
// show in a hole made by an extending truncation or by a write past the end;
// they show only in sectors a volatile write covered past the durable length.
func TestCrashStaleOnlyWhereUndefined(t *testing.T) {
	const seeds = 400
	hist := rand.New(rand.NewPCG(7, 1))
	m := newDurableMem(t)
	syncedFile(t, m, "/data/junk", randBytes(hist, 8*SectorSize))
	removeDurably(t, m, "/data/junk")

	// f: holes and a write past the durable length.
	durableF := randBytes(hist, 3*SectorSize+200)
	syncedFile(t, m, "/data/f", durableF)
	f := mustOpen(t, m, "/data/f", os.O_RDWR)
	must(t, "Truncate(100)", f.Truncate(100))
	if _, err := io.ReadFull(f, make([]byte, 10)); err != nil {
		t.Fatalf("Read(10) = %v", err)
	}
	mustWrite(t, f, bytes.Repeat([]byte{'o'}, 50)) // at 10
	must(t, "Truncate(8000)", f.Truncate(8000))    // a hole from 100
	if _, err := io.ReadFull(f, make([]byte, 8000-60)); err != nil {
		t.Fatalf("Read to 8000 = %v", err)
	}
	must(t, "Truncate(7000)", f.Truncate(7000))
	mustWrite(t, f, bytes.Repeat([]byte{'t'}, 700)) // at 8000: a hole from 7000
	mustClose(t, f)

	// g: durable sectors overwritten, then cut away, all unsynced: a crash
	// keeping the length and the cut of a sector leaves it with no bytes,
	// inside the durable length.
	durableG := randBytes(hist, 4*SectorSize)
	syncedFile(t, m, "/data/g", durableG)
	g := mustOpen(t, m, "/data/g", os.O_RDWR)
	mustWrite(t, g, randBytes(hist, 4*SectorSize))
	must(t, "Truncate(100)", g.Truncate(100))
	mustClose(t, g)

	files := []struct {
		name    string
		durable []byte
		written map[int64]bool // sectors past the durable length a volatile write covered
	}{
		{"/data/f", durableF, map[int64]bool{8000 / SectorSize: true, 8699 / SectorSize: true}},
		{"/data/g", durableG, nil},
	}
	for _, file := range files {
		current := mustReadFile(t, m, file.name)
		stale, empty := 0, 0
		for seed := range uint64(seeds) {
			got, _ := readIfExists(t, m.Crash(crashRng(seed), CrashReordered), file.name)
			for s := int64(0); s*SectorSize < int64(len(got)); s++ {
				lo := s * SectorSize
				sec := got[lo:min(lo+SectorSize, int64(len(got)))]
				if lo >= int64(len(current)) && lo < int64(len(file.durable)) && !bytes.Equal(sec, sectorOf(file.durable, s, len(sec))) {
					empty++ // the landed cut left it with no bytes
				}
				if bytes.Equal(sec, sectorOf(file.durable, s, len(sec))) || bytes.Equal(sec, sectorOf(current, s, len(sec))) {
					continue
				}
				if file.written[s] { // whatever it holds: the other tests check what
					stale++
					continue
				}
				t.Fatalf("seed %d: sector %d [%d, %d) of %s (%d bytes) is neither its durable nor its current bytes there (zeros past their ends); want one of them outside the written sectors %v past the durable length",
					seed, s, lo, lo+int64(len(sec)), file.name, len(got), slices.Sorted(maps.Keys(file.written)))
			}
		}
		t.Logf("%s: over seeds 0..%d, %d written sectors past the durable length read as neither durable nor current bytes, %d durable sectors were left with no bytes", file.name, seeds-1, stale, empty)
		if len(file.written) > 0 && stale == 0 {
			t.Fatalf("%s: over seeds 0..%d the written sectors past the durable length always read as durable or current bytes, want them to hold stale bytes or zeros sometimes", file.name, seeds-1)
		}
		if file.written == nil && empty == 0 {
			t.Fatalf("%s: over seeds 0..%d no durable sector was left with no bytes by a landed cut, want some (else this case tests nothing)", file.name, seeds-1)
		}
	}
}

// TestCrashOrderedShowsNoStale: an ordered power loss keeps a prefix of the
// volatile writes, never a stale byte, even with freed content around.
func TestCrashOrderedShowsNoStale(t *testing.T) {
	hist := rand.New(rand.NewPCG(8, 1))
	m := newDurableMem(t)
	syncedFile(t, m, "/data/gone", randBytes(hist, 3000))
	removeDurably(t, m, "/data/gone")
	syncedFile(t, m, "/data/f", randBytes(hist, 3000))
	f := mustOpen(t, m, "/data/f", os.O_RDWR|os.O_TRUNC)
	must(t, "Sync", f.Sync())
	regrown := randBytes(hist, 2500)
	mustWrite(t, f, regrown[:1200])
	mustWrite(t, f, regrown[1200:])
	mustClose(t, f)
	for seed := range uint64(200) {
		got, _ := readIfExists(t, m.Crash(crashRng(seed), CrashOrdered), "/data/f")
		if !bytes.Equal(got, regrown[:len(got)]) {
			t.Fatalf("seed %d: ordered crash left /data/f with %d bytes that are not a prefix of the %d bytes written after the truncation", seed, len(got), len(regrown))
		}
	}
}

// freedContents returns the data of m's freed extents, oldest first.
func freedContents(m *Mem) [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out [][]byte
	for _, e := range m.freed {
		out = append(out, e.data)
	}
	return out
}

// checkFreedBound fails unless m's freed content is within its bounds and
// its byte count is exact.
func checkFreedBound(t *testing.T, m *Mem, when string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	sum := 0
	for _, e := range m.freed {
		sum += len(e.data)
	}
	if sum != m.freedBytes || len(m.freed) > memFreedMaxExtents || sum > memFreedMaxBytes {
		t.Fatalf("%s: %d freed extents of %d bytes (counted %d), want at most %d extents and %d bytes, counted exactly",
			when, len(m.freed), sum, m.freedBytes, memFreedMaxExtents, memFreedMaxBytes)
	}
}

// TestMemFreesContent: each way of freeing content records exactly the
// bytes freed, and a file with two names frees nothing until the second goes.
func TestMemFreesContent(t *testing.T) {
	a, b := pattern(700, 1), pattern(300, 2)
	cases := []struct {
		name string
		do   func(t *testing.T, m *Mem)
		want [][]byte
	}{
		{"Remove", func(t *testing.T, m *Mem) { must(t, "Remove", m.Remove("/data/a")) }, [][]byte{a}},
		{"Rename over", func(t *testing.T, m *Mem) { must(t, "Rename", m.Rename("/data/b", "/data/a")) }, [][]byte{a}},
		{"Rename to a free name", func(t *testing.T, m *Mem) { must(t, "Rename", m.Rename("/data/a", "/data/c")) }, nil},
		{"Truncate", func(t *testing.T, m *Mem) {
			f := mustOpen(t, m, "/data/a", os.O_RDWR)
			must(t, "Truncate(200)", f.Truncate(200))
			must(t, "Truncate(900)", f.Truncate(900)) // growing cuts nothing
			must(t, "Truncate(800)", f.Truncate(800)) // cuts zeros
			mustClose(t, f)
		}, [][]byte{a[200:], make([]byte, 100)}},
		{"O_TRUNC", func(t *testing.T, m *Mem) { mustClose(t, mustOpen(t, m, "/data/a", os.O_WRONLY|os.O_TRUNC)) }, [][]byte{a}},
		{"Remove of an empty file", func(t *testing.T, m *Mem) {
			writeFile(t, m, "/data/empty", false)
			must(t, "Remove", m.Remove("/data/empty"))
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newDurableMem(t)
			writeFile(t, m, "/data/a", false, a)
			writeFile(t, m, "/data/b", false, b)
			c.do(t, m)
			if got := freedContents(m); !slices.EqualFunc(got, c.want, bytes.Equal) {
				t.Fatalf("freed extents after %s: %d of lengths %v, want %d of lengths %v (or their bytes differ)", c.name, len(got), lens(got), len(c.want), lens(c.want))
			}
		})
	}

	// A rename half undone by a crash leaves one file with two names.
	for seed := range uint64(100) {
		m := newDurableMem(t)
		syncedFile(t, m, "/data/a", a)
		must(t, "Rename", m.Rename("/data/a", "/data/b"))
		c := m.Crash(crashRng(seed), CrashOrdered)
		_, hasA := readIfExists(t, c, "/data/a")
		_, hasB := readIfExists(t, c, "/data/b")
		if !hasA || !hasB {
			continue
		}
		must(t, "Remove(a)", c.Remove("/data/a"))
		if got := freedContents(c); len(got) != 0 {
			t.Fatalf("seed %d: removing one of two names freed %d extents, want none", seed, len(got))
		}
		must(t, "Remove(b)", c.Remove("/data/b"))
		if got := freedContents(c); len(got) != 1 || !bytes.Equal(got[0], a) {
			t.Fatalf("seed %d: removing the last name freed extents of lengths %v, want one holding the file's %d bytes", seed, lens(got), len(a))
		}
		return
	}
	t.Fatalf("over seeds 0..99 no crash kept both names of an unsynced rename; want one to test two names")
}

func lens(bs [][]byte) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = len(b)
	}
	return out
}

// TestMemFreedBound: the freed content stays within its bounds, keeping the
// newest extents; an extent larger than the byte bound keeps its first
// bytes; a crash result, which adds the files it lost, is bounded too.
func TestMemFreedBound(t *testing.T) {
	m := newDurableMem(t)
	const files = memFreedMaxExtents + 44
	for i := range files {
		writeFile(t, m, "/data/f", false, []byte(fmt.Sprintf("file %d", i)))
		must(t, "Remove", m.Remove("/data/f"))
		checkFreedBound(t, m, fmt.Sprintf("after removing file %d", i))
	}
	got := freedContents(m)
	if len(got) != memFreedMaxExtents || string(got[0]) != fmt.Sprintf("file %d", files-memFreedMaxExtents) || string(got[len(got)-1]) != fmt.Sprintf("file %d", files-1) {
		t.Fatalf("after %d removals: %d extents, oldest %q, newest %q; want the newest %d, files %d..%d",
			files, len(got), got[0], got[len(got)-1], memFreedMaxExtents, files-memFreedMaxExtents, files-1)
	}

	big := pattern(3*memFreedMaxBytes+5, 9)
	writeFile(t, m, "/data/big", false, big)
	f := mustOpen(t, m, "/data/big", os.O_RDWR)
	must(t, "Truncate", f.Truncate(1000))
	mustClose(t, f)
	checkFreedBound(t, m, "after cutting 3 MiB")
	if got := freedContents(m); len(got) != 1 || !bytes.Equal(got[0], big[1000:1000+memFreedMaxBytes]) {
		t.Fatalf("after cutting %d bytes from offset 1000: extents of lengths %v, want one holding the first %d bytes cut", len(big)-1000, lens(got), memFreedMaxBytes)
	}
	writeFile(t, m, "/data/small", false, []byte("small"))
	must(t, "Remove", m.Remove("/data/small"))
	checkFreedBound(t, m, "after a removal past the byte bound")
	if got := freedContents(m); len(got) != 1 || string(got[0]) != "small" {
		t.Fatalf("after a 5-byte removal with %d bytes freed: extents of lengths %v, want only the newest one", memFreedMaxBytes, lens(got))
	}

	// A crash that loses unsynced creations frees their content.
	for i := range 5 {
		writeFile(t, m, fmt.Sprintf("/data/lost%d", i), true, pattern(300<<10, byte(i)))
	}
	lost := 0
	for seed := range uint64(20) {
		c := m.Crash(crashRng(seed), CrashOrdered)
		checkFreedBound(t, c, fmt.Sprintf("seed %d: crash result", seed))
		names, err := c.ReadDir("/data")
		must(t, "ReadDir", err)
		lost += 6 - len(names) // of big and lost0..lost4, none dir-synced
	}
	if lost == 0 {
		t.Fatalf("over seeds 0..19 no unsynced creation was lost; want some, to check the bound of a crash result")
	}
}

// TestCrashFreesLostFiles: a file whose every name a crash loses leaves its
// content on the disk, where a later crash can show it inside another file.
func TestCrashFreesLostFiles(t *testing.T) {
	lostContent := pattern(2*SectorSize, 21)
	shown := 0
	for seed := range uint64(100) {
		m := newDurableMem(t)
		writeFile(t, m, "/data/lost", true, lostContent) // entry never dir-synced
		c := m.Crash(crashRng(seed), CrashReordered)
		_, kept := readIfExists(t, c, "/data/lost")
		freed := freedContents(c)
		if wantFreed := !kept; wantFreed != (len(freed) == 1 && bytes.Equal(freed[0], lostContent)) {
			t.Fatalf("seed %d: /data/lost kept %v after the crash, freed extents of lengths %v; want its content freed exactly when lost", seed, kept, lens(freed))
		}
		if kept {
			continue
		}
		syncedFile(t, c, "/data/next", nil)
		appendFile(t, c, "/data/next", pattern(2*SectorSize, 22))
		// Another stream: the first draws of crashRng(seed) lost the file,
		// and would now pick the shortest length.
		got, _ := readIfExists(t, c.Crash(rand.New(rand.NewPCG(seed, 3)), CrashReordered), "/data/next")
		for s := int64(0); s*SectorSize < int64(len(got)); s++ {
			if name, _, _ := whichSector(got, s, map[string][]byte{"lost": lostContent}); name == "lost" {
				shown++
			}
		}
	}
	t.Logf("over seeds 0..99, %d sectors of files written after a crash showed a lost file's bytes", shown)
	if shown == 0 {
		t.Fatalf("over seeds 0..99 the content of a file lost in a crash never showed in a file written after it; want it to")
	}
}

// staleHistory runs a random history of writes, truncations, O_TRUNC opens,
// removals, renames and syncs, with a power loss in the middle, from hist
// seed h. The same h gives the same history.
func staleHistory(t *testing.T, h uint64) *Mem {
	t.Helper()
	hist := rand.New(rand.NewPCG(h, 1))
	m := newDurableMem(t)
	names := []string{"/data/a", "/data/b", "/data/c"}
	for step := range 60 {
		name := names[hist.IntN(len(names))]
		switch hist.IntN(7) {
		case 0, 1:
			f := mustOpen(t, m, name, os.O_CREATE|os.O_WRONLY|os.O_APPEND)
			mustWrite(t, f, randBytes(hist, 1+hist.IntN(1500)))
			if hist.IntN(2) == 0 {
				must(t, "Sync", f.Sync())
			}
			mustClose(t, f)
		case 2:
			f := mustOpen(t, m, name, os.O_CREATE|os.O_WRONLY)
			must(t, "Truncate", f.Truncate(int64(hist.IntN(2000))))
			mustClose(t, f)
		case 3:
			writeFile(t, m, name, hist.IntN(2) == 0, randBytes(hist, hist.IntN(1000)))
		case 4:
			if _, ok := readIfExists(t, m, name); ok {
				must(t, "Remove", m.Remove(name))
			}
		case 5:
			if _, ok := readIfExists(t, m, name); ok {
				must(t, "Rename", m.Rename(name, names[hist.IntN(len(names))]))
			}
		case 6:
			must(t, "SyncDir", m.SyncDir("/data"))
		}
		if step == 30 {
			m = m.Crash(rand.New(rand.NewPCG(h, 2)), CrashReordered)
		}
	}
	return m
}

// TestCrashStaleDeterministic: with freed content in play, the same history
// and the same rng state crash to the same bytes, and to the same freed
// content, across a chain of crashes.
func TestCrashStaleDeterministic(t *testing.T) {
	for h := range uint64(8) {
		m, twin := staleHistory(t, h), staleHistory(t, h)
		if !slices.EqualFunc(freedContents(m), freedContents(twin), bytes.Equal) {
			t.Fatalf("history %d: two runs of the same history freed different content", h)
		}
		for seed := range uint64(16) {
			c1 := m.Crash(crashRng(seed), CrashReordered)
			c2 := twin.Crash(crashRng(seed), CrashReordered)
			if d := diffDumps(dumpMem(t, c2), dumpMem(t, c1)); d != "" {
				t.Fatalf("history %d, seed %d: crashes of two Mems with the same history differ: %s", h, seed, d)
			}
			if !slices.EqualFunc(freedContents(c1), freedContents(c2), bytes.Equal) {
				t.Fatalf("history %d, seed %d: crash results of the same history hold different freed content", h, seed)
			}
		}
	}
}
