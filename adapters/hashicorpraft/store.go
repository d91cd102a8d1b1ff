package hashicorpraft

import (
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/raftlog"
)

// Store is a raft.LogStore, raft.MonotonicLogStore and raft.StableStore on
// one raftlog directory. Pass it to raft.NewRaft as both the log store and
// the stable store.
//
// Every write (StoreLog, StoreLogs, DeleteRange, Set, SetUint64) is durable
// when it returns nil: it buffers its records and then waits for one fsync,
// which concurrent writers share (group commit). Reads never wait for an
// fsync. A Store is safe for concurrent use.
type Store struct {
	log *raftlog.Log[raftlog.LogID, entry, raftlog.Vote, stableMap]

	// mu serialises the writes that read the log's state before writing
	// (StoreLogs, DeleteRange, Set), so that what they read still holds
	// when they write. Syncs run outside it, so that writers share them.
	mu sync.Mutex

	// closed is set by Close: reads from the log's in-memory state would
	// otherwise still answer.
	closed atomic.Bool

	counters counters
}

// Counters counts what a Store did since it was opened.
type Counters struct {
	// Stored counts entries stored; StoreCalls the StoreLog(s) calls.
	Stored, StoreCalls uint64
	// Purges counts head deletions (DeleteRange from the first index),
	// Truncates tail deletions (DeleteRange to the last index), and
	// Rebases the StoreLogs calls on an empty log that moved its start
	// (after a snapshot restore emptied it).
	Purges, Truncates, Rebases uint64
	// StableSets counts Set and SetUint64 calls.
	StableSets uint64
	// Syncs counts the durable waits (one per write call); the fsyncs
	// that served them are in Stat().WAL.Flush.Fsyncs.
	Syncs uint64
}

type counters struct {
	stored, storeCalls, purges, truncates, rebases, stableSets, syncs atomic.Uint64
}

// Open opens the Store in dir, creating it if needed, with raftlog's
// configuration cfg (its zero value is a sensible default). It takes the
// directory's lock and recovers the log (see raftlog.OpenWith for the
// errors).
func Open(dir string, cfg raftlog.Config) (*Store, error) {
	l, err := raftlog.OpenWith(dir, logTypes, cfg)
	if err != nil {
		return nil, err
	}
	return &Store{log: l}, nil
}

// Close flushes, syncs and closes the log and releases the directory's
// lock. Every later call returns an error matching raftlog.ErrClosed.
func (s *Store) Close() error {
	s.closed.Store(true)
	return s.log.Close()
}

// live returns raftlog.ErrClosed after Close, the error that poisoned the
// log after a failed write or fsync, or nil.
func (s *Store) live() error {
	if s.closed.Load() {
		return raftlog.ErrClosed
	}
	return s.log.Err()
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.log.Dir() }

// Counters returns what the store did since it was opened.
func (s *Store) Counters() Counters {
	c := &s.counters
	return Counters{
		Stored: c.stored.Load(), StoreCalls: c.storeCalls.Load(),
		Purges: c.purges.Load(), Truncates: c.truncates.Load(), Rebases: c.rebases.Load(),
		StableSets: c.stableSets.Load(), Syncs: c.syncs.Load(),
	}
}

// Stat returns the underlying log's shape and counters: chunk files,
// entries held, cache and flush metrics (fsyncs, group-commit factor).
func (s *Store) Stat() raftlog.Stat[raftlog.LogID] { return s.log.Stat() }

// sync waits until everything written so far is durable.
func (s *Store) sync() error {
	s.counters.syncs.Add(1)
	return s.log.Sync()
}

var (
	_ raft.LogStore          = (*Store)(nil)
	_ raft.MonotonicLogStore = (*Store)(nil)
	_ raft.StableStore       = (*Store)(nil)
)
