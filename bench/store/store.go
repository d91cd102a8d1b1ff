// Package store is the one small interface every log store under benchmark is
// driven through, so that each workload runs the same code against raftlog and
// its peers.
//
// An adapter uses its store the way the store's own documentation recommends
// for durability: Append returns only once the entries survive a crash.
package store

import (
	"errors"
	"fmt"
)

// ErrUnsupported is returned (wrapped) by an adapter for an operation its store
// does not have, such as a random read of etcd's WAL, which is replayed only.
var ErrUnsupported = errors.New("not supported by this store")

// Unsupported returns an error matching ErrUnsupported that says which store
// lacks which operation and why.
func Unsupported(store, op, why string) error {
	return fmt.Errorf("%s: %s: %w (%s)", store, op, ErrUnsupported, why)
}

// Entry is one log entry: its index and its payload. Every entry the harness
// writes has term 1.
type Entry struct {
	Index   uint64
	Payload []byte
}

// Store is a log store opened on one directory.
//
// The harness calls a Store from one goroutine at a time, except that
// concurrent workloads may call AppendNoSync and Sync of a GroupCommitter from
// several goroutines (Append is serialised by the caller).
type Store interface {
	// Append appends entries, whose indexes are consecutive and follow the
	// last index held (or start at 1 in an empty store), and returns once
	// they are durable: after a nil return they survive a crash of the
	// process or the machine.
	Append(entries []Entry) error
	// Read returns the payload of the entry at index. The caller does not
	// modify it. A store without random reads returns ErrUnsupported.
	Read(index uint64) ([]byte, error)
	// PurgeHead durably removes every entry at or below index.
	PurgeHead(index uint64) error
	// TruncateTail durably removes every entry at or above index, so that
	// the next Append starts at index.
	TruncateTail(index uint64) error
	// Close releases the store; it flushes whatever it keeps buffered.
	Close() error
}

// Scanner is a Store with a sequential read of its own, cheaper than one Read
// per index. Scan calls fn for each entry with index in [from, to), in order,
// and stops at fn's first error, which it returns. The payload passed to fn is
// valid only during the call.
type Scanner interface {
	Scan(from, to uint64, fn func(index uint64, payload []byte) error) error
}

// GroupCommitter is a Store whose writers can share one fsync: AppendNoSync
// buffers entries in index order without waiting for the disk, and Sync
// returns once everything appended before it is durable, one fsync serving
// every Sync waiting meanwhile. Both may be called from several goroutines.
type GroupCommitter interface {
	AppendNoSync(entries []Entry) error
	Sync() error
}

// Replayer is a store whose only read is a replay of the whole log at open
// (etcd's WAL). Replayed reports how many entries the open replayed.
type Replayer interface {
	Replayed() uint64
}

// Counter is a store that counts its own work. Counters returns a snapshot of
// named counters (for raftlog: fsyncs, index bytes, cache hits), compared by
// the harness before and after a timed section.
type Counter interface {
	Counters() map[string]float64
}

// Opener opens (creating if needed) the store kept in dir, which may not exist
// yet. Each adapter package exports one.
type Opener func(dir string) (Store, error)
