package wal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// tornFixture is a log on fs.Mem, synced but not closed, whose last chunk
// ends with one write batch: a synced marker and three records, written and
// fsynced by a single Sync. The marker states only the batch's start as
// durable, so any damage inside the batch is a torn tail.
type tornFixture struct {
	m      *fs.Mem // the image: a process-crash copy taken after the last Sync
	cfg    Config
	all    []string
	pos    []Position
	last   uint64 // id of the last chunk
	path   string // its file
	data   []byte // its bytes
	frames []frame
	from   int64 // file offset of the final batch: the end of the last-but-3 record
}

func tornRecord(i int) string { return fmt.Sprintf("t%02d%s", i, strings.Repeat("x", i%5)) }

func newTornFixture(t *testing.T) *tornFixture {
	t.Helper()
	m := fs.NewMem()
	// No zeros written ahead: the file ends where the records do, and
	// damage() adds the zeros of the "zeros" variant itself.
	l := openTest(t, m, Config{ChunkMaxRecords: 10, ManualWorker: true, PreallocateBytes: -1})
	next := 0
	add := func(n int) {
		for ; n > 0; n-- {
			l.append(tornRecord(next))
			next++
		}
	}
	add(12) // chunk 0: checkpoint + 9; chunk 1: checkpoint + 3
	l.sync()
	add(2)
	l.sync()
	add(3) // the final batch
	l.sync()
	st := l.w.Stat()
	require.Len(t, st.Closed, 1)
	require.Equal(t, 9, st.Open.Records)
	f := &tornFixture{m: clone(m), cfg: l.cfg, all: slices.Clone(l.sm.recs), pos: slices.Clone(l.sm.pos), last: st.Open.ID}
	l.close()
	f.path = l.path(f.last)
	f.data = readFile(t, f.m, f.path)
	f.frames = parseChunk(t, f.data)
	n := len(f.pos)
	f.from = int64(f.pos[n-4].End() - f.last)
	// The final batch: marker (claiming exactly its own start) + 3 records.
	fr := frameAt(f.frames, f.from)
	require.Equal(t, f.from, fr.off)
	require.Equal(t, kindSynced, fr.kind)
	claim, err := markerValue(fr.body, f.last+uint64(fr.off))
	require.NoError(t, err)
	require.Equal(t, f.last+uint64(f.from), claim, "the final batch's marker claims its start")
	require.Equal(t, int64(len(f.data)), int64(f.pos[n-1].End()-f.last))
	return f
}

// prefixEnd is the end of the longest run of intact frames at the start
// of the damaged last chunk in img: frames whose bytes are those written.
// A frame cut at L is intact when the damage put back the bytes the cut
// removed (a zero where a zero was, a random byte that matches), which
// happens about once in 256 cuts: the chunk's random salt makes the bytes
// differ from run to run, so an expectation from L alone was flaky.
func (f *tornFixture) prefixEnd(t *testing.T, img *fs.Mem) int64 {
	data := readFile(t, img, f.path)
	end := int64(ChunkHeaderSize)
	for _, fr := range f.frames {
		if fr.end > int64(len(data)) || !bytes.Equal(data[fr.off:fr.end], f.data[fr.off:fr.end]) {
			break
		}
		end = fr.end
	}
	return end
}

// damage returns a copy of the image with the last chunk cut to L bytes and,
// for the "zeros" and "random" variants, extended again with zeros or seeded
// random bytes to 64 bytes past its original size. It returns the damaged
// file's size.
func (f *tornFixture) damage(t *testing.T, variant string, L int64, seed uint64) (*fs.Mem, int64) {
	t.Helper()
	img := clone(f.m)
	resize(t, img, f.path, L)
	size := int64(len(f.data)) + 64
	switch variant {
	case "cut":
		size = L
	case "zeros":
		resize(t, img, f.path, size)
	case "random":
		junk := make([]byte, size-L)
		r := newRand(seed ^ uint64(L))
		for i := range junk {
			junk[i] = byte(r.Uint32())
		}
		patch(t, img, f.path, L, junk)
	}
	require.Equal(t, size, fileSize(t, img, f.path))
	return img, size
}

