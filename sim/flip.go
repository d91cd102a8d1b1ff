package sim

import (
	"errors"
	"math/rand/v2"

	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

// flip closes the log, flips one bit at rest in a chunk file, and opens it
// with a full check (ReadAll): either Open reports corruption naming the
// file, or the bit was somewhere that no longer matters and the log is
// exactly what it was. When the full check refuses, the default Open, which
// takes closed chunks from their index files, must not return wrong data
// either (checkDefaultOpen).
func (r *runner[L, P, V, U]) flip(seed uint64) {
	if r.crash != nil {
		r.powerLoss() // the armed crash comes first
		return
	}
	if r.poisoned {
		// Without a clean Close the last synced batch has no marker after
		// it, and rot there is indistinguishable from a torn write
		// (docs/format.md). Restart instead.
		r.reopen()
		return
	}
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
	r.durable = len(r.hist) - 1
	names, err := r.mem.ReadDir(r.dir)
	if err != nil {
		r.fail("listing %s: %v", r.dir, err)
		return
	}
	var chunks []string
	for _, n := range names {
		if _, ok := wal.ParseChunkName(n); ok {
			chunks = append(chunks, r.dir+"/"+n)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	file := chunks[rng.IntN(len(chunks))]
	info, err := r.mem.Stat(file)
	if err != nil || info.Size() == 0 {
		r.fail("stat %s: %v", file, err)
		return
	}
	off := rng.Int64N(info.Size())
	mask := byte(1) << rng.IntN(8)
	r.res.Flips++
	r.mem.Corrupt(file, off, mask)
	r.fi.Clear()

	cfg := r.cfg
	cfg.FS = r.fi
	cfg.ReadAll = true
	l, err := r.openLog(cfg)
	r.epoch++
	r.logf("flip %s@%d^%#x; Open -> %v", file, off, mask, errText(err))
	if err == nil {
		// The bit was in what recovery may cut (the closing marker): the
		// log must be exactly what it was.
		r.l = l
		r.keep(len(r.hist) - 1)
		r.durable = 0
		st, first, ents, err := r.snapshot(l)
		if err != nil || !r.cur().equal(r.ts.stateKey(st), first, ents) {
			r.fail("after a flip Open succeeded with a different log (%v, err %v): want %v", st, err, r.cur())
		}
		return
	}
	var ce *wal.CorruptionError
	switch {
	case !errors.Is(err, raftlog.ErrCorrupt) || !errors.As(err, &ce):
		r.fail("a flipped bit at %s:%d: Open failed without a corruption error: %v", file, off, err)
	case ce.File != file || ce.Offset > off:
		r.fail("a flipped bit at %s:%d reported at %s:%d", file, off, ce.File, ce.Offset)
	}
	if r.v != nil {
		return
	}
	r.checkDefaultOpen(rng, "a flipped bit", len(r.hist)-1)
	if r.v != nil {
		return
	}
	r.mem.Corrupt(file, off, mask) // repair, and carry on
	r.recover(r.durable)
}
