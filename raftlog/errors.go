package raftlog

import (
	"errors"
	"fmt"

	"github.com/raftlog/raftlog/wal"
)

// Sentinels for errors.Is. Every typed error below matches one of them.
var (
	// ErrConfig: invalid Config or Types (*ConfigError).
	ErrConfig = wal.ErrConfig
	// ErrClosed: the log was closed.
	ErrClosed = wal.ErrClosed
	// ErrPoisoned: an earlier write or fsync failed; the log accepts no
	// more writes until reopened. The error also matches the cause.
	ErrPoisoned = wal.ErrPoisoned
	// ErrCorrupt: data known durable is damaged (*CorruptionError, or a
	// *wal.CorruptionError from Open).
	ErrCorrupt = wal.ErrCorrupt

	// ErrVoteReversal: a vote below (or incomparable with) the saved one
	// (*VoteReversalError).
	ErrVoteReversal = errors.New("raftlog: vote cannot be reversed")
	// ErrLogIDReversal: an append, commit or purge past the end whose id
	// sorts below the current one (*LogIDReversalError).
	ErrLogIDReversal = errors.New("raftlog: log id cannot be reversed")
	// ErrNonConsecutive: an append whose index does not follow the last
	// (*NonConsecutiveError).
	ErrNonConsecutive = errors.New("raftlog: log id is not consecutive")
	// ErrIndexNotFound: a truncate at an index whose predecessor is not in
	// the log (*IndexNotFoundError).
	ErrIndexNotFound = errors.New("raftlog: log index not found")
	// ErrPurgeMismatch: a purge id that differs from the entry at its index
	// (*PurgeMismatchError).
	ErrPurgeMismatch = errors.New("raftlog: purge id does not match the log")
	// ErrInvalidState: UpdateState with a state that breaks the log's
	// invariants (*InvalidStateError).
	ErrInvalidState = errors.New("raftlog: invalid state")
	// ErrIndexLimit: a log index of 2^64-1, which leaves no next index
	// (*IndexLimitError).
	ErrIndexLimit = errors.New("raftlog: log index at the limit")
	// ErrRange: a read with from > to (*RangeError).
	ErrRange = errors.New("raftlog: invalid range")
	// ErrPurged: a read of entries before the first one the log holds
	// (*RangeError).
	ErrPurged = errors.New("raftlog: entries purged")
	// ErrPastEnd: a read of entries after the last one (*RangeError).
	ErrPastEnd = errors.New("raftlog: read past the end of the log")
)

// ConfigError reports an invalid Config or Types field.
type ConfigError struct {
	Field  string
	Reason string
}

// Error describes the failure with the values it carries.
func (e *ConfigError) Error() string { return "raftlog: invalid config: " + e.Field + " " + e.Reason }

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// VoteReversalError: SaveVote with a vote that is not >= the saved one.
type VoteReversalError[V any] struct {
	Current   V
	Attempted V
}

// Error describes the failure with the values it carries.
func (e *VoteReversalError[V]) Error() string {
	return fmt.Sprintf("raftlog: vote cannot be reversed: current %v, attempted %v", e.Current, e.Attempted)
}

// Is makes errors.Is(err, ErrVoteReversal) true.
func (e *VoteReversalError[V]) Is(target error) bool { return target == ErrVoteReversal }

// LogIDReversalError: an append, commit or purge past the end whose id is
// below the current one. When says which ("append", "commit" or "purge").
type LogIDReversalError[L any] struct {
	When      string
	Current   L
	Attempted L
}

// Error describes the failure with the values it carries.
func (e *LogIDReversalError[L]) Error() string {
	return fmt.Sprintf("raftlog: log id cannot be reversed when %s: current %v, attempted %v", e.When, e.Current, e.Attempted)
}

// Is makes errors.Is(err, ErrLogIDReversal) true.
func (e *LogIDReversalError[L]) Is(target error) bool { return target == ErrLogIDReversal }