var tornVariants = []string{"cut", "zeros", "random"}

// tornBytes is how many bytes of the damaged file past the intact records
// (keep) are a torn write: up to its last byte that is not zero. Zeros
// alone are the unwritten tail of a zero-filled chunk, which recovery keeps
// as it is; zeros after torn bytes are cut but not counted.
func tornBytes(t *testing.T, img *fs.Mem, path string, keep int64) int64 {
	data := readFile(t, img, path)
	end := keep
	for i := keep; i < int64(len(data)); i++ {
		if data[i] != 0 {
			end = i + 1
		}
	}
	return end - keep
}

// TestTornTail cuts the last chunk at every byte of its final batch (and
// fills the cut with zeros or random bytes): Open must keep exactly the
// records whose frames end before the cut, drop the rest, report the bytes
// dropped, and then work as a log again.
func TestTornTail(t *testing.T) {
	const seed = 1
	f := newTornFixture(t)
	for _, variant := range tornVariants {
		for L := f.from; L <= int64(len(f.data)); L++ {
			replay := fmt.Sprintf("variant %s, cut at offset %d of %s (size %d, final batch from %d), seed %d", variant, L, ChunkName(f.last), len(f.data), f.from, seed)
			img, size := f.damage(t, variant, L, seed)
			keep := f.prefixEnd(t, img)
			want, wantPos := expectPrefix(f.all, f.pos, f.last+uint64(keep))
			dropped := tornBytes(t, img, f.path, keep)

			l := logOn(t, img, f.cfg)
			require.NoError(t, l.reopen(), replay)
			require.Equal(t, want, l.sm.recs, "records: %s", replay)
			require.Equal(t, wantPos, l.sm.pos, "positions: %s", replay)
			st := l.w.Stat()
			require.Equal(t, dropped, st.Dropped, "Stat().Dropped: want the bytes from the valid prefix %d to the last that is not zero; %s", keep, replay)
			if dropped > 0 {
				// A cut: the chunk is sealed where it was cut, and a new
				// chunk (with a new salt) takes the writes.
				require.Equal(t, f.last+uint64(keep)+sealSize, st.Open.ID, "new chunk after the cut: %s", replay)
				require.Equal(t, keep+sealSize, fileSize(t, img, f.path), "file must be cut to the valid prefix and sealed: %s", replay)
			} else {
				require.Equal(t, f.last+uint64(keep), st.Open.End, "open chunk end: %s", replay)
				require.Equal(t, size, fileSize(t, img, f.path), "an intact file is left alone, zeros included: %s", replay)
			}
			require.Equal(t, st.Open.End, st.Durable, "durable after recovery: %s", replay)
			requireLoads(t, l.w, wantPos, want, "after recovery: %s", replay)

			// Alive: it appends, syncs, and a second reopen returns the
			// old prefix and the new records.
			newPos := l.append("new-1", "new-2")
			l.sync()
			requireLoads(t, l.w, newPos, []string{"new-1", "new-2"}, "new records: %s", replay)
			l.close()
			require.NoError(t, l.reopen(), "second reopen: %s", replay)
			require.Equal(t, append(slices.Clone(want), "new-1", "new-2"), l.sm.recs, "second reopen: %s", replay)
			require.Equal(t, append(slices.Clone(wantPos), newPos...), l.sm.pos, "second reopen: %s", replay)
			require.Zero(t, l.w.Stat().Dropped, "second reopen drops nothing: %s", replay)
			l.close()
		}
	}
}

