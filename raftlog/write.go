package raftlog

import (
	"fmt"

	"github.com/raftlog/raftlog/wal"
)

// SaveVote saves the vote. It must be >= the saved one in the vote's partial
// order: a smaller or incomparable vote is a *VoteReversalError.
func (l *Log[L, P, V, U]) SaveVote(v V) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if cur, ok := l.state.Vote.Get(); ok {
		if c, ok := l.t.CompareVote(v, cur); !ok || c < 0 {
			return wal.Position{}, &VoteReversalError[V]{Current: cur, Attempted: v}
		}
	}
	return l.write(record[L, P, V, U]{op: opVote, vote: &v})
}

// Append appends entries and returns the position of the last one. Each id
// must be above the last id and, when there is a last id, at the next index
// (*LogIDReversalError, *NonConsecutiveError); with no last id the first
// entry may have any index. The batch is all or nothing: every entry is
// validated, and the WAL accepts all or none, before any is applied.
//
// The log keeps each payload in its cache until the entry is durable and
// evicted: the caller must not modify a payload after passing it.
func (l *Log[L, P, V, U]) Append(entries ...Entry[L, P]) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if len(entries) == 0 {
		return wal.Position{}, nil
	}
	lid, ok := l.state.Last.Get()
	var li uint64 // lid's index, once ok
	if ok {
		li = l.t.Index(lid)
	}
	first := l.t.Index(entries[0].ID)
	for _, e := range entries {
		i := l.t.Index(e.ID)
		if i == maxIndex {
			return wal.Position{}, &IndexLimitError{Index: maxIndex}
		}
		if ok {
			if l.t.CompareLogID(e.ID, lid) <= 0 {
				return wal.Position{}, &LogIDReversalError[L]{When: "append", Current: lid, Attempted: e.ID}
			}
			if i != li+1 {
				return wal.Position{}, &NonConsecutiveError[L]{Last: lid, Attempted: e.ID}
			}
		}
		lid, li, ok = e.ID, i, true
	}
	recs := l.recs[:0]
	for _, e := range entries {
		recs = append(recs, record[L, P, V, U]{op: opAppend, id: e.ID, payload: e.Payload})
	}
	poss, err := l.wal.AppendBatch(recs, l.poss[:0])
	if err == nil {
		l.mu.Lock()
		l.applyEntries(first, recs, poss)
		l.evict(false)
		l.mu.Unlock()
	}
	if err != nil {
		err = l.tooLarge(err, recs)
	}
	clear(recs) // the scratch must not keep payloads alive
	l.recs, l.poss = recs[:0], poss[:0]
	if err != nil {
		return wal.Position{}, err
	}
	return poss[len(poss)-1], nil
}

// Commit saves the commit point. It must not go below the saved one, in id
// order nor in index (*LogIDReversalError): a Raft commit index never
// decreases, and along one log a higher term never comes at a lower index.
// It is not bounded by the last id: a follower may learn a commit point
// beyond the entries it holds.
func (l *Log[L, P, V, U]) Commit(id L) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if cur, ok := l.state.Committed.Get(); ok && (l.t.CompareLogID(id, cur) < 0 || l.t.Index(id) < l.t.Index(cur)) {
		return wal.Position{}, &LogIDReversalError[L]{When: "commit", Current: cur, Attempted: id}
	}
	return l.write(record[L, P, V, U]{op: opCommit, id: id})
}

// Truncate removes the entries from index at on, keeping those before it.
//
// On a log that was never purged, at may be at or below the first index held
// (Truncate(1) on a log starting at 1, as a Raft follower does when its
// first entry conflicts): every entry is removed and the log has no last id.
// On a purged log, at may be just past the purge point, which removes every
// entry and leaves the purge point as the last id. Otherwise the entry at
// at-1 must be in the log. Anything else (an index past the last entry plus
// one, or at or below a purge point) is an *IndexNotFoundError and writes
// nothing. Truncating below the commit point is allowed; Raft never asks
// for it.
func (l *Log[L, P, V, U]) Truncate(at uint64) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	var after Option[L]
	next := l.nextIndex(l.state.Purged)
	_, purged := l.state.Purged.Get()
	switch {
	case !purged && (at <= l.idx.first && l.idx.n > 0 || !l.state.Last.IsSome()):
		// Never purged: everything from the first entry on goes.
	case at == next:
		after = l.state.Purged
	case at < next:
		return wal.Position{}, &IndexNotFoundError{At: at, Reason: fmt.Sprintf("entries up to index %d are purged", next-1)}
	default:
		id, ok := l.idx.lookup(at - 1)
		if !ok {
			return wal.Position{}, &IndexNotFoundError{At: at, Reason: fmt.Sprintf("the log holds no entry at index %d", at-1)}
		}
		after = Some(id)
	}
	return l.write(truncateRecord[L, P, V, U](after))
}

