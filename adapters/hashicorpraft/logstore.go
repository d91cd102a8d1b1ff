package hashicorpraft

import (
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/raftlog"
)

// FirstIndex returns the index of the first entry held, or 0 when the store
// holds none.
func (s *Store) FirstIndex() (uint64, error) {
	first, end, err := s.bounds()
	if err != nil || end == first {
		return 0, err
	}
	return first, nil
}

// LastIndex returns the index of the last entry held, or 0 when the store
// holds none (after a DeleteRange of everything, too: hashicorp/raft then
// takes its last index from its snapshot).
func (s *Store) LastIndex() (uint64, error) {
	first, end, err := s.bounds()
	if err != nil || end == first {
		return 0, err
	}
	return end - 1, nil
}

// bounds returns the entries held: [first, end).
func (s *Store) bounds() (first, end uint64, err error) {
	if err := s.live(); err != nil {
		return 0, 0, err
	}
	st := s.log.Stat()
	return st.First, max(st.First, st.End), nil
}

// GetLog reads the entry at index into out, every field of raft.Log as it
// was stored. An index the store does not hold returns raft.ErrLogNotFound
// itself (hashicorp/raft compares it with ==); a damaged record returns an
// error matching raftlog.ErrCorrupt that names the index, the chunk file and
// the offset. out's Data and Extensions may be shared with the store's
// cache: they must not be modified.
func (s *Store) GetLog(index uint64, out *raft.Log) error {
	// A poisoned log's cache may hold entries of a StoreLogs that failed.
	if err := s.live(); err != nil {
		return err
	}
	if index == 0 || index == 1<<64-1 {
		return raft.ErrLogNotFound
	}
	for e, err := range s.log.Read(index, index+1) {
		// Below a log that starts past 1 unpurged (a first StoreLogs
		// after a snapshot install, a migrated log) is not found too: a
		// leader sends a follower a snapshot only on ErrLogNotFound.
		if errors.Is(err, raftlog.ErrPurged) || errors.Is(err, raftlog.ErrBeforeStart) || errors.Is(err, raftlog.ErrPastEnd) {
			return raft.ErrLogNotFound
		}
		if err != nil {
			return fmt.Errorf("hashicorpraft: get log %d: %w", index, err)
		}
		*out = raft.Log{
			Index: e.ID.Index, Term: e.ID.Term, Type: e.Payload.typ,
			Data: e.Payload.data, Extensions: e.Payload.extensions, AppendedAt: e.Payload.appendedAt,
		}
		return nil
	}
	return raft.ErrLogNotFound
}

// StoreLog stores one entry; see StoreLogs.
func (s *Store) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs stores entries and returns once they are durable (one fsync,
// shared with concurrent writers). The entries must have consecutive
// indexes following the last one held; on an empty store (new, or after a
// DeleteRange of everything, as after a snapshot restore) they may start at
// any index, in any term. Anything else is an error matching
// raftlog.ErrNonConsecutive or raftlog.ErrLogIDReversal, and stores
// nothing. A crash before StoreLogs returns may keep any prefix of the
// entries, each record standing alone, never a gap or a changed entry
// (raft-boltdb keeps a batch whole or not at all): hashicorp/raft finds
// the shorter log at restart, and the leader sends the rest again.
//
// The store keeps each entry's Data and Extensions in its cache until the
// entry is durable and evicted: the caller must not modify them after the
// call, as hashicorp/raft does not.
func (s *Store) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return s.live()
	}
	s.counters.storeCalls.Add(1)
	if err := s.append(logs); err != nil {
		return err
	}
	s.counters.stored.Add(uint64(len(logs)))
	return s.sync()
}

