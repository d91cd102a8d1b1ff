package wal

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
)

// TestTransientFlipAtOpenCutsNothing: a bit flipped on the way back from
// the disk while Open reads the newest chunk (the bytes at rest are sound)
// made a synced batch look torn, and Open cut it: synced records gone, with
// only a Cut in the report. Open now reads the chunk again before cutting,
// and refuses with ErrReadsDiffer when the two reads disagree. Every seed
// flips one bit of the first read of a chunk file (several reads apart, so
// the flip lands in every part of the last batch over the seeds): Open
// either keeps every synced record or fails; failing, it changed nothing on
// disk, and the next Open, without the flip, finds every record.
func TestTransientFlipAtOpenCutsNothing(t *testing.T) {
	for _, maxBytes := range []int64{0, 8 << 10} {
		m := fs.NewMem()
		l := openTest(t, m, Config{ManualWorker: true, ChunkMaxBytes: maxBytes})
		for i := range 6 {
			l.append(recs(fmt.Sprint("b", i, "-"), 20)...)
			l.sync()
		}
		// A last batch large enough for many flips to land in it.
		l.append(recs("last-batch-of-larger-records-", 400)...)
		l.sync()
		want := slices.Clone(l.sm.recs)
		img := clone(m) // the process dies: every batch synced, no Close
		l.close()
		refused, differ := 0, 0
		for seed := range uint64(300) {
			disk := clone(img)
			ffs := faultinject.New(disk, faultinject.Options{Seed: seed},
				faultinject.Rule{Op: faultinject.OpRead, Path: "*.wal", Nth: 1 + int(seed%4), Times: 1, FlipBits: 1})
			c := l.on(t, ffs)
			err := c.reopen()
			replay := fmt.Sprintf("ChunkMaxBytes %d, seed %d, faults %v", maxBytes, seed, ffs.Injected())
			if err == nil {
				if !slices.Equal(c.sm.recs, want) {
					t.Errorf("Open kept %d of %d synced records, cuts %+v: %s", len(c.sm.recs), len(want), c.w.Report().Cuts, replay)
				}
				c.close()
				continue
			}
			refused++
			if errors.Is(err, ErrReadsDiffer) {
				differ++
			}
			if !errors.Is(err, ErrReadsDiffer) && !errors.Is(err, ErrCorrupt) {
				t.Errorf("Open: %v, want ErrReadsDiffer or ErrCorrupt: %s", err, replay)
			}
			again := l.on(t, disk)
			if err := again.reopen(); err != nil {
				t.Fatalf("Open after the refused one, without the flip: %v: %s", err, replay)
			}
			if !slices.Equal(again.sm.recs, want) {
				t.Errorf("the refused Open changed the log: %d of %d records left: %s", len(again.sm.recs), len(want), replay)
			}
			again.close()
		}
		t.Logf("ChunkMaxBytes %d: %d of 300 Opens refused, %d of them as reads that differ", maxBytes, refused, differ)
		if differ == 0 {
			t.Errorf("ChunkMaxBytes %d: no flip landed where it looks like a torn tail: the test checks nothing", maxBytes)
		}
	}
}