// TestTornTailCrashDuringRecovery crashes the machine at every mutating
// operation of the recovery of a torn tail, then recovers again: the result
// must be the same as one clean recovery.
func TestTornTailCrashDuringRecovery(t *testing.T) {
	f := newTornFixture(t)
	modes := []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered}
	for _, variant := range tornVariants {
		for L := f.from; L <= int64(len(f.data)); L++ {
			img, _ := f.damage(t, variant, L, 1)

			ref := logOn(t, clone(img), f.cfg)
			before := ref.fs.(*fs.Mem).Ops()
			require.NoError(t, ref.reopen(), "clean recovery: variant %s, cut at %d", variant, L)
			n := ref.fs.(*fs.Mem).Ops() - before
			want, wantPos, wantEnd := ref.sm.recs, ref.sm.pos, ref.w.End()
			require.NoError(t, ref.w.Close())

			for k := uint64(0); k <= n; k++ {
				halted := clone(img)
				halted.HaltAfter(k)
				h := logOn(t, halted, f.cfg)
				if err := h.reopen(); err == nil {
					h.w.Close() // fails (the machine is down); releases the lock
				} else {
					require.NotErrorIs(t, err, errPanic)
				}
				for _, mode := range modes {
					for seed := uint64(1); seed <= 2; seed++ {
						replay := fmt.Sprintf("variant %s, cut at offset %d of %s, recovery halted after %d of %d ops, crash %s seed %d", variant, L, ChunkName(f.last), k, n, mode, seed)
						l := logOn(t, halted.Crash(newRand(seed), mode), f.cfg)
						require.NoError(t, l.reopen(), replay)
						require.Equal(t, want, l.sm.recs, "records: %s", replay)
						require.Equal(t, wantPos, l.sm.pos, "positions: %s", replay)
						require.Equal(t, wantEnd, l.w.End(), "end: %s", replay)
						require.NoError(t, l.w.Close(), replay)
					}
				}
			}
		}
	}
}

// TestStrictRefusesTornTail: in Strict mode a torn tail fails Open with
// ErrTornTail and nothing on disk changes; the default mode then repairs it.
func TestStrictRefusesTornTail(t *testing.T) {
	f := newTornFixture(t)
	for _, variant := range tornVariants {
		for L := f.from; L <= int64(len(f.data)); L++ {
			replay := fmt.Sprintf("variant %s, cut at offset %d of %s", variant, L, ChunkName(f.last))
			img, size := f.damage(t, variant, L, 1)
			dropped := tornBytes(t, img, f.path, f.prefixEnd(t, img))
			torn := dropped > 0
			before := readFile(t, img, f.path)
			ops := img.Ops()

			cfg := f.cfg
			cfg.Recovery = Strict
			l := logOn(t, img, cfg)
			err := l.reopen()
			if !torn {
				require.NoError(t, err, "an intact log opens in Strict mode: %s", replay)
				require.Equal(t, int64(len(before)), fileSize(t, img, f.path))
				l.close()
				continue
			}
			require.ErrorIs(t, err, ErrTornTail, replay)
			require.NotErrorIs(t, err, ErrCorrupt, replay)
			require.Equal(t, size, fileSize(t, img, f.path), "Strict must leave the size unchanged: %s", replay)
			require.Equal(t, before, readFile(t, img, f.path), "Strict must leave the bytes unchanged: %s", replay)
			require.Equal(t, ops, img.Ops(), "Strict must not modify anything: %s", replay)

			l = logOn(t, img, f.cfg)
			require.NoError(t, l.reopen(), "default mode after Strict refused: %s", replay)
			require.Equal(t, dropped, l.w.Stat().Dropped, replay)
			l.close()
		}
	}
}

// closedLog builds and closes a log of 3+ chunks on fs.Mem and returns it,
// reopened-ready, with its records.
func closedLog(t *testing.T, cfg Config, n int) (*fs.Mem, *testLog, []string, []Position, Stat) {
	t.Helper()
	m := fs.NewMem()
	l := openTest(t, m, cfg)
	half := n / 2
	in := recs("c", n)
	l.append(in[:half]...)
	l.sync()
	l.append(in[half:]...)
	st := l.w.Stat()
	pos := slices.Clone(l.sm.pos)
	l.close()
	return m, l, in, pos, st
}

