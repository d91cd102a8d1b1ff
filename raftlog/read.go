package raftlog

import (
	"errors"
	"fmt"
	"iter"

	"github.com/raftlog/raftlog/wal"
)

// Read returns the entries with index in [from, to), in order, as an
// iterator. Each payload comes from the cache or, on a miss, from the file,
// read a block (wal.DefaultReadBlock) at a time so that consecutive misses
// cost one ReadAt per block; every record's checksum is verified: damage
// yields a
// *CorruptionError naming the index (and, through it, the chunk file and
// offset), never the damaged bytes. Read never waits for an fsync.
//
// The range must lie within what the log holds: from > to yields a
// *RangeError matching ErrRange; from below the first entry held, ErrPurged
// (or ErrBeforeStart when nothing was ever purged there); to past the last
// entry, ErrPastEnd (never a silently shorter sequence). An error is the
// iterator's last item.
//
// Writers may run while an iteration does. An iteration never mixes two
// branches of the log: if a concurrent Truncate (or UpdateState) removes or
// replaces an entry it has already yielded, it ends with a *ChangedError
// (ErrChanged) before yielding anything after it; entries a concurrent
// Purge removes before it reaches them end it with ErrPurged. Everything it
// yields is a sequence the log held.
//
// A payload served from the cache is the one the log holds: the caller must
// not modify it.
func (l *Log[L, P, V, U]) Read(from, to uint64) iter.Seq2[Entry[L, P], error] {
	return func(yield func(Entry[L, P], error) bool) {
		var prev L // the id of the entry yielded last, if any
		var rd *wal.Reader[record[L, P, V, U]]
		for i := from; i < to || from > to; i++ {
			e, err := l.entry(i, from, to, prev, i > from, &rd)
			if !yield(e, err) || err != nil {
				return
			}
			prev = e.ID
		}
	}
}

// entry reads entry i of a Read of [from, to) whose previous item, if
// hasPrev, was the entry with id prev. A miss reads through *rd, made on
// the first miss.
func (l *Log[L, P, V, U]) entry(i, from, to uint64, prev L, hasPrev bool, rd **wal.Reader[record[L, P, V, U]]) (Entry[L, P], error) {
	var e Entry[L, P]
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return e, ErrClosed
	}
	if hasPrev && i-1 >= l.idx.first {
		// The entry yielded last must still be in the log, unchanged:
		// otherwise a truncate has replaced the branch being read.
		if id, ok := l.idx.lookup(i - 1); !ok || l.t.CompareLogID(id, prev) != 0 {
			l.mu.RUnlock()
			return e, &ChangedError{Index: i - 1}
		}
	}
	first, end := l.idx.first, l.nextIndex(l.state.Last)
	if l.idx.n == 0 {
		first = end
	}
	var rangeErr error
	switch {
	case from > to:
		rangeErr = ErrRange
	case i < first && l.purgedAtOrAfter(i):
		rangeErr = ErrPurged
	case i < first:
		rangeErr = ErrBeforeStart
	case to > end || i >= l.idx.end():
		rangeErr = ErrPastEnd
	}
	if rangeErr != nil {
		l.mu.RUnlock()
		return e, &RangeError{From: from, To: to, First: first, End: end, Err: rangeErr}
	}
	e.ID = l.idx.id(i)
	p, hit := l.cache.get(i)
	pos := l.idx.pos(i)
	l.mu.RUnlock()

	if hit {
		l.cache.hits.Add(1)
		e.Payload = p
		return e, nil
	}
	l.cache.misses.Add(1)
	if *rd == nil {
		*rd = l.wal.NewReader(0)
	}
	var (
		id      L
		payload P
		other   record[L, P, V, U] // when the record is not an entry
	)
	err := (*rd).LoadWith(pos, func(body []byte) (int, error) {
		return recordCodec[L, P, V, U]{t: &l.t}.decodeEntry(body, &id, &payload, &other)
	})
	switch {
	case err == nil && other.op != 0:
		err = fmt.Errorf("the record at offset %d is %v, not the entry %v", pos.Offset, other, e.ID)
	case err == nil && l.t.CompareLogID(id, e.ID) != 0:
		err = fmt.Errorf("the record at offset %d is the entry %v, not %v", pos.Offset, id, e.ID)
	}
	if errors.Is(err, ErrClosed) {
		return e, ErrClosed
	}
	if errors.Is(err, wal.ErrChunkRemoved) {
		return e, &RangeError{From: from, To: to, First: i + 1, End: to, Err: ErrPurged}
	}
	if err != nil {
		return e, &CorruptionError{First: Some(i), Last: Some(i), Err: err}
	}
	e.Payload = payload
	return e, nil
}

// purgedAtOrAfter reports whether index i is at or below the purge point,
// that is, was removed by a purge rather than never held. Called with mu
// held.
func (l *Log[L, P, V, U]) purgedAtOrAfter(i uint64) bool {
	p, ok := l.state.Purged.Get()
	return ok && i <= l.t.Index(p)
}

// LogIDAt returns the log id of the entry at index i without reading its
// payload (the index holds every id in memory). At the index of the purge
// point it returns the purged id: the id of the last entry removed, which a
// Raft engine needs as the term of its snapshot's last entry. Any other
// index outside the entries held is a *RangeError matching ErrPurged or
// ErrPastEnd.
func (l *Log[L, P, V, U]) LogIDAt(i uint64) (L, error) {
	var zero L
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return zero, ErrClosed
	}
	if id, ok := l.idx.lookup(i); ok {
		return id, nil
	}
	if p, ok := l.state.Purged.Get(); ok && l.t.Index(p) == i {
		return p, nil
	}
	first, end := l.idx.first, l.nextIndex(l.state.Last)
	if l.idx.n == 0 {
		first = end
	}
	sentinel := ErrPastEnd
	switch {
	case i < first && l.purgedAtOrAfter(i):
		sentinel = ErrPurged
	case i < first:
		sentinel = ErrBeforeStart
	}
	return zero, &RangeError{From: i, To: i + 1, First: first, End: end, Err: sentinel}
}

// State returns the current state, including operations not yet flushed.
func (l *Log[L, P, V, U]) State() State[L, V, U] {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.state
}

// DrainCacheEvictable evicts every durable entry from the payload cache,
// whatever the limits.
func (l *Log[L, P, V, U]) DrainCacheEvictable() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evict(true)
}
