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
// yields a *CorruptionError naming the index (and, through it, the chunk
// file and offset), never the damaged bytes. Read never waits for an
// fsync, and takes the log's read lock once per 32 entries, not per entry.
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
// (ErrChanged) before yielding anything after it, even when the entries
// that follow now start a new log; entries a concurrent Purge removes before
// it reaches them end it with ErrPurged (a purge of the entry yielded last
// alone is no change: the read goes on). Everything it yields is a sequence
// the log held.
//
// A payload served from the cache is the one the log holds: the caller must
// not modify it. It is the value appended, where one read from the file is
// what the payload codec decodes; the two differ where the codec does not
// give back exactly what it encoded: codec.Bytes, for one, decodes a nil
// payload as an empty slice, so compare payloads with bytes.Equal, not
// reflect.DeepEqual.
func (l *Log[L, P, V, U]) Read(from, to uint64) iter.Seq2[Entry[L, P], error] {
	return func(yield func(Entry[L, P], error) bool) {
		var (
			prev         L // the id of the entry yielded last, if any
			rd           *wal.Reader[record[L, P, V, U]]
			batch        [readBatch]readSlot[L, P]
			hits, misses uint64 // of the entries loaded, not yet counted
		)
		defer func() { l.cache.count(hits, misses) }()
		for i := from; i < to || from > to; {
			n, edits, err := l.take(i, from, to, prev, i > from, batch[:])
			if err != nil {
				yield(Entry[L, P]{}, err)
				return
			}
			for k := range n {
				// An edit since take (a truncate, purge, reset or Close) may
				// have removed or replaced the entries taken: take again,
				// which checks the entry yielded last under the lock.
				if k > 0 && l.idx.edits.Load() != edits {
					break
				}
				if batch[k].hit {
					hits++
				} else {
					misses++
				}
				e, err := l.load(i, from, to, &batch[k], &rd)
				if !yield(e, err) || err != nil {
					return
				}
				prev = e.ID
				i++
			}
			l.cache.count(hits, misses)
			hits, misses = 0, 0
		}
	}
}

// readBatch is how many entries a Read takes under one hold of the lock.
const readBatch = 32

// readSlot is one entry a Read took: its id, and its payload from the cache
// (hit) or else where its record is.
type readSlot[L, P any] struct {
	id      L
	pos     wal.Position
	payload P
	hit     bool
}

// take fills slots with entries i, i+1, ... of a Read of [from, to) whose
// previous item, if hasPrev, was the entry with id prev, and returns how
// many it took and the index's edit count they are valid for. One RLock
// serves them all.
func (l *Log[L, P, V, U]) take(i, from, to uint64, prev L, hasPrev bool, slots []readSlot[L, P]) (int, uint64, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return 0, 0, ErrClosed
	}
	if hasPrev && l.replaced(i-1, prev) {
		return 0, 0, &ChangedError{Index: i - 1}
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
		return 0, 0, &RangeError{From: from, To: to, First: first, End: end, Err: rangeErr}
	}
	// [i, to) lies within the index: i >= first and to <= end. Should the
	// index end before the state's last id (it never does), the next take
	// finds ErrPastEnd, as a read of each entry alone would.
	n := int(min(uint64(len(slots)), to-i, l.idx.end()-i))
	for k := range n {
		s := &slots[k]
		s.id = l.idx.id(i + uint64(k))
		if s.payload, s.hit = l.cache.get(i + uint64(k)); !s.hit {
			s.pos = l.idx.pos(i + uint64(k))
		}
	}
	return n, l.idx.edits.Load(), nil
}

// load returns entry i of a Read of [from, to), taken into s: its payload
// from the cache or, on a miss, read through *rd, made on the first miss.
func (l *Log[L, P, V, U]) load(i, from, to uint64, s *readSlot[L, P], rd **wal.Reader[record[L, P, V, U]]) (Entry[L, P], error) {
	e := Entry[L, P]{ID: s.id}
	if s.hit {
		e.Payload = s.payload
		return e, nil
	}
	if *rd == nil {
		*rd = l.wal.NewReader(0)
	}
	var (
		id      L
		payload P
		other   record[L, P, V, U] // when the record is not an entry
	)
	pos := s.pos
	err := (*rd).LoadWith(pos, func(body []byte) (int, error) {
		return recordCodec[L, P, V, U]{t: &l.t}.decodeEntry(body, &id, &payload, &other)
	})
	switch {
	case err != nil:
		if errors.Is(err, ErrClosed) {
			return e, ErrClosed
		}
		if errors.Is(err, wal.ErrChunkRemoved) {
			return e, &RangeError{From: from, To: to, First: i + 1, End: to, Err: ErrPurged}
		}
	case other.op != 0:
		err = fmt.Errorf("the record at offset %d is %v, not the entry %v", pos.Offset, other, e.ID)
	case l.t.CompareLogID(id, e.ID) != 0:
		err = fmt.Errorf("the record at offset %d is the entry %v, not %v", pos.Offset, id, e.ID)
	}
	if err != nil {
		return e, &CorruptionError{First: Some(i), Last: Some(i), Err: err}
	}
	e.Payload = payload
	return e, nil
}

// replaced reports whether the entry with id prev, which a Read yielded at
// index j, is gone from the log other than by a purge that leaves the
// branch being read intact: a truncate removed it (a new branch may have
// taken its index, or the entries after it, even with the index emptied),
// or a purge point at j has another id. A purge past j is not a change:
// the read then meets ErrPurged. Called with mu held.
func (l *Log[L, P, V, U]) replaced(j uint64, prev L) bool {
	if id, ok := l.idx.lookup(j); ok {
		return l.t.CompareLogID(id, prev) != 0
	}
	if !l.purgedAtOrAfter(j) {
		return true // not purged: truncated
	}
	p, _ := l.state.Purged.Get()
	return l.t.Index(p) == j && l.t.CompareLogID(p, prev) != 0
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
// index outside the entries held is a *RangeError matching ErrPurged (at or
// below the purge point), ErrBeforeStart (below the first entry of a log
// that was not purged that far) or ErrPastEnd.
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
