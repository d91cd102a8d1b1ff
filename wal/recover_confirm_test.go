package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/codec"
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
// chunk file returns wrong bytes (the bytes at rest are sound): one bit the
// fault injector draws from the first few reads; one bit of each of the
// last bytes of the two newest chunks (a seal, a torn batch); zeros from
// some byte of the newest chunk to the end of the read. The Open must
// recover what a clean Open of the same disk does, or refuse with
// ErrReadsDiffer or ErrCorrupt having changed nothing that a clean Open
// then recovers differently. Misreads made Open cut synced batches as
// torn; a misread of a sound seal made Open remove the sealed chunk's
// successor as the leftover of an interrupted rotation, after which the
// seal named a missing chunk and the log no longer opened; and records
// read as zeros were taken for the zeros written ahead of them.
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
			// A read that returns zeros from some offset on (the newest
			// chunk's records taken for the zeros written ahead of them).
			if len(names) > 0 {
				path := "/wal/" + names[len(names)-1]
				data := readFile(t, img, path)
				end := int64(len(bytes.TrimRight(data, "\x00")))
				for off := int64(0); off < end; off += 7 {
					disk := clone(img)
					mfs := &misreadFS{FS: disk, path: path, at: off, zeros: true}
					misread(disk, mfs, want, func() string { return fmt.Sprintf("%s, %s read as zeros from byte %d", at, path, off) })
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
// at path, or with zeros returns zeros from that byte to the end of the
// read, in the first read that returns the byte after skip sound ones;
// every other read, and the file at rest, are sound.
type misreadFS struct {
	fs.FS
	path  string
	at    int64
	mask  byte
	zeros bool
	skip  int // reads of the byte to return sound first
	done  bool
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
		if m.skip > 0 {
			m.skip--
			return n, err
		}
		m.done = true
		p[m.at-off] ^= m.mask
		if m.zeros {
			clear(p[m.at-off : n])
		}
	}
	return n, err
}

// TestConfirmReadsFramesAsTheFirstReadDid: a state machine that applies
// records raw (RawApplier) has no payload decoded at Open, so a record
// whose body the codec refuses goes unnoticed there. The read that
// confirms a cut decoded every body, stopped at that record, and Open
// failed with ErrReadsDiffer on a sound disk, every time. The second read
// now checks frames only; a first read that stopped at a body that does
// not decode is confirmed by that record's frame being intact.
func TestConfirmReadsFramesAsTheFirstReadDid(t *testing.T) {
	for _, raw := range []bool{true, false} {
		t.Run(fmt.Sprintf("raw=%v", raw), func(t *testing.T) {
			m := fs.NewMem()
			cfg := Config{Dir: "/wal", FS: m, ManualWorker: true}
			if err := m.MkdirAll("/wal", 0o755); err != nil {
				t.Fatal(err)
			}
			w, _, err := openRefusing(cfg, raw)
			if err != nil {
				t.Fatal(err)
			}
			var pos []Position
			for _, r := range []string{"a", "refused", "c", "d"} {
				p, err := w.Append(r)
				if err != nil {
					t.Fatal(err)
				}
				pos = append(pos, p)
				if r == "c" {
					if err := w.Sync(); err != nil {
						t.Fatal(err)
					}
				}
			}
			w.Step() // "d" written, not synced
			img := clone(m)
			w.Close()
			last := pos[3]
			resize(t, img, "/wal/"+ChunkName(last.Chunk), int64(last.Offset-last.Chunk)+int64(last.Size)/2) // "d" torn
			cfg.FS = img
			w, sm, err := openRefusing(cfg, raw)
			switch {
			case raw && err != nil:
				t.Fatalf("Open of a sound disk with a torn tail: %v", err)
			case raw:
				if want := []string{"a", "refused", "c"}; !slices.Equal(sm.recs, want) {
					t.Errorf("recovered %q, want %q", sm.recs, want)
				}
				if cuts := w.Report().Cuts; len(cuts) != 1 {
					t.Errorf("cuts %+v, want the torn record's", cuts)
				}
				w.Close()
			case err == nil:
				t.Fatal("Open decoded the refused record and succeeded")
			case errors.Is(err, ErrReadsDiffer):
				t.Fatalf("Open of a sound disk: %v", err)
			}
		})
	}
}

// openRefusing opens a WAL with cfg whose codec refuses to decode
// "refused", over a testSM that applies records raw (rawSM) when raw is set.
func openRefusing(cfg Config, raw bool) (*WAL[string], *testSM, error) {
	sm := &testSM{}
	var m StateMachine[string] = sm
	if raw {
		m = &rawSM{sm}
	}
	w, err := Open(cfg, refusingCodec{}, m)
	return w, sm, err
}

// refusingCodec is codec.String, but it refuses to decode "refused".
type refusingCodec struct{}

func (refusingCodec) Append(dst []byte, v string) ([]byte, error) { return codec.String.Append(dst, v) }

func (refusingCodec) Decode(src []byte) (string, int, error) {
	v, n, err := codec.String.Decode(src)
	if err == nil && v == "refused" {
		return "", 0, fmt.Errorf("%w: the record says refused", codec.ErrInvalid)
	}
	return v, n, err
}

// rawSM applies caller records raw, decoding them itself: the codec never
// sees them at Open.
type rawSM struct{ *testSM }

func (s *rawSM) ApplyRaw(body []byte, pos Position) (bool, error) {
	v, _, err := codec.String.Decode(body)
	if err != nil {
		return false, err
	}
	return true, s.Apply(v, pos)
}

// TestMisreadOfTheEvidenceAgainstATornWrite: with a record damaged at rest
// in the next-to-last synced batch of the newest chunk, Open refuses,
// because the last batch's synced marker proves the damage was durable,
// not torn. That marker was read once, after the replay: misread there, it
// made Open cut both batches as a torn write, keeping 13 of 18
// acknowledged records. Every byte past the damage is misread at each of
// its first three reads; every Open must refuse.
func TestMisreadOfTheEvidenceAgainstATornWrite(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ManualWorker: true})
	var pos []Position
	for i := range 6 {
		pos = append(pos, l.append(recs(fmt.Sprint("b", i, "-"), 3)...)...)
		l.sync()
	}
	img := clone(m) // a crash: no closing marker
	l.close()
	damaged := pos[13] // in batch 5 of 6: one synced marker follows it
	path := l.path(damaged.Chunk)
	if err := img.Corrupt(path, int64(damaged.Offset-damaged.Chunk)+int64(damaged.Size)/2, 0x10); err != nil {
		t.Fatal(err)
	}
	if err := l.on(t, clone(img)).reopen(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a clean Open of the damaged log: %v, want ErrCorrupt", err)
	}
	end := pos[len(pos)-1].End() - damaged.Chunk
	for off := int64(damaged.Offset - damaged.Chunk); off < int64(end); off++ {
		for skip := range 3 {
			disk := clone(img)
			c := l.on(t, &misreadFS{FS: disk, path: path, at: off, mask: 1 << (off % 8), skip: skip})
			if err := c.reopen(); err == nil {
				t.Errorf("byte %d misread at its read %d: Open kept %d of %d acknowledged records, cuts %+v",
					off, skip+1, len(c.sm.recs), len(pos), c.w.Report().Cuts)
				c.w.Close()
			}
		}
	}
}

