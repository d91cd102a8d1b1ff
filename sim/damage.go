package sim

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

// damage does one OpDamage: it closes the log cleanly or crashes its
// process (after which everything a sync acknowledged is on the disk),
// damages the files at rest in one of four ways, and opens the log:
//
//   - remove: a chunk file is removed;
//   - cut: a chunk file loses its tail;
//   - zero: a region of a chunk file is zeroed;
//   - append: bytes are added after the end of the newest chunk: zeros,
//     random bytes, or a copy of an intact record of the log (stale bytes);
//
// or, one time in six, an index file is removed, cut or overwritten (Open
// must then read its chunk instead).
//
// Each is applied only where the format claims to detect it
// (docs/durability.md): anywhere in a cleanly closed log; in a crashed one,
// a chunk removed anywhere, a cut or zeroed region in a chunk that has a
// successor or before a durable point recorded later in the newest chunk,
// and appended bytes, which must be cut, never replayed. The invariant is
// the issue's: Open fails with a corruption error, or the log holds every
// acknowledged operation. When Open refuses, the run goes on either on the
// undamaged disk, or (one time in three) on the log a Repair makes of it,
// which must hold a prefix of the undamaged log and open again in the
// default mode; half of those repairs follow one that a crash interrupted
// (see interruptRepair).
func (r *runner[L, P, V, U]) damage(seed uint64) {
	if r.crash != nil {
		r.powerLoss() // the armed crash comes first
		return
	}
	if r.poisoned {
		r.reopen()
		return
	}
	rng := rand.New(rand.NewPCG(seed, 4))
	closed := rng.IntN(2) == 0
	lower := r.durable
	if closed {
		err := r.l.Close()
		r.logf("Close -> %v", errText(err))
		r.checkAnswered()
		r.l = nil
		if err != nil {
			r.checkIOErr("Close", err)
			if r.crash != nil && r.mem.Halted() {
				r.powerLoss()
			} else {
				r.fi.Clear()
				r.recover(r.durable)
			}
			return
		}
		lower = len(r.hist) - 1
	} else {
		r.mem = r.mem.Crash(rng, fs.CrashProcess) // the process dies; the disk stays
		r.newFaultFS(seed)
		r.l = nil
		r.logf("process crash")
	}
	r.durable = lower
	r.fi.Clear() // faults armed before are for the log that just ended
	undamaged := r.mem.Crash(rng, fs.CrashProcess)

	what, ok := r.applyDamage(rng, closed)
	if !ok {
		r.logf("damage: nothing to damage; Open")
		r.recover(lower)
		return
	}
	r.res.Damages++
	r.logf("damage (%s log): %s", map[bool]string{true: "closed", false: "crashed"}[closed], what)
	r.dumpDisk()

	// A full check (ReadAll: no chunk taken from its index file) must
	// find the damage, or the log must hold every acknowledged operation.
	cfg := r.cfg
	cfg.FS = r.mem.Crash(rng, fs.CrashProcess) // a copy: the first Open must not change the damaged disk
	cfg.ReadAll = true
	l, err := r.openLog(cfg)
	if err == nil {
		l.Close()
		r.logf("Open (reading all) after the damage succeeded")
		r.recover(lower) // every acknowledged operation must be there
		return
	}
	r.logf("Open (reading all) after the damage -> %v", errText(err))
	if !errors.Is(err, raftlog.ErrCorrupt) {
		r.fail("after %s, Open failed without a corruption error: %v", what, err)
		return
	}
	r.checkDefaultOpen(rng, what, lower)
	if rng.IntN(3) == 0 {
		rewritten := false
		if rng.IntN(2) == 0 {
			rewritten = r.interruptRepair(rng, seed, what, lower)
			if r.v != nil {
				return
			}
		}
		if r.repairDamage(what, rewritten) {
			return
		}
	}
	r.mem = undamaged
	r.newFaultFS(seed)
	r.recover(lower)
}

