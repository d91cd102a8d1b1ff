package raftlog

import (
	"errors"

	"github.com/raftlog/raftlog/wal"
)

// RecoveryReport says what Open cut from the log and the state it
// recovered. Every cut is here, the default cut of a torn tail included,
// and each was also logged at WARN through Config.Logger.
type RecoveryReport[L, V, U any] struct {
	// Mode is the recovery mode Open ran in.
	Mode wal.RecoveryMode
	// Cuts lists what recovery removed, in log order; empty when it
	// removed nothing.
	Cuts []Cut
	// State is the state as recovered, before any later write.
	State State[L, V, U]
}

// Cut is one region that recovery removed from the log (a torn tail, the
// head of an interrupted rotation, or in wal.Repair mode damage and
// everything after it), with the entries found in it, or, in wal.Repair
// mode, a damaged chunk checkpoint it rewrote (wal.Cut.Rewritten), which
// held no entry.
type Cut struct {
	wal.Cut
	// First and Last bound the indexes of the intact entries recovery
	// found in the bytes it removed (found by resynchronising at each
	// write batch after damage, so a damaged entry is not among them);
	// both are absent when it found none. A Raft node refetches these
	// from a peer when Cut.Durable says they had been durable. A cut of
	// an earlier repair (wal.Cut.Earlier), whose bytes are no longer in
	// the log, has First only: every entry past the log's last may have
	// been in it. A cut of no bytes whose File is the log's directory
	// names the entries before the log's first live chunk that a repair
	// found gone with no record of their discarding (see
	// wal.StartKeeper): First is absent when the log was never purged.
	First, Last Option[uint64]
}

// Recovery returns what Open cut from the log and the state it recovered.
func (l *Log[L, P, V, U]) Recovery() RecoveryReport[L, V, U] { return l.report }

// droppedEntry is an entry Open found in bytes it did not keep.
type droppedEntry struct {
	pos   wal.Position
	index uint64
}

// Dropped collects the entries of records Open does not keep (see
// wal.DropObserver).
func (m machine[L, P, V, U]) Dropped(r record[L, P, V, U], pos wal.Position) {
	switch r.op {
	case opAppend:
		m.l.dropped = append(m.l.dropped, droppedEntry{pos: pos, index: m.l.t.Index(r.id)})
	case opPurge:
		m.l.droppedPurges = append(m.l.droppedPurges, r.id)
	case opTruncate:
		m.l.droppedLow = lowestOf(m.l.droppedLow, m.l.nextIndex(r.after())+1)
	}
}

// CutMark is what a repair keeps in META of the records it cuts (see
// wal.CutMarker): one more than the lowest index they name, an entry's or
// where a truncation cut the log, or the earlier repair's when lower. A
// repair that reports this cut again names every entry from there on.
func (m machine[L, P, V, U]) CutMark(earlier uint64) uint64 {
	mark := lowestOf(earlier, m.l.droppedLow)
	for _, d := range m.l.dropped {
		mark = lowestOf(mark, d.index+1)
	}
	return mark
}

// lowestOf is the lower of two marks (one more than an index, 0 for
// none).
func lowestOf(a, b uint64) uint64 {
	if a == 0 || b != 0 && b < a {
		return b
	}
	return a
}

// KeepStart is called by a repair that cuts the log's only record of where
// it starts (see wal.StartKeeper), once the records cut were shown to
// Dropped: the purges among them are written again, in order, so the log
// keeps the purge whose chunk removals had begun (and the purge point it
// set, which may lie past the entries kept). Apply checks each as Purge
// would have, and ignores one that does not fit the state the cut leaves
// (the log may have been truncated and rewritten in between).
func (m machine[L, P, V, U]) KeepStart() []record[L, P, V, U] {
	recs := make([]record[L, P, V, U], len(m.l.droppedPurges))
	for i, p := range m.l.droppedPurges {
		recs[i] = record[L, P, V, U]{op: opPurge, id: p}
	}
	return recs
}

