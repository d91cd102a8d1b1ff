// Package hashicorpraft runs hashicorp/raft (v1.7) on raftlog: one Store on
// one directory is the node's raft.LogStore (and raft.MonotonicLogStore)
// and its raft.StableStore.
//
//	store, err := hashicorpraft.Open(dir, raftlog.Config{})
//	r, err := raft.NewRaft(conf, fsm, store, store, snaps, trans)
//	...
//	r.Shutdown().Error()
//	store.Close()
//
// # What the engine gets
//
//   - StoreLog and StoreLogs return once the entries are durable: one
//     fsync per call, shared with concurrent writers by group commit.
//     Every field of raft.Log comes back from GetLog: index, term, type,
//     data, extensions and appended-at (to the nanosecond, with its zone
//     offset; not its monotonic clock reading or zone name). A missing
//     index returns raft.ErrLogNotFound itself, as the engine compares it
//     with ==.
//   - DeleteRange(min, max) maps the engine's two uses to raftlog's
//     operations: from the first index (compaction after a snapshot) it is
//     a purge, and chunk files holding only purged entries are deleted;
//     to the last index (a follower's tail that conflicts with the
//     leader's) it is a truncate. A range reaching both ends empties the
//     log, as the engine does after restoring a snapshot on a monotonic
//     store; the next StoreLogs then starts after the snapshot. A range
//     strictly inside the log is a *RangeError. Each returns once durable.
//   - The store is monotonic: it refuses a gap between entries, so the
//     engine empties it after a snapshot restore instead of leaving one.
//   - Set, Get, SetUint64 and GetUint64 keep every key (the engine's
//     CurrentTerm, LastVoteTerm and LastVoteCand, and any of yours) in one
//     small map saved as the log's user data: a Set rewrites the map in
//     one record and returns once it is durable. A key never set returns
//     nil (or 0) and no error, as the StableStore contract says and
//     raft-wal does; raft-boltdb returns an error reading "not found",
//     which the engine also accepts. SetUint64 stores 8 bytes, big-endian,
//     in the same key space as Set.
//
// # Switching from raft-boltdb or raft-wal
//
// Migrate copies a stopped node's entries and stable keys from any
// raft.LogStore and raft.StableStore (raft-boltdb's BoltStore, raft-wal's
// WAL) into a new Store; point the node at the new directory once it
// returns nil. Keys of your own must be named (MigrateOptions.Keys,
// Uint64Keys): the StableStore interface cannot list them.
//
// # Proven by a live cluster
//
// The package's tests run a 3-node hashicorp/raft cluster (in-memory
// transport, each node's Store in its own directory on disk) through
// thousands of commands while restarting followers and leaders, taking
// snapshots, installing them on followers that fell behind, and
// overwriting isolated leaders' uncommitted tails; every node ends with
// exactly the committed commands. TestCompareStores (run with
// -compare.rounds N) measures the cluster's applies per second with
// raftlog, raft-wal and raft-boltdb as the log store.
package hashicorpraft