// checkDefaultOpen opens the damaged log as a node does by default, taking
// closed chunks from their index files without reading them. It may refuse
// (with a corruption error), or open without seeing the damage; then every
// entry it reads is one the log held, and a read meets the damage with a
// corruption error, never with wrong data: the state and the entries read
// before the first error are a state of the history (at or after lower, the
// last one known durable) and a prefix of its entries. A log so opened then
// writes (its first write marks META open) and crashes before the write is
// durable: the next Open must again refuse or hold such a state, so that
// damage the index hid never becomes a shorter log.
func (r *runner[L, P, V, U]) checkDefaultOpen(rng *rand.Rand, what string, lower int) {
	cfg := r.cfg
	disk := r.mem.Crash(rng, fs.CrashProcess)
	cfg.FS = disk
	l, ok := r.checkHeld(cfg, what, lower)
	if !ok {
		return
	}
	defer l.Close()
	v, ok := l.State().Vote.Get()
	if !ok {
		return
	}
	// The vote again: a write that changes no state, so the history's
	// states still describe the log whether or not it survives.
	_, err := l.SaveVote(v)
	if err == nil {
		err = l.Flush(false, nil)
	}
	if err == nil {
		err = l.WaitIdle()
	}
	if err != nil {
		r.logf("a write after opening the damaged log -> %v", errText(err))
		return
	}
	mode := []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered}[rng.IntN(3)]
	cfg.FS = disk.Crash(rng, mode)
	r.logf("a write after opening the damaged log, then a crash (%v)", mode)
	if l2, ok := r.checkHeld(cfg, what+", a write and a crash", lower); ok {
		l2.Close()
	}
}

// checkHeld opens the log on cfg with the default Open and checks what it
// holds (see checkDefaultOpen). It returns the open log when it opened and
// the check passed.
func (r *runner[L, P, V, U]) checkHeld(cfg raftlog.Config, what string, lower int) (*raftlog.Log[L, P, V, U], bool) {
	l, err := r.openLog(cfg)
	if err != nil {
		r.logf("Open after the damage -> %v", errText(err))
		if !errors.Is(err, raftlog.ErrCorrupt) {
			r.fail("after %s, Open failed without a corruption error: %v", what, err)
		}
		return nil, false
	}
	st := l.State()
	s := l.Stat()
	var ents []ment[L, P]
	var rerr error
	for e, err := range l.Read(s.First, s.End) {
		if err != nil {
			rerr = err
			break
		}
		ents = append(ents, r.ts.entry(e))
	}
	r.logf("Open after the damage succeeded (index files); read %d entries -> %v", len(ents), errText(rerr))
	if rerr != nil && !errors.Is(rerr, raftlog.ErrCorrupt) {
		l.Close()
		r.fail("after %s, a read failed without a corruption error: %v", what, rerr)
		return nil, false
	}
	key := r.ts.stateKey(st)
	for j := max(lower, 0); j < len(r.hist); j++ {
		m := r.hist[j]
		if key == m.stateKey() && len(ents) <= len(m.ents) && (len(ents) == 0 || s.First == m.first) &&
			sameEntries(ents, m.ents[:len(ents)]) && (rerr != nil || len(ents) == len(m.ents)) {
			return l, true
		}
	}
	l.Close()
	r.fail("after %s, the log opened from its index files holds %v and %s, not a state of its history since the last durable one", what, st, entriesString(ents))
	return nil, false
}

// applyDamage damages the disk as the format claims to detect, and says
// what it did; ok is false when there was nothing to damage.
func (r *runner[L, P, V, U]) applyDamage(rng *rand.Rand, closed bool) (string, bool) {
	names, err := r.mem.ReadDir(r.dir)
	if err != nil {
		r.fail("listing %s: %v", r.dir, err)
		return "", false
	}
	var chunks, indexes []string
	for _, n := range names {
		if _, ok := wal.ParseChunkName(n); ok {
			chunks = append(chunks, path.Join(r.dir, n))
		}
		if strings.HasSuffix(n, ".idx") {
			indexes = append(indexes, path.Join(r.dir, n))
		}
	}
	if len(chunks) == 0 {
		return "", false
	}
	size := func(p string) int64 {
		fi, err := r.mem.Stat(p)
		if err != nil {
			r.fail("stat %s: %v", p, err)
			return 0
		}
		return fi.Size()
	}
	if len(indexes) > 0 && rng.IntN(6) == 0 {
		// An index file is a cache: whatever happens to it, Open reads
		// the chunk instead, and the log is the same.
		p := indexes[rng.IntN(len(indexes))]
		switch rng.IntN(3) {
		case 0:
			if err := r.mem.Remove(p); err != nil {
				r.fail("remove %s: %v", p, err)
			}
			return "removed " + path.Base(p), true
		case 1:
			was := size(p)
			at := rng.Int64N(max(was, 1))
			r.resize(p, at)
			return fmt.Sprintf("cut %s at %d of %d bytes", path.Base(p), at, was), true
		default:
			at := rng.Int64N(max(size(p), 1))
			r.patch(p, at, []byte{byte(1 + rng.IntN(255))})
			return fmt.Sprintf("overwrote byte %d of %s", at, path.Base(p)), true
		}
	}
	newest := chunks[len(chunks)-1]
	for range 8 { // a class that does not apply draws again
		switch rng.IntN(4) {
		case 0:
			p := chunks[rng.IntN(len(chunks))]
			if err := r.mem.Remove(p); err != nil {
				r.fail("remove %s: %v", p, err)
			}
			return "removed " + path.Base(p), true
		case 1:
			p := chunks[rng.IntN(len(chunks))]
			if !closed && p == newest {
				continue // a crashed log's newest chunk may end anywhere
			}
			was := size(p)
			at := rng.Int64N(max(was, 1))
			r.resize(p, at)
			return fmt.Sprintf("cut %s at %d of %d bytes", path.Base(p), at, was), true
		case 2:
			p := chunks[rng.IntN(len(chunks))]
			limit := size(p)
			if !closed && p == newest {
				limit = r.vouchedUpTo(p)
			}
			if limit <= 0 {
				continue
			}
			from := rng.Int64N(limit)
			to := min(limit, from+1+rng.Int64N(64))
			r.patch(p, from, make([]byte, to-from))
			return fmt.Sprintf("zeroed [%d, %d) of %s", from, to, path.Base(p)), true
		case 3:
			junk, kind := r.garbage(rng, chunks)
			r.patch(newest, size(newest), junk)
			return fmt.Sprintf("appended %d bytes (%s) to %s", len(junk), kind, path.Base(newest)), true
		}
	}
	return "", false
}