// TestEmptyLastChunk: a crash right after a rotation can leave a last chunk
// with no bytes, a header only, or a torn first write. Open drops it, keeps
// the records of the earlier chunks, and the log works again. (The log was
// reopened after its Close, which marked META open before the rotation.)
func TestEmptyLastChunk(t *testing.T) {
	m, l, in, pos, st := closedLog(t, Config{ChunkMaxRecords: 4, ManualWorker: true}, 10)
	closedEnd := st.Open.End + markerSize // Close appended its marker
	nextPath := l.path(closedEnd)
	const salt = 0x5a17
	seed := func(at uint64) uint32 { return recordSeed(FormatVersion, salt, at) }
	hdr := appendHeader(nil, FormatVersion, closedEnd, salt)
	at := closedEnd + ChunkHeaderSize
	firstBatch := appendMarker(slices.Clone(hdr), kindSynced, closedEnd, at, seed(at))
	ckpt, start := codec.StartRecord(firstBatch, kindCheckpoint)
	firstBatch = codec.FinishRecordSeed(append(ckpt, "\x07ckpt:10"...), start, seed(at+markerSize))
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"zero-bytes", nil},
		{"half-header", hdr[:ChunkHeaderSize/2]},
		{"header-only", hdr},
		{"header+half-marker", firstBatch[:ChunkHeaderSize+markerSize/2]},
		{"header+marker", firstBatch[:ChunkHeaderSize+markerSize]},
		{"torn-checkpoint", firstBatch[:len(firstBatch)-1]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := clone(m)
			require.NoError(t, writeMeta(img, l.cfg.Dir, meta{}))
			require.NoError(t, fs.WriteFile(img, nextPath, tc.content, 0o644))
			require.NoError(t, img.SyncDir(l.cfg.Dir))
			c := l.on(t, img)
			require.NoError(t, c.reopen(), "last chunk %s holds %d bytes", ChunkName(closedEnd), len(tc.content))
			require.Equal(t, in, c.sm.recs)
			require.Equal(t, pos, c.sm.pos)
			// The chunk the rotation had left unsealed is sealed now,
			// and a new one follows it.
			require.Equal(t, closedEnd+sealSize, c.w.Stat().Open.ID)
			requireLoads(t, c.w, pos, in, "after dropping the empty chunk")
			// Alive.
			p := c.append("after-1", "after-2", "after-3", "after-4", "after-5")
			c.sync()
			requireLoads(t, c.w, p, []string{"after-1", "after-2", "after-3", "after-4", "after-5"}, "new records")
			c.close()
			require.NoError(t, c.reopen())
			require.Equal(t, append(slices.Clone(in), "after-1", "after-2", "after-3", "after-4", "after-5"), c.sm.recs)
			c.close()
		})
	}
	// The real thing: halt the machine at every operation of the Sync that
	// creates the next chunk, crash, recover.
	t.Run("halt-during-rotation", func(t *testing.T) {
		m := fs.NewMem()
		l := openTest(t, m, Config{ChunkMaxRecords: 4, ManualWorker: true})
		l.append(recs("h", 3)...) // chunk 0 full: checkpoint + 3
		l.sync()
		acked := slices.Clone(l.sm.recs)
		base := clone(m)
		l.close()
		// Count the operations of the rotation Sync.
		probe := logOn(t, clone(base), l.cfg)
		require.NoError(t, probe.reopen())
		probe.append("h-rot")
		before := probe.fs.(*fs.Mem).Ops()
		probe.sync()
		n := probe.fs.(*fs.Mem).Ops() - before
		require.Len(t, probe.w.Stat().Closed, 1)
		require.NoError(t, probe.w.Close())
		for k := uint64(0); k <= n; k++ {
			img := clone(base)
			h := logOn(t, img, l.cfg)
			require.NoError(t, h.reopen())
			h.append("h-rot")
			img.HaltAfter(k)
			serr := h.w.Sync()
			if k < n {
				require.Error(t, serr, "halted after %d of %d ops", k, n)
			}
			h.w.Close()
			for _, mode := range []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered} {
				for seed := uint64(1); seed <= 8; seed++ {
					replay := fmt.Sprintf("rotation sync halted after %d of %d ops, crash %s, seed %d", k, n, mode, seed)
					c := logOn(t, img.Crash(newRand(seed), mode), l.cfg)
					require.NoError(t, c.reopen(), replay)
					switch {
					case serr == nil:
						require.Equal(t, append(slices.Clone(acked), "h-rot"), c.sm.recs, replay)
					case len(c.sm.recs) == len(acked):
						require.Equal(t, acked, c.sm.recs, replay)
					default:
						require.Equal(t, append(slices.Clone(acked), "h-rot"), c.sm.recs, replay)
					}
					p := c.append("alive")
					c.sync()
					requireLoads(t, c.w, p, []string{"alive"}, "%s", replay)
					c.close()
				}
			}
		}
	})
}

