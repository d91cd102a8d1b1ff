package etcdraft

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// Storage is etcd raft's raft.Storage on one raftlog directory, and the
// place a Ready loop persists to (Save). It holds the entries after the
// latest snapshot (or compaction point), the HardState, and the latest
// snapshot, metadata and data.
//
// Reads never wait for an fsync; writes (Save, CreateSnapshot, Compact)
// are serialised. A Storage is safe for concurrent use.
type Storage struct {
	log *raftlog.Log[raftlog.LogID, entry, Vote, pb.Snapshot]

	// mu serialises writers, which read the log's state before writing.
	mu sync.Mutex

	// closed is set by Close: reads from the log's in-memory state would
	// otherwise still answer.
	closed atomic.Bool

	counters counters
}

// Counters counts what a Storage did since it was opened.
type Counters struct {
	// Saves counts Save calls; Syncs those (and the CreateSnapshot and
	// Compact calls) that waited for an fsync.
	Saves, Syncs uint64
	// Appended counts entries appended; Truncates the Saves whose entries
	// replaced a conflicting tail.
	Appended, Truncates uint64
	// Snapshots counts snapshots applied by Save; Compactions the
	// Compact calls that purged entries.
	Snapshots, Compactions uint64
}

type counters struct {
	saves, syncs, appended, truncates, snapshots, compactions atomic.Uint64
}

// Open opens the Storage in dir, creating it if needed, with raftlog's
// configuration cfg (its zero value is a sensible default). A new Storage
// is empty as etcd's MemoryStorage is: FirstIndex 1, LastIndex 0, Term(0)
// 0, so a RawNode can Bootstrap on it. See raftlog.OpenWith for the errors;
// a directory whose log was not written by a Storage is an error matching
// ErrForeignLog.
func Open(dir string, cfg raftlog.Config) (*Storage, error) {
	l, err := raftlog.OpenWith(dir, logTypes, cfg)
	if err != nil {
		return nil, err
	}
	s := &Storage{log: l}
	st := l.State()
	switch {
	case st.Purged.IsSome():
		return s, nil
	case st.Last.IsSome():
		l.Close()
		return nil, fmt.Errorf("%w: %s holds entries up to %v and no compaction point", ErrForeignLog, dir, st.Last)
	}
	// The dummy entry at index 0, term 0, as MemoryStorage starts with:
	// the compaction point before the first entry.
	if _, err := l.Purge(raftlog.LogID{}); err != nil {
		l.Close()
		return nil, err
	}
	return s, nil
}

// Close syncs and closes the log and releases the directory's lock.
func (s *Storage) Close() error {
	s.closed.Store(true)
	return s.log.Close()
}

// live returns raftlog.ErrClosed after Close, the error that poisoned the
// log after a failed write or fsync, or nil.
func (s *Storage) live() error {
	if s.closed.Load() {
		return raftlog.ErrClosed
	}
	return s.log.Err()
}

// Counters returns what the Storage did since it was opened.
func (s *Storage) Counters() Counters {
	c := &s.counters
	return Counters{
		Saves: c.saves.Load(), Syncs: c.syncs.Load(), Appended: c.appended.Load(),
		Truncates: c.truncates.Load(), Snapshots: c.snapshots.Load(), Compactions: c.compactions.Load(),
	}
}

// Stat returns the underlying log's shape and counters: chunk files,
// entries held, cache and flush metrics.
func (s *Storage) Stat() raftlog.Stat[raftlog.LogID] { return s.log.Stat() }

// InitialState returns the saved HardState (term, vote and commit index,
// the latter at least the latest snapshot's index) and the ConfState of
// the latest snapshot.
func (s *Storage) InitialState() (pb.HardState, pb.ConfState, error) {
	if err := s.live(); err != nil {
		return pb.HardState{}, pb.ConfState{}, err
	}
	st := s.log.State()
	hs := hardState(st)
	// A log written before CreateSnapshot raised the commit index may
	// hold a snapshot above it; its entries were applied, so committed.
	hs.Commit = max(hs.Commit, st.UserData.Value().Metadata.Index)
	return hs, st.UserData.Value().Metadata.ConfState, nil
}

