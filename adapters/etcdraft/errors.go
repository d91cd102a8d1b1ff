package etcdraft

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is; the typed errors below match them.
var (
	// ErrForeignLog: Open of a directory whose log was not written by a
	// Storage (it has entries and no compaction point).
	ErrForeignLog = errors.New("etcdraft: not a log written by etcdraft.Storage")
	// ErrCompactBeyondSnapshot: Compact past the latest snapshot
	// (*CompactError).
	ErrCompactBeyondSnapshot = errors.New("etcdraft: compaction past the latest snapshot")
)

// CompactError: Compact(Index) with the latest snapshot at Snapshot <
// Index. Nothing was removed.
type CompactError struct {
	Index, Snapshot uint64
}

// Error describes the failure with the values it carries.
func (e *CompactError) Error() string {
	return fmt.Sprintf("etcdraft: compact through %d: the latest snapshot is at %d, so entries after it would be lost", e.Index, e.Snapshot)
}

// Is makes errors.Is(err, ErrCompactBeyondSnapshot) true.
func (e *CompactError) Is(target error) bool { return target == ErrCompactBeyondSnapshot }