// TestEmptyFirstChunk: a crash during the very first Sync of a new log,
// after the chunk file was created (and its name made durable) but before
// its first write landed, leaves chunk 0 empty. Nothing in it was ever
// acknowledged: Open must start a fresh log, not fail or panic.
func TestEmptyFirstChunk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"zero-bytes", nil},
		{"header-only", appendHeader(nil, FormatVersion, 0, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fs.NewMem()
			require.NoError(t, m.MkdirAll("/wal", 0o755))
			require.NoError(t, fs.WriteFile(m, "/wal/"+ChunkName(0), tc.content, 0o644))
			require.NoError(t, m.SyncDir("/wal"))
			l := logOn(t, m, Config{ManualWorker: true})
			err := l.reopen()
			require.NoError(t, err, "Open of a log whose only chunk %s holds %d bytes", ChunkName(0), len(tc.content))
			require.Empty(t, l.sm.recs)
			p := l.append("first")
			l.sync()
			requireLoads(t, l.w, p, []string{"first"}, "alive")
			l.close()
			require.NoError(t, l.reopen())
			require.Equal(t, []string{"first"}, l.sm.recs)
			l.close()
		})
	}
	t.Run("halt-during-first-sync", func(t *testing.T) {
		m := fs.NewMem()
		l := openTest(t, m, Config{ManualWorker: true})
		l.append("a", "b")
		m.HaltAfter(1) // create the chunk file; its first write fails
		require.Error(t, l.w.Sync())
		l.w.Close()
		names := chunkNames(t, m, "/wal")
		require.Equal(t, []string{ChunkName(0)}, names)
		require.Zero(t, fileSize(t, m, "/wal/"+ChunkName(0)))
		c := l.on(t, m.Crash(newRand(1), fs.CrashOrdered))
		require.NoError(t, c.reopen(), "Open after a crash during the first Sync (chunk 0 created, empty)")
		require.Empty(t, c.sm.recs)
		c.append("c")
		c.sync()
		c.close()
	})
}

// TestTornTailIsLogged: the bytes a torn tail loses are reported in Stat and
// in the log.
func TestTornTailIsLogged(t *testing.T) {
	f := newTornFixture(t)
	L := f.from + markerSize + 7 // inside the first record of the final batch, past its length
	img, size := f.damage(t, "cut", L, 1)
	dropped := tornBytes(t, img, f.path, f.prefixEnd(t, img))
	require.Equal(t, size-f.prefixEnd(t, img), dropped, "the torn bytes end in one that is not zero")
	var logs syncBuffer
	cfg := f.cfg
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	l := logOn(t, img, cfg)
	require.NoError(t, l.reopen())
	require.Equal(t, dropped, l.w.Stat().Dropped)
	out := logs.String()
	require.Contains(t, out, "level=WARN", "log output: %s", out)
	require.Contains(t, out, "torn write", "log output: %s", out)
	require.Contains(t, out, fmt.Sprintf("bytes=%d", dropped), "log output: %s", out)
	require.Contains(t, out, ChunkName(f.last), "log output: %s", out)
	cuts := l.w.Report().Cuts
	require.Len(t, cuts, 1)
	require.Equal(t, Cut{File: l.path(f.last), Chunk: f.last, Offset: f.prefixEnd(t, img), Bytes: dropped, Reason: cuts[0].Reason}, cuts[0])
	l.close()
}