// hardState is the HardState a log state holds.
func hardState(st raftlog.State[raftlog.LogID, Vote, pb.Snapshot]) pb.HardState {
	v := st.Vote.Value()
	return pb.HardState{Term: v.Term, Vote: v.Node, Commit: st.Committed.Value().Index}
}

// bounds returns the compaction point (the index of the dummy entry whose
// term Term still answers) and the last index.
func (s *Storage) bounds() (compacted, last uint64) {
	st := s.log.State()
	return st.Purged.Value().Index, st.Last.Value().Index
}

// FirstIndex returns the index of the first entry that may be held: the one
// after the latest compaction point.
func (s *Storage) FirstIndex() (uint64, error) {
	compacted, _ := s.bounds()
	return compacted + 1, s.live()
}

// LastIndex returns the index of the last entry, or of the compaction point
// when no entry follows it.
func (s *Storage) LastIndex() (uint64, error) {
	_, last := s.bounds()
	return last, s.live()
}

// Term returns the term of entry i, for i in [FirstIndex()-1, LastIndex()],
// without reading its payload. Below that it returns raft.ErrCompacted,
// above raft.ErrUnavailable (etcd raft compares both with ==).
func (s *Storage) Term(i uint64) (uint64, error) {
	if err := s.live(); err != nil {
		return 0, err
	}
	compacted, last := s.bounds()
	switch {
	case i < compacted:
		return 0, raft.ErrCompacted
	case i > last:
		return 0, raft.ErrUnavailable
	}
	id, err := s.log.LogIDAt(i)
	if err != nil {
		return 0, rangeError(err, fmt.Sprintf("term of entry %d", i))
	}
	return id.Term, nil
}

// Entries returns the entries [lo, hi), as many as fit in maxSize bytes
// (each counted as etcd does, by its protobuf size) but at least one.
// Below FirstIndex it returns raft.ErrCompacted; past LastIndex,
// raft.ErrUnavailable. A damaged record returns an error matching
// raftlog.ErrCorrupt that names the index, the chunk file and the offset.
// The entries' data may be shared with the cache: it must not be
// modified, as etcd raft says of every entry Storage returns.
func (s *Storage) Entries(lo, hi, maxSize uint64) ([]pb.Entry, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	compacted, last := s.bounds()
	switch {
	case lo <= compacted:
		return nil, raft.ErrCompacted
	case hi > last+1:
		return nil, raft.ErrUnavailable
	case lo >= hi:
		return nil, nil
	}
	var out []pb.Entry
	size := uint64(0)
	for e, err := range s.log.Read(lo, hi) {
		if err != nil {
			return nil, rangeError(err, fmt.Sprintf("entries [%d, %d)", lo, hi))
		}
		ent := pb.Entry{Term: e.ID.Term, Index: e.ID.Index, Type: e.Payload.typ, Data: e.Payload.data}
		size += uint64(ent.Size())
		if len(out) > 0 && size > maxSize {
			break
		}
		out = append(out, ent)
	}
	return out, nil
}

// rangeError maps raftlog's range errors to etcd raft's sentinels (the log
// moved under a reader: compacted or truncated meanwhile) and wraps the
// rest.
func rangeError(err error, what string) error {
	switch {
	case errors.Is(err, raftlog.ErrPurged):
		return raft.ErrCompacted
	case errors.Is(err, raftlog.ErrPastEnd):
		return raft.ErrUnavailable
	}
	return fmt.Errorf("etcdraft: %s: %w", what, err)
}

// Snapshot returns the latest snapshot, or an empty one when none was
// saved. It is never temporarily unavailable: the snapshot is stored
// whole.
func (s *Storage) Snapshot() (pb.Snapshot, error) {
	return s.log.State().UserData.Value(), s.live()
}

var _ raft.Storage = (*Storage)(nil)