// Purge removes every entry up to and including upto, typically after a
// snapshot covers them, and schedules the removal of the chunk files that
// held only those; the files go once the purge is durable. Purging at or
// below the current purge point does nothing and returns a zero Position
// (on a log that is not poisoned: see the package doc's Durability).
// Purging beyond the last entry empties the log and makes upto the last id
// (installing a snapshot); such an id must not sort below the last id
// (*LogIDReversalError). An id that differs from the entry the log holds at
// that index, or that sorts above the last id while its index is not beyond
// the last index, is a *PurgeMismatchError (accepting one would leave
// entries of another term behind a purge point that never existed). The
// index 2^64-1 is refused (*IndexLimitError).
func (l *Log[L, P, V, U]) Purge(upto L) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if noop, err := l.checkPurge(upto); err != nil || noop {
		return wal.Position{}, err
	}
	pos, err := l.write(record[L, P, V, U]{op: opPurge, id: upto})
	if err != nil {
		return pos, err
	}
	l.removeObsoleteChunks()
	return pos, nil
}

// checkPurge applies Purge's rules to a purge to upto against the state
// now: noop when upto is at or below the purge point, else an error for a
// purge the log cannot take. Called with writeMu held, or during Open.
func (l *Log[L, P, V, U]) checkPurge(upto L) (noop bool, err error) {
	i := l.t.Index(upto)
	if i == maxIndex {
		return false, &IndexLimitError{Index: i}
	}
	if i < l.nextIndex(l.state.Purged) {
		return true, nil
	}
	if id, ok := l.idx.lookup(i); ok && l.t.CompareLogID(id, upto) != 0 {
		return false, &PurgeMismatchError[L]{Attempted: upto, Existing: id}
	}
	if last, ok := l.state.Last.Get(); ok {
		switch li := l.t.Index(last); {
		case i <= li && l.t.CompareLogID(upto, last) > 0:
			// At or below the last index, an id above the last id
			// cannot be one of the log's entries.
			return false, &PurgeMismatchError[L]{Attempted: upto, Existing: last}
		case li == i && l.t.CompareLogID(last, upto) != 0:
			return false, &PurgeMismatchError[L]{Attempted: upto, Existing: last}
		case i > li && l.t.CompareLogID(upto, last) < 0:
			// Beyond the end, upto becomes the last id: it must not
			// sort below the current one.
			return false, &LogIDReversalError[L]{When: "purge", Current: last, Attempted: upto}
		}
	}
	return false, nil
}

// removeObsoleteChunks schedules the removal of closed chunks that hold no
// entry the log still has: those before the first entry's record. Called
// with writeMu held (or before the log is shared). It fails only when the
// WAL is closed or poisoned; then the operation that made the chunks
// obsolete has been applied all the same, and the next Open schedules them
// again, so its caller reports no error.
func (l *Log[L, P, V, U]) removeObsoleteChunks() error {
	before := l.wal.End()
	if l.idx.n > 0 {
		before = l.idx.pos(l.idx.first).Offset
	}
	_, err := l.wal.RemoveBefore(before)
	return err
}

// SaveUserData replaces the user data (None removes it).
func (l *Log[L, P, V, U]) SaveUserData(u Option[U]) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	s := l.state
	s.UserData = u
	return l.write(record[L, P, V, U]{op: opState, state: &s})
}

// UpdateState replaces the whole state. Entries that no longer fit are
// dropped: those after the new last id, those at or before the new purge
// point, and all of them when the log holds no entry equal to the new last
// id (so the entries always end at the last id). Purged must be at or below
// Last, in id order and by index (*InvalidStateError). Replacing the state
// without fitting the entries to it would let an index be appended twice.
// It is the one write not held to the order of the saved state: the vote
// and the commit point may go back (a snapshot's install or a rebuild
// decides them), so a caller must check them itself.
func (l *Log[L, P, V, U]) UpdateState(s State[L, V, U]) (wal.Position, error) {
	if err := l.beginWrite(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if err := l.checkState(s); err != nil {
		return wal.Position{}, err
	}
	pos, err := l.write(record[L, P, V, U]{op: opState, state: &s})
	if err != nil {
		return pos, err
	}
	l.removeObsoleteChunks()
	return pos, nil
}

// checkState rejects a state whose purge point is not at or below its last
// id (in id order and by index, and the same id at the same index), or whose
// last index leaves no room for a next one.
func (l *Log[L, P, V, U]) checkState(s State[L, V, U]) error {
	last, hasLast := s.Last.Get()
	if hasLast && l.t.Index(last) == maxIndex {
		return &IndexLimitError{Index: maxIndex}
	}
	p, hasPurged := s.Purged.Get()
	switch {
	case !hasPurged:
		return nil
	case !hasLast, l.t.CompareLogID(p, last) > 0, l.t.Index(p) > l.t.Index(last),
		l.t.Index(p) == l.t.Index(last) && l.t.CompareLogID(p, last) != 0:
		return &InvalidStateError{Reason: fmt.Sprintf("purged %v is not at or below last %v", s.Purged, s.Last)}
	}
	return nil
}

// maxIndex is refused as a log index: the index after it would wrap to 0.
const maxIndex = 1<<64 - 1

// nextIndex is the index after id, or 0 for none.
func (l *Log[L, P, V, U]) nextIndex(id Option[L]) uint64 {
	if v, ok := id.Get(); ok {
		return l.t.Index(v) + 1
	}
	return 0
}