// fakeMarker returns a record body for codec.String, to be appended at
// global offset at, that ends with a complete, checksummed synced-marker
// frame copied from elsewhere: it names the position it was written at (some
// 4 KiB further on, as a marker of this or another log would) and claims
// everything up to the copy's position as durable. Valid UTF-8, so that it
// is a valid string.
func fakeMarker(t *testing.T, at uint64) string {
	t.Helper()
	for shift := uint64(4096); shift < 8192; shift++ {
		for pad := 0; pad < 100; pad++ {
			frameAt := at + codec.HeaderSize + 1 + uint64(pad) // 1: the string's uvarint length
			// A marker of another chunk (salt 7) that names a position
			// near where this copy lands.
			b := append([]byte(strings.Repeat("-", pad)), appendMarker(nil, kindSynced, frameAt, frameAt+shift, recordSeed(FormatVersion, 7, frameAt+shift))...)
			if utf8.Valid(b) && len(b) < 128 {
				return string(b)
			}
		}
	}
	t.Fatal("no UTF-8 marker frame found")
	return ""
}

// TestRecordLooksLikeMarker: a caller's record whose bytes hold a synced
// marker copied from elsewhere (a log that stores another log's bytes, say)
// sits in an unsynced batch; a power loss lands its sector but not an
// earlier one. Recovery must treat the hole as a torn tail, not read the
// record's body as a durability claim and refuse to open: a marker is only
// believed where it says it was written. (A payload forged to name its own
// exact position would be believed; only a deliberate forgery can do that.)
func TestRecordLooksLikeMarker(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ManualWorker: true})
	l.append("a")
	l.sync()
	acked := slices.Clone(l.sm.recs)
	l.append(strings.Repeat("x", 1200))
	evil := fakeMarker(t, l.w.End())
	p := l.append(evil, "z")
	kind, body, _, err := codec.DecodeRecordSeed([]byte(evil[len(evil)-markerSize:]), 0, recordSeed(FormatVersion, 7, binary.LittleEndian.Uint64([]byte(evil[len(evil)-codec.TrailerSize-8:]))))
	require.NoError(t, err, "the record's tail is a valid frame of another chunk")
	require.Equal(t, kindSynced, kind)
	fakeAt := p[0].End() - codec.TrailerSize - markerSize
	claim := binary.LittleEndian.Uint64(body)
	require.Equal(t, fakeAt, claim, "the copied marker claims everything before the copy")
	_, err = markerValue(body, fakeAt)
	require.Error(t, err, "the copy names another position")
	all := slices.Clone(l.sm.recs)
	require.NoError(t, l.w.WaitIdle()) // written, not synced
	var refused []string
	for seed := uint64(1); seed <= 64; seed++ {
		replay := fmt.Sprintf("crash reordered seed %d after an unsynced batch holding a record whose bytes form a marker (claiming %d, at %d)", seed, claim, fakeAt)
		c := l.on(t, m.Crash(newRand(seed), fs.CrashReordered))
		if err := c.reopen(); err != nil {
			refused = append(refused, fmt.Sprintf("%v: %s", err, replay))
			continue
		}
		requirePrefixOf(t, c.sm.recs, acked, all, replay)
		c.close()
	}
	l.close()
	if len(refused) > 0 {
		t.Fatalf("Open refused %d of 64 crash images (want: a torn tail, cut at the hole); the first: %s", len(refused), refused[0])
	}
}