// TestMisreadOfASuccessorWithRecords: a chunk whose seal is damaged at
// rest, followed by a chunk that holds records: Open refuses (the
// predecessor was complete: its successor's records prove it). Misread
// once, the successor looked like the head alone of an interrupted
// rotation, and Open removed it, records and all. Every byte of the
// successor is misread in turn; every Open must refuse.
func TestMisreadOfASuccessorWithRecords(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ManualWorker: true, ChunkMaxRecords: 4})
	l.append(recs("a", 4)...)
	l.sync()
	pos := l.append(recs("b", 2)...) // rotates: the second chunk holds these
	l.sync()
	img := clone(m)
	l.close()
	first, second := l.path(0), l.path(pos[0].Chunk)
	if pos[0].Chunk == 0 {
		t.Fatal("no rotation")
	}
	if err := img.Corrupt(first, fileSize(t, img, first)-sealSize/2, 0x04); err != nil {
		t.Fatal(err)
	}
	if err := l.on(t, clone(img)).reopen(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a clean Open with the seal damaged: %v, want ErrCorrupt", err)
	}
	end := int64(pos[1].End() - pos[1].Chunk)
	for off := range end {
		disk := clone(img)
		c := l.on(t, &misreadFS{FS: disk, path: second, at: off, mask: 1 << (off % 8)})
		if err := c.reopen(); err == nil {
			t.Errorf("byte %d of %s misread: Open recovered %q, cuts %+v", off, second, c.sm.recs, c.w.Report().Cuts)
			c.w.Close()
		}
		if !slices.Contains(chunkNames(t, disk, "/wal"), ChunkName(pos[0].Chunk)) {
			t.Errorf("byte %d of %s misread: Open removed the chunk", off, second)
		}
	}
}

// TestPeekDecodesAsTheApplyPassDoes: with a RawApplier, Open decodes no
// payload, so a record the codec refuses is no damage to it. The reads
// that judge an interrupted rotation decoded every record: the refused
// one made a sound predecessor look damaged, and a rotation that a crash
// cut short made Open fail with a CorruptionError. Each crash point of a
// run that rotates, with such a record in the first chunk, must open and
// keep every acknowledged record.
func TestPeekDecodesAsTheApplyPassDoes(t *testing.T) {
	cfg := Config{Dir: "/wal", ManualWorker: true, ChunkMaxRecords: 3}
	open := func(fsys fs.FS) (*WAL[string], *testSM, error) {
		c := cfg
		c.FS = fsys
		return openRefusing(c, true)
	}
	run := func(fsys fs.FS) (acked int) {
		w, sm, err := open(fsys)
		if err != nil {
			return 0 // halted
		}
		defer w.Close()
		for i := range 6 {
			for j := range 2 {
				r := fmt.Sprint("r", i, j)
				if i == 0 && j == 1 {
					r = "refused"
				}
				p, err := w.Append(r)
				if err != nil {
					return acked
				}
				sm.add(r, p)
			}
			if err := w.Sync(); err != nil {
				return acked
			}
			acked += 2
		}
		return acked
	}
	newDisk := func() *fs.Mem {
		m := fs.NewMem()
		if err := m.MkdirAll("/wal", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := m.SyncDir("/"); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := newDisk()
	before := m.Ops()
	run(m)
	total := m.Ops() - before
	for k := range total {
		halted := newDisk()
		halted.HaltAfter(k)
		acked := run(halted)
		for _, mode := range []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered} {
			w, sm, err := open(halted.Crash(newRand(k), mode))
			if err != nil {
				t.Errorf("Open after a crash (%v) at op %d of %d: %v", mode, k, total, err)
				continue
			}
			if len(sm.recs) < acked {
				t.Errorf("Open after a crash (%v) at op %d: %d records, %d acknowledged", mode, k, len(sm.recs), acked)
			}
			w.Close()
		}
	}
}