// KeptStart is called after the replay of a log that such a repair cut
// (or that a repair whose report may have been lost cut): the chunks
// before the first live one are gone, and with them the entries before
// the first one held. Those the purge point does not cover were discarded
// by an operation whose record was cut with no purge after it that fits
// (a truncation, a new state): they are gone with no record of their
// discarding, and the recovery report names them, for a Raft node to
// refetch. (A log that a new state started later than its purge point
// looks the same; after an interrupted repair, its entries before that
// start are named too.)
func (m machine[L, P, V, U]) KeptStart() {
	l := m.l
	// The log held something before its first entry (a last id when the
	// run of entries began, or one with no entry): up to first-1.
	before, first := l.beforeFirst, l.idx.first
	if l.idx.n == 0 {
		before, first = l.state.Last, l.nextIndex(l.state.Last)
	}
	if p, purged := l.state.Purged.Get(); !before.IsSome() || first == 0 || purged && l.t.Index(p) >= first-1 {
		return // nothing is missing before the first entry but what was purged
	}
	lost := Cut{Cut: wal.Cut{File: l.dir, Durable: true,
		Reason: "entries before the first one the log holds, past its purge point, are not in it: the chunks that held them were removed, and the record of what discarded them was among the bytes a repair cut, or a new state began the log later; nothing says they were discarded"},
		Last: Some(first - 1)}
	if p, ok := l.state.Purged.Get(); ok {
		lost.First = Some(l.t.Index(p) + 1)
	}
	l.lostFront = &lost
}

// recoveryReport pairs the WAL's cuts with the entries found in each.
func (l *Log[L, P, V, U]) recoveryReport(r wal.Report) RecoveryReport[L, V, U] {
	out := RecoveryReport[L, V, U]{Mode: r.Mode, State: l.state}
	for _, c := range r.Cuts {
		cut := Cut{Cut: c}
		if c.Earlier {
			first := max(1, l.nextIndex(l.state.Last))
			if c.Mark > 0 {
				first = min(first, c.Mark-1)
			}
			cut.First = Some(first)
		}
		for _, d := range l.dropped {
			if !c.OfMeta() && !c.Rewritten && !c.Earlier && d.pos.Chunk == c.Chunk && int64(d.pos.Offset-c.Chunk) >= c.Offset {
				cut.First, cut.Last = widen(cut.First, cut.Last, d.index)
			}
		}
		out.Cuts = append(out.Cuts, cut)
	}
	if l.lostFront != nil {
		out.Cuts = append(out.Cuts, *l.lostFront)
	}
	return out
}

// corruption turns a WAL error that refused the log into a
// *CorruptionError naming the entries it makes unreadable: from the entry
// after the last one replayed intact (unknown when the log held none: its
// first entry may have any index) to the last entry found past the damage
// (unknown when none was found).
func (l *Log[L, P, V, U]) corruption(err error) *CorruptionError {
	ce := &CorruptionError{Err: err}
	var gap *wal.GapError
	var missing *wal.MissingChunkError
	if errors.As(err, &gap) || errors.As(err, &missing) && missing.Want < missing.First {
		return l.lostBeforeReplay(ce)
	}
	if last, ok := l.state.Last.Get(); ok {
		ce.First = Some(l.t.Index(last) + 1)
	}
	for _, d := range l.dropped {
		_, ce.Last = widen(ce.First, ce.Last, d.index)
	}
	if f, ok := ce.First.Get(); ok {
		if la, ok := ce.Last.Get(); ok && la < f {
			ce.Last = None[uint64]()
		}
	}
	return ce
}

// lostBeforeReplay fills in ce for chunks missing (or cut short, or not
// the log's) before the run of chunks the WAL replayed, which it reports
// once it has replayed them: the entries lost are among those before the
// first one replayed, back to the log's purge point (the first unknown
// when none was recorded). The entries in intact chunks before the gap are
// among them: the log did not read those chunks.
func (l *Log[L, P, V, U]) lostBeforeReplay(ce *CorruptionError) *CorruptionError {
	if p, ok := l.state.Purged.Get(); ok {
		ce.First = Some(l.t.Index(p) + 1)
	}
	switch last, ok := l.state.Last.Get(); {
	case l.idx.n > 0:
		ce.Last = Some(l.idx.first - 1)
	case ok:
		ce.Last = Some(l.t.Index(last))
	}
	if f, ok := ce.First.Get(); ok {
		if la, ok := ce.Last.Get(); ok && la < f {
			ce.First, ce.Last = None[uint64](), None[uint64]()
		}
	}
	return ce
}

// widen extends the range [first, last] to include i.
func widen(first, last Option[uint64], i uint64) (Option[uint64], Option[uint64]) {
	if f, ok := first.Get(); !ok || i < f {
		first = Some(i)
	}
	if la, ok := last.Get(); !ok || i > la {
		last = Some(i)
	}
	return first, last
}
