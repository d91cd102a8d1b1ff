// Package etcdraft runs etcd's raft (go.etcd.io/raft/v3, v3.6) on
// raftlog: a Storage on one directory is the node's raft.Storage and the
// place its Ready loop persists to.
//
//	st, err := etcdraft.Open(dir, raftlog.Config{})
//	rn, err := raft.NewRawNode(&raft.Config{ID: id, Storage: st, Applied: applied, ...})
//	for each Ready rd:
//		st.Save(rd.HardState, rd.Entries, rd.Snapshot) // durable when rd.MustSync
//		send rd.Messages; apply rd.CommittedEntries; rn.Advance(rd)
//	st.CreateSnapshot(applied, &confState, data); st.Compact(i) // now and then
//
// # What the engine gets
//
//   - The raft.Storage contract as MemoryStorage keeps it: a new Storage
//     has FirstIndex 1, LastIndex 0 and Term(0) = 0, so a RawNode can
//     Bootstrap on it. Entries(lo, hi, maxSize) counts sizes as etcd does
//     and returns at least one entry; below FirstIndex it returns
//     raft.ErrCompacted, past LastIndex raft.ErrUnavailable (the
//     sentinels themselves: the engine compares them with ==). Term(i)
//     reads the id from raftlog's in-memory index, never a payload, and
//     answers for FirstIndex()-1, the compaction point, from the id
//     raftlog keeps for it. Snapshot is never temporarily unavailable.
//   - Save persists a Ready's term and vote, snapshot, entries and commit
//     index, in that order, and a snapshot raises the commit index with
//     it, so whatever prefix a crash keeps, etcd raft restarts from it (a
//     commit index within the snapshot and the entries, no entry of a
//     term above the saved one); it waits for
//     an fsync only when raft.MustSync says so (a new term, vote or
//     entries) or a snapshot was applied, and otherwise hands the records
//     to the flush worker. Entries that start at or before the last index
//     replace the conflicting tail (a raftlog truncate). A snapshot
//     replaces every entry, and its metadata (index, term, ConfState) and
//     data are kept, so a restarted node resumes from it: InitialState
//     returns its ConfState, Snapshot returns it whole.
//   - The vote is a Vote (term, node) in etcd's order: a node may raise
//     its term with no vote and vote later in that term, never change a
//     vote within a term, never go back a term. raftlog refuses anything
//     else (raftlog.ErrVoteReversal) before writing it. The commit index
//     is saved as raftlog's commit point.
//   - A Save refused part way (entries leaving a gap after a new term,
//     say) makes what it wrote durable before returning the error, as a
//     crash could have kept it, so a retry finds it on disk; an
//     out-of-date snapshot is refused before anything is written.
//   - CreateSnapshot records a snapshot of your state machine, Compact
//     purges the entries it covers (never past it), and chunk files
//     holding only purged entries are deleted. Both first raise the saved
//     commit index to their index if it is below (an application may
//     apply committed entries before the Save that commits them returns,
//     as etcd's servers do), so raft restarts with the snapshot applied.
//
// The snapshot's data lives in the log's state, which every chunk file
// repeats: keep it small, as etcd's own servers do by snapshotting a
// reference to state kept elsewhere.
//
// # Proven by a live cluster
//
// The package's tests drive a 3-node cluster of RawNodes through a small
// in-process message router, each node's Storage in its own directory on
// disk, through thousands of commands while restarting followers and
// leaders, compacting, sending snapshots to followers that fell behind,
// and replacing isolated leaders' uncommitted tails; every node ends with
// exactly the committed commands.
package etcdraft
