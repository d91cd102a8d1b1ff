// Package wal is a chunked write-ahead log of records of a caller's type,
// with group commit, an asynchronous flush worker with callbacks, and
// recovery that tells a torn write from corruption.
//
// It knows records and chunks, not Raft: a caller supplies a codec.Codec for
// its record type and a StateMachine that replays records on Open and
// produces the checkpoint that starts each chunk. Append buffers a record
// and returns its Position; Flush hands the buffer to the worker, which
// writes it, fsyncs once for every flush waiting meanwhile, and calls the
// callbacks in order; Load reads a record back with one ReadAt.
//
// The on-disk format and the recovery rules are in format.go and
// docs/format.md. In short: chunk files named by their global offset, each
// starting with a header and a checkpoint; records framed with length, kind
// and CRC-32C; a synced marker at the start of every write batch stating how
// far the previous fsync reached, so that recovery cuts only what was never
// durable and refuses to open over damage to what was.
package wal