// vouchedUpTo is the file offset of chunk p below which a synced marker
// found later in p vouches that every byte was durable; damage there must be
// detected even in a log that crashed.
func (r *runner[L, P, V, U]) vouchedUpTo(p string) int64 {
	id, _ := wal.ParseChunkName(path.Base(p))
	var best int64
	wal.Scan(r.mem, r.dir, codec.Bytes, func(f wal.Found[[]byte]) error {
		if f.Chunk == id && f.Err == nil && f.Kind == wal.KindSynced && f.Value > id {
			// Bytes before the marker's value, and before the marker.
			best = max(best, min(int64(f.Value-id), f.Offset))
		}
		return nil
	})
	return best
}

// garbage returns bytes to append after the newest chunk: zeros, random
// bytes, or a copy of an intact record of the log (a stale record, as a
// power loss can leave in a file's unwritten tail).
func (r *runner[L, P, V, U]) garbage(rng *rand.Rand, chunks []string) ([]byte, string) {
	switch rng.IntN(3) {
	case 0:
		return make([]byte, 1+rng.IntN(200)), "zeros"
	case 1:
		b := make([]byte, 1+rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b, "random"
	}
	var records [][]byte
	wal.Scan(r.mem, r.dir, codec.Bytes, func(f wal.Found[[]byte]) error {
		if f.Err == nil && f.Size > 0 {
			b, err := fs.ReadFile(r.mem, f.File)
			if err == nil && f.Offset+int64(f.Size) <= int64(len(b)) {
				records = append(records, slices.Clone(b[f.Offset:f.Offset+int64(f.Size)]))
			}
		}
		return nil
	})
	if len(records) == 0 {
		return []byte{0}, "zeros"
	}
	n := 1 + rng.IntN(3)
	var out []byte
	for range n {
		out = append(out, records[rng.IntN(len(records))]...)
	}
	return out, fmt.Sprintf("%d stale records", n)
}

// resize truncates or extends a file on the machine's disk, durably.
func (r *runner[L, P, V, U]) resize(p string, size int64) {
	f, err := r.mem.OpenFile(p, os.O_RDWR, 0)
	if err == nil {
		err = f.Truncate(size)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	if err != nil {
		r.fail("resizing %s: %v", p, err)
	}
}

// patch writes b at offset off of a file on the machine's disk, durably.
func (r *runner[L, P, V, U]) patch(p string, off int64, b []byte) {
	data, err := fs.ReadFile(r.mem, p)
	if err != nil {
		r.fail("reading %s: %v", p, err)
		return
	}
	if end := off + int64(len(b)); end > int64(len(data)) {
		data = append(data, make([]byte, end-int64(len(data)))...)
	}
	copy(data[off:], b)
	f, err := r.mem.OpenFile(p, os.O_RDWR|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	if err != nil {
		r.fail("writing %s: %v", p, err)
	}
}

// interruptRepair runs a repair of the damaged disk that stops after a
// few of its file operations and crashes there, or finishes and whose
// process stops before it writes to the log or closes it (its report
// lost either way), and goes on with the disk it leaves. The default Open
// must refuse that disk, or hold a state of the history since lower, as
// the damaged disk itself: a cut no one was told of must never open as a
// shorter log. The repair that follows reports the cut again. It returns
// whether the interrupted repair had made changes and they were only
// rewrites of damaged checkpoints (which lose nothing and leave nothing to
// report).
func (r *runner[L, P, V, U]) interruptRepair(rng *rand.Rand, seed uint64, what string, lower int) bool {
	cfg := r.cfg
	cfg.Recovery = wal.Repair
	disk := r.mem.Crash(rng, fs.CrashProcess)
	k := uint64(1 + rng.IntN(40))
	disk.HaltAfter(k)
	cfg.FS = disk
	l, err := r.openLog(cfg)
	finished := err == nil && !disk.Halted()
	mode := []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered}[rng.IntN(3)]
	after := disk.Crash(rng, mode) // before any Close: the process stopped
	r.epoch++
	r.logf("Repair halted after %d operations (finished: %v, %v), then a %v crash", k, finished, errText(err), mode)
	var cuts []raftlog.Cut
	var rf *raftlog.RepairFailedError
	switch {
	case err == nil:
		cuts = l.Recovery().Cuts
		l.Close()
	case errors.As(err, &rf):
		cuts = rf.Cuts
	}
	rewritten := len(cuts) > 0
	for _, c := range cuts {
		r.logf("  %v (entries %v to %v)", c.Cut, c.First, c.Last)
		rewritten = rewritten && c.Rewritten
	}
	cfg = r.cfg
	cfg.FS = after.Crash(rng, fs.CrashProcess) // a copy: the repair below runs on after
	if l, ok := r.checkHeld(cfg, what+", then a repair that a crash interrupted", lower); ok {
		l.Close()
	}
	r.mem = after
	r.newFaultFS(seed)
	return rewritten
}

// dirContents is every file in the log's directory, by name; a file that
// cannot be read maps to nil.
func (r *runner[L, P, V, U]) dirContents() map[string][]byte {
	names, _ := r.mem.ReadDir(r.dir)
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		b, _ := fs.ReadFile(r.mem, path.Join(r.dir, n))
		out[n] = b
	}
	return out
}

// dirChanges names the files that differ between two dirContents.
func dirChanges(before, after map[string][]byte) string {
	var out []string
	for n, b := range before {
		if a, ok := after[n]; !ok {
			out = append(out, n+" removed")
		} else if !bytes.Equal(a, b) {
			out = append(out, fmt.Sprintf("%s changed (%d bytes, was %d)", n, len(a), len(b)))
		}
	}
	for n, a := range after {
		if _, ok := before[n]; !ok {
			out = append(out, fmt.Sprintf("%s created (%d bytes)", n, len(a)))
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// repairDamage opens the damaged log in Repair mode. A repair that cannot
// cut around the damage (the log's start is gone) is acceptable; otherwise
// the repaired log must be the log's state after some prefix of its history
// (a repair drops a suffix, possibly acknowledged: it reports that), report
// at least one cut of durable data (unless rewritten: an interrupted repair
// before it rewrote what was damaged), and open again in the default mode
// with nothing to cut. The run then goes on from the repaired log. It
// reports whether it did.
func (r *runner[L, P, V, U]) repairDamage(what string, rewritten bool) bool {
	cfg := r.cfg
	cfg.FS = r.mem
	cfg.Recovery = wal.Repair
	before := r.dirContents()
	l, err := r.openLog(cfg)
	r.epoch++
	if err != nil {
		if errors.Is(err, raftlog.ErrMissingChunk) {
			r.logf("Repair -> %v (the start of the log is gone)", errText(err))
			if after := r.dirContents(); !maps.EqualFunc(before, after, bytes.Equal) {
				r.fail("after %s, a Repair that refused the log changed its directory: %s", what, dirChanges(before, after))
				return true
			}
			return false
		}
		r.fail("after %s, Repair failed: %v", what, err)
		return true
	}
	r.res.Repairs++
	rep := l.Recovery()
	if slices.ContainsFunc(rep.Cuts, func(c raftlog.Cut) bool { return c.KeptStart }) {
		r.res.KeptStart++
	}
	st, first, ents, err := r.snapshot(l)
	r.logf("Repair -> %d cuts, recovered %v with %d entries", len(rep.Cuts), st, len(ents))
	for _, c := range rep.Cuts {
		r.logf("  %v (entries %v to %v)", c.Cut, c.First, c.Last)
	}
	states := append(slices.Clone(r.path), r.hist...)
	key := r.ts.stateKey(st)
	j := len(states) - 1 // the latest match: the same state can recur
	var got *model[L, P, V, U]
	var unpurged []*model[L, P, V, U]
	for ; j >= 0; j-- {
		if got, unpurged = r.repairedAs(states, j, rep, st, key, first, ents); got != nil {
			break
		}
	}
	switch {
	case err != nil:
		r.fail("reading the repaired log: %v", err)
	case !rewritten && !slices.ContainsFunc(rep.Cuts, func(c raftlog.Cut) bool { return c.Durable }):
		r.fail("a repair of %s reported no cut of durable data: %+v", what, rep.Cuts)
	case j < 0:
		r.fail("the repaired log (%v, %s) is not the log after any prefix of its history", st, entriesString(ents))
	}
	if r.v != nil {
		l.Close()
		return true
	}
	if err := l.Close(); err != nil {
		r.fail("closing the repaired log: %v", err)
		return true
	}
	cfg.Recovery = wal.TolerateTornTail
	l, err = r.openLog(cfg)
	r.epoch++
	if err != nil {
		r.fail("the repaired log does not open in the default mode: %v", err)
		return true
	}
	if len(l.Recovery().Cuts) > 0 {
		r.fail("the default Open of a repaired log cut again: %+v", l.Recovery().Cuts)
	}
	r.l = l
	r.path, r.hist = append(states[:j:j], unpurged...), []*model[L, P, V, U]{got}
	r.durable = 0
	r.alive()
	return true
}

// repairedAs returns the model of the repaired log (state key, entries
// from first) if it is states[j], the log after a prefix of its history,
// or nil. A repair that cut the log's only record of where it starts
// (wal.Cut.KeptStart) keeps the log's start, which the prefix may not
// have: the entries before the first one held are gone with the chunks
// removed, the purges among the records cut are written again (each held
// by a later state of the history), and the entries gone that the purge
// point does not cover are named by a cut of the log's directory. The
// state before that purge is returned too: a later cut may take the purge
// written again, and leave it.
func (r *runner[L, P, V, U]) repairedAs(states []*model[L, P, V, U], j int, rep raftlog.RecoveryReport[L, V, U],
	st raftlog.State[L, V, U], key string, first uint64, ents []ment[L, P]) (*model[L, P, V, U], []*model[L, P, V, U]) {
	m := states[j]
	if m.equal(key, first, ents) {
		return m, nil
	}
	// (A repair that reports an earlier one's cut may have kept the start
	// in that earlier one.)
	if !slices.ContainsFunc(rep.Cuts, func(c raftlog.Cut) bool { return c.KeptStart || c.Earlier }) {
		return nil, nil
	}
	// The entries before the first one the repaired log holds are gone
	// with the chunks removed; the purges found among the bytes cut are
	// applied after them, as the repair wrote them.
	held := first
	if len(ents) == 0 {
		held = m.end()
	}
	base := m.clone()
	if len(base.ents) > 0 && held > base.first {
		base.dropThrough(held - 1)
	}
	var before []*model[L, P, V, U]
	if p, ok := st.Purged.Get(); ok && r.ts.cmpOpt(st.Purged, base.st.Purged) > 0 {
		later := slices.ContainsFunc(states[j+1:], func(s *model[L, P, V, U]) bool { return r.ts.cmpOpt(s.st.Purged, st.Purged) >= 0 })
		// A later cut may take the purge written again, and leave the
		// entries before it that the chunk still holds, from any of those
		// the removed chunks may have ended before.
		for k := m.first + 1; k <= held && len(m.ents) > 0; k++ {
			b := m.clone()
			b.dropThrough(k - 1)
			before = append(before, b)
		}
		if !later || base.purge(p).err != nil {
			return nil, nil
		}
	}
	if !base.equal(key, first, ents) {
		return nil, nil
	}
	// What the purge point does not cover of the entries gone is named.
	gone := len(m.ents) > 0 && held > m.first
	if p, ok := base.st.Purged.Get(); ok && r.ts.t.Index(p)+1 >= held {
		gone = false
	}
	if gone && !slices.ContainsFunc(rep.Cuts, func(c raftlog.Cut) bool {
		f, ok := c.First.Get()
		return c.File == r.dir && c.Last == raftlog.Some(held-1) && (!ok || f <= max(m.first, r.ts.next(base.st.Purged)))
	}) {
		return nil, nil
	}
	return base, before
}