// NonConsecutiveError: an append whose index is not the last index plus one.
type NonConsecutiveError[L any] struct {
	Last      L
	Attempted L
}

// Error describes the failure with the values it carries.
func (e *NonConsecutiveError[L]) Error() string {
	return fmt.Sprintf("raftlog: log id is not consecutive when append: last %v, attempted %v", e.Last, e.Attempted)
}

// Is makes errors.Is(err, ErrNonConsecutive) true.
func (e *NonConsecutiveError[L]) Is(target error) bool { return target == ErrNonConsecutive }

// IndexNotFoundError: Truncate(At) needs the entry at At-1 (or At to be just
// after the purged point), and the log does not hold it.
type IndexNotFoundError struct {
	At     uint64 // the index passed to Truncate
	Reason string
}

// Error describes the failure with the values it carries.
func (e *IndexNotFoundError) Error() string {
	return fmt.Sprintf("raftlog: cannot truncate at index %d: %s", e.At, e.Reason)
}

// Is makes errors.Is(err, ErrIndexNotFound) true.
func (e *IndexNotFoundError) Is(target error) bool { return target == ErrIndexNotFound }

// PurgeMismatchError: Purge(Attempted) where the log holds a different id,
// Existing, at that index. Purging it would leave later entries of another
// term behind a purge point that never existed.
type PurgeMismatchError[L any] struct {
	Attempted L
	Existing  L
}

// Error describes the failure with the values it carries.
func (e *PurgeMismatchError[L]) Error() string {
	return fmt.Sprintf("raftlog: purge id %v does not match the log's entry %v at that index", e.Attempted, e.Existing)
}

// Is makes errors.Is(err, ErrPurgeMismatch) true.
func (e *PurgeMismatchError[L]) Is(target error) bool { return target == ErrPurgeMismatch }

// InvalidStateError: UpdateState with a state whose fields contradict each
// other.
type InvalidStateError struct{ Reason string }

// Error describes the failure with the values it carries.
func (e *InvalidStateError) Error() string { return "raftlog: invalid state: " + e.Reason }

// Is makes errors.Is(err, ErrInvalidState) true.
func (e *InvalidStateError) Is(target error) bool { return target == ErrInvalidState }

// RangeError: a read of [From, To) that the log cannot serve. First and End
// bound what it holds: entries [First, End).
type RangeError struct {
	From, To   uint64
	First, End uint64
	Err        error // ErrRange, ErrPurged or ErrPastEnd
}

// Error describes the failure with the values it carries.
func (e *RangeError) Error() string {
	return fmt.Sprintf("%v: read [%d, %d), the log holds [%d, %d)", e.Err, e.From, e.To, e.First, e.End)
}

// Unwrap returns the sentinel.
func (e *RangeError) Unwrap() error { return e.Err }

// CorruptionError: a damaged record where the log expected entry Index, or,
// from Open, damage that makes the entries from Index on unreadable (Index is
// one past the last entry replayed intact). A Raft node can refetch those
// entries from a peer. It matches ErrCorrupt and unwraps to the
// *wal.CorruptionError that names the chunk file and offset.
type CorruptionError struct {
	Index uint64
	Err   error
}

// Error describes the failure with the values it carries.
func (e *CorruptionError) Error() string {
	return fmt.Sprintf("raftlog: entries from index %d are unreadable: %v", e.Index, e.Err)
}

// Unwrap returns the WAL's error.
func (e *CorruptionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }

// IndexLimitError: an entry, purge or state at log index Index (2^64-1),
// after which no index is left.
type IndexLimitError struct{ Index uint64 }

// Error describes the failure with the values it carries.
func (e *IndexLimitError) Error() string {
	return fmt.Sprintf("raftlog: log index %d is at the limit: no index follows it", e.Index)
}

// Is makes errors.Is(err, ErrIndexLimit) true.
func (e *IndexLimitError) Is(target error) bool { return target == ErrIndexLimit }
