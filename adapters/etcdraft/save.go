package etcdraft

import (
	"errors"
	"fmt"

	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Save persists what a Ready asks to, in this order: the term and vote,
// the snapshot (which replaces every entry and raises the commit index to
// it in the same record), the entries (replacing a conflicting tail), then
// the commit index. A crash keeps a prefix of these records, and every
// prefix is a state etcd raft restarts from: the commit index within
// [snapshot index, last index], and no entry or snapshot of a term above
// the saved term. It returns once they are durable when raft.MustSync
// says they must be (a new term, vote or entries) or a snapshot was
// applied; otherwise it hands them to the flush worker and returns at
// once. Send the Ready's messages only after Save returns nil, then
// Advance.
//
// Errors: raft.ErrSnapOutOfDate for a snapshot not newer than the
// current one (refused before anything is written); an error matching
// raftlog.ErrNonConsecutive for entries leaving a gap after the last
// index; raftlog.ErrVoteReversal for a HardState whose term or vote goes
// back; raftlog.ErrLogIDReversal for a commit index going back; the log's
// error (raftlog.ErrPoisoned, ...) for a failed write or fsync, and from
// then on for every Save, checked first: a Save repeating the failed Ready
// would otherwise find its writes, which never became durable, in memory
// and nothing left to do. A Save refused after it wrote part of the Ready
// (a new term and vote, then entries with a gap) makes that part durable
// before it returns the error, as a crash could have kept it: a retry of
// the same Ready, which compares with what the Storage holds, then finds
// it on disk.
func (s *Storage) Save(hs pb.HardState, entries []pb.Entry, snap pb.Snapshot) error {
	s.counters.saves.Add(1)
	wrote, sync, err := s.save(hs, entries, snap)
	switch {
	case err != nil:
		if serr := s.sync(); serr != nil && !errors.Is(err, serr) {
			return errors.Join(err, serr)
		}
		return err
	case sync:
		return s.sync()
	case wrote:
		return s.log.Flush(false, nil)
	}
	return nil
}

func (s *Storage) save(hs pb.HardState, entries []pb.Entry, snap pb.Snapshot) (wrote, sync bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A poisoned log may hold, in memory, writes that never became
	// durable: comparing with it would find nothing to do and return nil.
	if err := s.live(); err != nil {
		return false, false, fmt.Errorf("etcdraft: save: %w", err)
	}
	if !raft.IsEmptySnap(snap) {
		if err := s.snapshotNewer(snap.Metadata.Index, "apply"); err != nil {
			return false, false, err
		}
	}
	prev := hardState(s.log.State())
	if !raft.IsEmptyHardState(hs) {
		w, err := s.saveVote(hs, prev)
		if err != nil {
			return false, false, err
		}
		wrote = w
	}
	if !raft.IsEmptySnap(snap) {
		if err := s.applySnapshot(snap); err != nil {
			return false, false, err
		}
		wrote, sync = true, true
	}
	if len(entries) > 0 {
		if err := s.appendEntries(entries); err != nil {
			return false, false, err
		}
		wrote = true
	}
	if !raft.IsEmptyHardState(hs) {
		w, err := s.saveCommit(hs)
		if err != nil {
			return false, false, err
		}
		wrote = wrote || w
	}
	return wrote, sync || raft.MustSync(hs, prev, len(entries)), nil
}

// applySnapshot replaces the log with the snapshot: no entry is left, the
// snapshot's last entry becomes the compaction point, and the snapshot
// (metadata and data) is kept for Snapshot and InitialState. The commit
// index rises to the snapshot's index in the same record, if it is below:
// etcd raft refuses to start with a commit index below its snapshot, and a
// crash may keep this record without the commit record that follows it.
func (s *Storage) applySnapshot(snap pb.Snapshot) error {
	st := s.log.State()
	id := raftlog.Some(raftlog.LogID{Term: snap.Metadata.Term, Index: snap.Metadata.Index})
	st.Last, st.Purged, st.UserData = id, id, raftlog.Some(snap)
	if st.Committed.Value().Index < snap.Metadata.Index {
		st.Committed = id
	}
	if _, err := s.log.UpdateState(st); err != nil {
		return fmt.Errorf("etcdraft: apply snapshot at %d: %w", snap.Metadata.Index, err)
	}
	s.counters.snapshots.Add(1)
	return nil
}

// snapshotNewer refuses a snapshot at index i (to apply or to create, as
// the verb says) that is not above the current one.
func (s *Storage) snapshotNewer(i uint64, verb string) error {
	if cur := s.log.State().UserData.Value().Metadata.Index; i <= cur {
		return fmt.Errorf("etcdraft: %s snapshot at %d, have one at %d: %w", verb, i, cur, raft.ErrSnapOutOfDate)
	}
	return nil
}

// raiseCommit saves id as the commit index if the saved one is below it.
// A snapshot or a compaction through id says the application applied the
// entries up to it, so they are committed, and etcd raft refuses to
// restart with a commit index below its first index or below the index it
// is told was applied. Saved before the snapshot or the purge, so that a
// crash between the two keeps a state it restarts from.
func (s *Storage) raiseCommit(id raftlog.LogID) error {
	if s.log.State().Committed.Value().Index >= id.Index {
		return nil
	}
	if _, err := s.log.Commit(id); err != nil {
		return fmt.Errorf("etcdraft: raise the commit index to %d: %w", id.Index, err)
	}
	return nil
}

// appendEntries appends entries, first removing the entries from the first
// one's index on when the log already has that index (a conflicting tail
// that the leader overwrites). Entries at or before the compaction point
// are skipped, as MemoryStorage does.
func (s *Storage) appendEntries(entries []pb.Entry) error {
	compacted, last := s.bounds()
	if skip := compacted + 1; entries[0].Index < skip {
		if entries[len(entries)-1].Index < skip {
			return nil
		}
		entries = entries[skip-entries[0].Index:]
	}
	first := entries[0].Index
	if first <= last {
		if _, err := s.log.Truncate(first); err != nil {
			return fmt.Errorf("etcdraft: replace entries from %d: %w", first, err)
		}
		s.counters.truncates.Add(1)
	}
	batch := make([]raftlog.Entry[raftlog.LogID, entry], len(entries))
	for i, e := range entries {
		batch[i] = raftlog.Entry[raftlog.LogID, entry]{
			ID:      raftlog.LogID{Term: e.Term, Index: e.Index},
			Payload: entry{typ: e.Type, data: e.Data},
		}
	}
	if _, err := s.log.Append(batch...); err != nil {
		return fmt.Errorf("etcdraft: append entries [%d, %d]: %w", first, entries[len(entries)-1].Index, err)
	}
	s.counters.appended.Add(uint64(len(entries)))
	return nil
}

// saveVote saves hs's term and vote if they changed since prev.
func (s *Storage) saveVote(hs, prev pb.HardState) (bool, error) {
	if hs.Term == prev.Term && hs.Vote == prev.Vote {
		return false, nil
	}
	if _, err := s.log.SaveVote(Vote{Term: hs.Term, Node: hs.Vote}); err != nil {
		return false, fmt.Errorf("etcdraft: save hard state %v: %w", hs, err)
	}
	return true, nil
}

// saveCommit saves hs's commit index, as the log id of the committed
// entry, if it differs from the saved one (a snapshot may have raised that
// already).
func (s *Storage) saveCommit(hs pb.HardState) (bool, error) {
	cur := hardState(s.log.State()).Commit
	if hs.Commit == cur {
		return false, nil
	}
	id, err := s.log.LogIDAt(hs.Commit)
	if err == nil {
		_, err = s.log.Commit(id)
	}
	if err != nil {
		return false, fmt.Errorf("etcdraft: save commit index %d (was %d): %w", hs.Commit, cur, err)
	}
	return true, nil
}

// CreateSnapshot records a snapshot of the state machine as of applied
// index i (with the ConfState then, or the current one when cs is nil) and
// returns once it is durable. The Storage keeps the data with the
// metadata, in the log's state, which every chunk file repeats: keep it
// small (etcd's own servers keep the bulk of their state elsewhere and
// snapshot a reference to it). An application may apply committed entries
// before the Save of the HardState that commits them returns (etcd's
// servers do): the saved commit index is then raised to i first, so that
// raft restarts with the snapshot applied. Errors: the log's error
// (raftlog.ErrPoisoned, ...) once a write or fsync failed, checked first,
// since a failed CreateSnapshot leaves its snapshot in memory;
// raft.ErrSnapOutOfDate when i is not above the current snapshot;
// raft.ErrUnavailable when i is past the last index.
func (s *Storage) CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error) {
	snap, err := s.createSnapshot(i, cs, data)
	if err != nil {
		return pb.Snapshot{}, err
	}
	return snap, s.sync()
}