func (s *Store) append(logs []*raft.Log) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.rebase(raftlog.LogID{Term: logs[0].Term, Index: logs[0].Index}); err != nil {
		return err
	}
	batch := make([]raftlog.Entry[raftlog.LogID, entry], len(logs))
	for i, l := range logs {
		batch[i] = raftlog.Entry[raftlog.LogID, entry]{
			ID:      raftlog.LogID{Term: l.Term, Index: l.Index},
			Payload: entry{typ: l.Type, data: l.Data, extensions: l.Extensions, appendedAt: l.AppendedAt},
		}
	}
	if _, err := s.log.Append(batch...); err != nil {
		return fmt.Errorf("hashicorpraft: store logs [%d, %d]: %w", logs[0].Index, logs[len(logs)-1].Index, err)
	}
	return nil
}

// rebase moves the start of an empty log so that its next entry, first,
// can follow it. A monotonic store is emptied by DeleteRange when
// hashicorp/raft restores a snapshot, and the next entry then follows the
// snapshot, wherever the deleted entries ended and whatever their terms:
// a deleted uncommitted entry may have a higher term than the snapshot's
// entry at its index, and than the entries that follow it. The new
// start's term is unknown and recorded as 0: the store never reports it.
func (s *Store) rebase(first raftlog.LogID) error {
	st := s.log.State()
	last, hasLast := st.Last.Get()
	purged, hasPurged := st.Purged.Get()
	empty := hasPurged && purged == last
	next := first.Index
	if !hasLast || !empty || next == last.Index+1 && first.Compare(last) > 0 {
		return nil // a new log takes any start; a non-empty one checks in Append
	}
	if next == 0 {
		return fmt.Errorf("hashicorpraft: store logs at index 0 after %v: %w", last, raftlog.ErrNonConsecutive)
	}
	base := raftlog.Some(raftlog.LogID{Index: next - 1})
	st.Last, st.Purged = base, base
	if _, err := s.log.UpdateState(st); err != nil {
		return fmt.Errorf("hashicorpraft: move the start of the empty log to index %d: %w", next, err)
	}
	s.counters.rebases.Add(1)
	return nil
}

// DeleteRange deletes the entries with index in [lo, hi] and returns once
// that is durable. hashicorp/raft deletes a prefix after a snapshot (a
// purge: the entries' chunk files are removed once no live entry is in
// them) and a suffix when a follower's tail conflicts with the leader's (a
// truncate). A range reaching both ends empties the log; the next
// StoreLogs may then start anywhere. Indexes the store does not hold are
// ignored. A range strictly inside the log is a *RangeError (matching
// ErrMiddleRange) and deletes nothing.
func (s *Store) DeleteRange(lo, hi uint64) error {
	if lo > hi {
		return s.live()
	}
	deleted, err := s.deleteRange(lo, hi)
	if err != nil || !deleted {
		return err
	}
	return s.sync()
}

func (s *Store) deleteRange(lo, hi uint64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first, end, err := s.bounds()
	if err != nil {
		return false, err
	}
	if end == first || hi < first || lo >= end {
		return false, nil
	}
	last := end - 1
	switch {
	case lo <= first:
		id, err := s.log.LogIDAt(min(hi, last))
		if err == nil {
			_, err = s.log.Purge(id)
		}
		if err != nil {
			return false, fmt.Errorf("hashicorpraft: delete range [%d, %d] from the head of [%d, %d]: %w", lo, hi, first, last, err)
		}
		s.counters.purges.Add(1)
	case hi >= last:
		if _, err := s.log.Truncate(lo); err != nil {
			return false, fmt.Errorf("hashicorpraft: delete range [%d, %d] from the tail of [%d, %d]: %w", lo, hi, first, last, err)
		}
		s.counters.truncates.Add(1)
	default:
		return false, &RangeError{Min: lo, Max: hi, First: first, Last: last}
	}
	return true, nil
}

// IsMonotonic reports true: a Store holds consecutive indexes only, so
// hashicorp/raft empties it with DeleteRange after restoring a snapshot
// instead of leaving a gap.
func (s *Store) IsMonotonic() bool { return true }
