// Package raftlog stores a Raft log: its entries, the vote, the commit and
// purge points and the caller's own data, in a chunked write-ahead log (package
// wal) on any fs.FS.
//
//	l, err := raftlog.Open(dir, raftlog.Config{})
//	l.SaveVote(raftlog.Vote{Term: 1, NodeID: 1})
//	l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 1}, Payload: p})
//	l.Commit(raftlog.LogID{Term: 1, Index: 1})
//	err = l.Sync() // or l.Flush(true, callback)
//
// Open uses the default types (LogID, []byte payloads, Vote, []byte user
// data); OpenWith takes a Types holding a codec.Codec and the ordering
// functions for the caller's own.
//
// # Durability
//
// Writers buffer a record and return without I/O. Sync returning nil, or a
// Flush(true, cb) callback receiving nil, means every operation made before
// it survives any crash of the process or the machine. Without a successful
// sync anything may be lost, but only as a suffix: after a crash the log is
// the state after some prefix of the operations made (an Append of several
// entries counting as one operation per entry). A failed write or fsync
// poisons the log: the callbacks waiting on it and every later write, flush
// and sync return that error (matching ErrPoisoned) until the log is
// reopened; no fsync is retried. A write fails this way before any Raft
// rule is checked, since the state in memory includes the writes that
// failed. Reads (Read, State, Stat) are not refused: they answer from the
// state in memory, which then includes those writes that never became
// durable, so a caller that goes on after an error checks Err first.
// Chunk files of purged entries are deleted only once the purge is
// durable.
//
// # Rules
//
// Every operation is checked against the Raft rules before anything is
// written: a vote may not go back, an append must follow the last id, a
// commit may not go back, a truncate or a purge must name what the log
// holds. UpdateState, which replaces the whole state, checks only that the
// state holds together (its purge point at or below its last id): the vote
// and commit point it sets may go back. A rejected operation returns a
// typed error (see the Err* sentinels and *Error types, for errors.Is and
// errors.As) and writes nothing.
//
// # Concurrency
//
// A Log is safe for concurrent use. Writers are serialised; readers (Read,
// State, Stat, OnDiskSize) run in parallel with them and with each other and
// never wait for an fsync: a read is served from the payload cache, or with
// one positional read of its record, whose checksum is verified. Flush
// callbacks run on the flush worker's goroutine, in order; they may write
// but must not wait for the worker (Sync, WaitIdle, Dump, Close).
//
// # Printing, JSON and logging
//
// LogID, Vote, Option, State and Stat (and wal.Stat inside it) print in
// Go's %+v style: field names and nested braces, an absent Option as <none>
// and a present one as its value, byte slices and strings quoted:
//
//	{Vote:{Term:1 NodeID:1 Committed:true} Last:{Term:1 Index:2} Committed:{Term:1 Index:2} Purged:<none> UserData:<none>}
//
// They marshal to JSON with snake_case keys, an absent Option as null:
//
//	{"vote":{"term":1,"node_id":1,"committed":true},"last":{"term":1,"index":2},"committed":{"term":1,"index":2},"purged":null,"user_data":null}
//
// and read back from it (Option, State and Stat implement
// json.Unmarshaler or have tags). As slog.LogValuer they log as groups with
// the JSON keys.
//
// # Memory
//
// The index costs about 4 bytes per entry (positions in fixed blocks, a
// size kept only for an entry whose record the next entry's does not
// follow, log ids as runs when Types.WithIndex is set). The payload cache is bounded by
// Config.CacheMaxItems and CacheMaxBytes; an entry may leave it as soon as
// its record is durable, so memory stays bounded under any run of appends.
package raftlog