func (s *Storage) createSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Before the comparisons: a poisoned log's state may hold a
	// snapshot that never became durable.
	if err := s.live(); err != nil {
		return pb.Snapshot{}, fmt.Errorf("etcdraft: create snapshot at %d: %w", i, err)
	}
	if err := s.snapshotNewer(i, "create"); err != nil {
		return pb.Snapshot{}, err
	}
	snap := s.log.State().UserData.Value()
	term, err := s.Term(i)
	if err != nil {
		return pb.Snapshot{}, fmt.Errorf("etcdraft: create snapshot at %d: %w", i, err)
	}
	if err := s.raiseCommit(raftlog.LogID{Term: term, Index: i}); err != nil {
		return pb.Snapshot{}, err
	}
	snap.Metadata.Index, snap.Metadata.Term, snap.Data = i, term, data
	if cs != nil {
		snap.Metadata.ConfState = *cs
	}
	if _, err := s.log.SaveUserData(raftlog.Some(snap)); err != nil {
		return pb.Snapshot{}, fmt.Errorf("etcdraft: create snapshot at %d: %w", i, err)
	}
	return snap, nil
}

// Compact removes the entries up to and including index i, which becomes
// the compaction point (Term(i) still answers), and returns once that is
// durable; chunk files holding only removed entries are then deleted.
// Entries after the latest snapshot cannot be compacted (raft would have
// neither them nor a snapshot to send): i must not exceed the snapshot's
// index (*CompactError, matching ErrCompactBeyondSnapshot). At or below
// the compaction point it returns raft.ErrCompacted; but once a write or
// fsync failed, the log's error (raftlog.ErrPoisoned, ...), checked first,
// since a failed Compact leaves its compaction point in memory.
func (s *Storage) Compact(i uint64) error {
	if err := s.compact(i); err != nil {
		return err
	}
	return s.sync()
}

func (s *Storage) compact(i uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Before the comparisons: a poisoned log's state may hold a
	// compaction that never became durable.
	if err := s.live(); err != nil {
		return fmt.Errorf("etcdraft: compact through %d: %w", i, err)
	}
	compacted, _ := s.bounds()
	if i <= compacted {
		return raft.ErrCompacted
	}
	if snap := s.log.State().UserData.Value().Metadata.Index; i > snap {
		return &CompactError{Index: i, Snapshot: snap}
	}
	id, err := s.log.LogIDAt(i)
	if err == nil {
		err = s.raiseCommit(id) // a snapshot above the saved commit index, taken before this version raised it
	}
	if err == nil {
		_, err = s.log.Purge(id)
	}
	if err != nil {
		return fmt.Errorf("etcdraft: compact through %d: %w", i, err)
	}
	s.counters.compactions.Add(1)
	return nil
}

// sync waits until everything written so far is durable. On a closed or
// poisoned log it returns the error at once and counts no sync: none was
// waited for.
func (s *Storage) sync() error {
	if err := s.live(); err != nil {
		return err
	}
	s.counters.syncs.Add(1)
	return s.log.Sync()
}