// TestMisreadAtOpenAfterACrashChangesNothing: power losses at every point
// of a run that rotates chunks, then an Open during which one read of a
// chunk file returns one bit flipped (the bytes at rest are sound): a bit
// the fault injector draws from the first few reads, then a bit of each of
// the last bytes of the two newest chunks (a seal, a torn batch). The Open must
// recover what a clean Open of the same disk does, or refuse with
// ErrReadsDiffer or ErrCorrupt having changed nothing that a clean Open
// then recovers differently. Misreads made Open cut synced batches as torn;
// and a misread of a sound seal made Open remove the sealed chunk's
// successor as the leftover of an interrupted rotation, after which the
// seal named a missing chunk and the log no longer opened.
func TestMisreadAtOpenAfterACrashChangesNothing(t *testing.T) {
	cfg := Config{ManualWorker: true, ChunkMaxRecords: 5}
	run := func(l *testLog) {
		for i := range 7 {
			l.append(recs(fmt.Sprint("r", i, "-"), 1+i%4)...)
			if i%3 != 2 {
				l.w.Step() // written, not synced: what a crash may tear
			}
			if err := l.w.Sync(); err != nil {
				return // halted
			}
		}
	}
	m := fs.NewMem()
	l := openTest(t, m, cfg)
	before := m.Ops()
	run(l)
	total := m.Ops() - before
	l.close()

	var opens, refused, differ, rotations int
	misread := func(img *fs.Mem, fsys fs.FS, want []string, replay func() string) {
		c := logOn(t, fsys, cfg)
		err := c.reopen()
		opens++
		if err == nil {
			if !slices.Equal(c.sm.recs, want) {
				t.Errorf("the misread Open recovered %q, a clean one %q: %s", c.sm.recs, want, replay())
			}
			c.w.Close()
			return
		}
		refused++
		switch {
		case errors.Is(err, ErrReadsDiffer):
			differ++
			if strings.Contains(err.Error(), "interrupted rotation") {
				rotations++
			}
		case !errors.Is(err, ErrCorrupt):
			t.Errorf("the misread Open: %v, want ErrReadsDiffer or ErrCorrupt: %s", err, replay())
		}
		after := logOn(t, img, cfg)
		if err := after.reopen(); err != nil {
			t.Fatalf("a clean Open after the refused one: %v: %s", err, replay())
		}
		if !slices.Equal(after.sm.recs, want) {
			t.Errorf("after the refused Open a clean one recovered %q, want %q: %s", after.sm.recs, want, replay())
		}
		after.close()
	}
	for k := range total {
		halted := fs.NewMem()
		h := openTest(t, halted, cfg)
		halted.HaltAfter(k)
		run(h)
		h.w.Close()
		for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
			img := halted.Crash(newRand(k), mode)
			ref := logOn(t, clone(img), cfg)
			if err := ref.reopen(); err != nil {
				t.Fatalf("clean Open after a power loss at op %d (%v): %v", k, mode, err)
			}
			want := slices.Clone(ref.sm.recs)
			ref.close()
			at := fmt.Sprintf("power loss at op %d of %d (%v)", k, total, mode)
			for seed := range uint64(12) {
				disk := clone(img)
				ffs := faultinject.New(disk, faultinject.Options{Seed: seed},
					faultinject.Rule{Op: faultinject.OpRead, Path: "*.wal", Nth: 1 + int(seed%6), Times: 1, FlipBits: 1})
				misread(disk, ffs, want, func() string { return fmt.Sprintf("%s, seed %d, faults %v", at, seed, ffs.Injected()) })
			}
			names := chunkNames(t, img, "/wal")
			for _, name := range names[max(0, len(names)-2):] {
				path := "/wal/" + name
				size := fileSize(t, img, path)
				for off := max(0, size-48); off < size; off++ {
					bit := uint(off % 8) // every bit position, one per byte
					disk := clone(img)
					mfs := &misreadFS{FS: disk, path: path, at: off, mask: 1 << bit}
					misread(disk, mfs, want, func() string { return fmt.Sprintf("%s, bit %d of byte %d of %s misread", at, bit, off, name) })
				}
			}
		}
	}
	t.Logf("%d power-loss images, %d misread Opens, %d refused (%d as reads that differ, %d of them before removing a rotation's leftover)",
		2*total, opens, refused, differ, rotations)
	if differ == 0 || rotations == 0 {
		t.Error("no misread made Open about to cut a tail, or to remove a rotation's leftover: the test checks too little")
	}
}

// misreadFS flips the bits of mask in the byte at offset at of the file
// at path, in the first read that returns it; every other read, and the
// file at rest, are sound.
type misreadFS struct {
	fs.FS
	path string
	at   int64
	mask byte
	done bool
}

func (m *misreadFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := m.FS.OpenFile(name, flag, perm)
	if err != nil || name != m.path {
		return f, err
	}
	return &misreadFile{File: f, fs: m}, nil
}

type misreadFile struct {
	fs.File
	fs *misreadFS
}

func (f *misreadFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	if m := f.fs; !m.done && off <= m.at && m.at < off+int64(n) {
		m.done = true
		p[m.at-off] ^= m.mask
	}
	return n, err
}
