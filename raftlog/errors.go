package raftlog

import (
	"errors"
	"fmt"
	"strings"

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
	// ErrCorrupt: data known durable is damaged or missing
	// (*CorruptionError; Open's also unwraps to a *wal.CorruptionError,
	// *wal.GapError or *wal.MissingChunkError naming the files), or Open
	// refuses a log for what it finds before reading an entry
	// (*wal.InterruptedRepairError, *wal.StrayChunkError).
	ErrCorrupt = wal.ErrCorrupt
	// ErrGap: two chunk files do not meet (a *wal.GapError, under a
	// *CorruptionError). It also matches ErrCorrupt.
	ErrGap = wal.ErrGap
	// ErrMissingChunk: a chunk file the log needs is gone (a
	// *wal.MissingChunkError, under a *CorruptionError). It also matches
	// ErrCorrupt.
	ErrMissingChunk = wal.ErrMissingChunk
	// ErrVersion: a file of a format this code cannot read (a
	// *wal.VersionError).
	ErrVersion = wal.ErrVersion
	// ErrTornTail: in Strict recovery, the log ends with a write that a
	// crash cut short, which the default recovery would cut off.
	ErrTornTail = wal.ErrTornTail
	// ErrReadsDiffer: Open read a chunk file twice before changing it on
	// the strength of what it read (cutting what looked like a torn
	// write, removing a chunk, writing over what looked like zeros), and
	// the reads differed without an I/O error: the disk, or the path to
	// it, returned wrong bytes. Open did not make that change; called
	// again, it may succeed.
	ErrReadsDiffer = wal.ErrReadsDiffer
	// ErrRecordTooLarge: an entry, vote, state or user data whose
	// encoding is over Config.MaxRecordBytes (*RecordTooLargeError).
	ErrRecordTooLarge = wal.ErrRecordTooLarge
	// ErrInCallback: Sync, WaitIdle, Dump, Step or Close called from a flush
	// callback of the same log: they wait for the flush worker, which is
	// running that callback, so they fail at once instead.
	ErrInCallback = wal.ErrInCallback
	// ErrNoLog: Config.MustExist was set and the directory holds no log
	// (*NoLogError).
	ErrNoLog = errors.New("raftlog: no log in the directory")

	// ErrVoteReversal: a vote below (or incomparable with) the saved one
	// (*VoteReversalError).
	ErrVoteReversal = errors.New("raftlog: a vote cannot go back")
	// ErrLogIDReversal: an append, commit or purge past the end whose id
	// sorts below the current one (*LogIDReversalError).
	ErrLogIDReversal = errors.New("raftlog: a log id cannot go back")
	// ErrNonConsecutive: an append whose index does not follow the last
	// (*NonConsecutiveError).
	ErrNonConsecutive = errors.New("raftlog: entries must be appended at consecutive indexes")
	// ErrIndexNotFound: a truncate at an index whose predecessor is not in
	// the log (*IndexNotFoundError).
	ErrIndexNotFound = errors.New("raftlog: no such log index")
	// ErrPurgeMismatch: a purge id that differs from the entry at its index
	// (*PurgeMismatchError).
	ErrPurgeMismatch = errors.New("raftlog: the purge id does not match the log")
	// ErrInvalidState: UpdateState with a state that breaks the log's
	// invariants (*InvalidStateError).
	ErrInvalidState = errors.New("raftlog: invalid state")
	// ErrIndexLimit: a log index of 2^64-1, which leaves no next index
	// (*IndexLimitError).
	ErrIndexLimit = errors.New("raftlog: log index at the limit")
	// ErrRange: a read with from > to (*RangeError).
	ErrRange = errors.New("raftlog: invalid range")
	// ErrPurged: a read of entries that a purge removed (*RangeError).
	ErrPurged = errors.New("raftlog: entries purged")
	// ErrBeforeStart: a read of entries before the first one a log that
	// was never purged holds: they never existed (*RangeError).
	ErrBeforeStart = errors.New("raftlog: read before the start of the log")
	// ErrPastEnd: a read of entries after the last one (*RangeError).
	ErrPastEnd = errors.New("raftlog: read past the end of the log")
	// ErrChanged: an iteration of Read met entries that a concurrent
	// Truncate or Purge removed or replaced after it started
	// (*ChangedError). It never yields entries of two branches.
	ErrChanged = errors.New("raftlog: the entries being read were truncated or purged")
)

// ConfigError reports an invalid Config or Types field (Field is e.g.
// "ChunkMaxBytes" or "Types.Index"). It is wal's type: a bad field of
// either package gives the same *ConfigError to errors.As.
type ConfigError = wal.ConfigError

// NoLogError: Config.MustExist was set and Dir holds no log (no chunk file
// and no META file): a mistyped path, or a log that was never written. It
// matches ErrNoLog.
type NoLogError struct{ Dir string }

// Error describes the failure with the values it carries.
func (e *NoLogError) Error() string {
	return fmt.Sprintf("raftlog: %s holds no log, and Config.MustExist says it must", e.Dir)
}

// Is makes errors.Is(err, ErrNoLog) true.
func (e *NoLogError) Is(target error) bool { return target == ErrNoLog }

// VoteReversalError: SaveVote with a vote that is not >= the saved one.
type VoteReversalError[V any] struct {
	Current   V
	Attempted V
}

// Error describes the failure with the values it carries.
func (e *VoteReversalError[V]) Error() string {
	return fmt.Sprintf("raftlog: the vote %v cannot replace the saved vote %v", e.Attempted, e.Current)
}

// Is makes errors.Is(err, ErrVoteReversal) true.
func (e *VoteReversalError[V]) Is(target error) bool { return target == ErrVoteReversal }

// LogIDReversalError: an append whose id does not sort above the last id,
// a commit whose id or index is below the commit point's, or a purge past
// the end whose id is below the last one. When says which ("append",
// "commit" or "purge").
type LogIDReversalError[L any] struct {
	When      string
	Current   L
	Attempted L
}

// Error describes the failure with the values it carries.
func (e *LogIDReversalError[L]) Error() string {
	switch e.When {
	case "append":
		return fmt.Sprintf("raftlog: append of %v refused: it does not sort above the last id %v", e.Attempted, e.Current)
	case "commit":
		return fmt.Sprintf("raftlog: commit of %v refused: it goes back from the commit point %v", e.Attempted, e.Current)
	}
	return fmt.Sprintf("raftlog: %s of %v refused: it sorts below the current %v", e.When, e.Attempted, e.Current)
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
	return fmt.Sprintf("raftlog: cannot append %v: the last entry is %v, so the next must be at the following index", e.Attempted, e.Last)
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
	return fmt.Sprintf("raftlog: cannot purge up to %v: the log holds %v there", e.Attempted, e.Existing)
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
	Err        error // ErrRange, ErrPurged, ErrBeforeStart or ErrPastEnd
}

// Error describes the failure with the values it carries.
func (e *RangeError) Error() string {
	if e.To-e.From == 1 { // one entry (To is From+1, wrapped to 0 after the last index)
		return fmt.Sprintf("%v: read entry %d, the log holds [%d, %d)", e.Err, e.From, e.First, e.End)
	}
	return fmt.Sprintf("%v: read [%d, %d), the log holds [%d, %d)", e.Err, e.From, e.To, e.First, e.End)
}

// Unwrap returns the sentinel.
func (e *RangeError) Unwrap() error { return e.Err }

// ChangedError: an iteration of Read that had yielded entries up to Index-1
// found that a concurrent Truncate or Purge had removed or replaced entry
// Index (or those before it) since the iteration started. The iteration
// stops there, so it never mixes entries of two branches of the log. It
// matches ErrChanged.
type ChangedError struct {
	Index uint64
}

// Error describes the failure with the values it carries.
func (e *ChangedError) Error() string {
	return fmt.Sprintf("raftlog: the entries being read were truncated or purged at index %d while the iteration ran", e.Index)
}

// Is makes errors.Is(err, ErrChanged) true.
func (e *ChangedError) Is(target error) bool { return target == ErrChanged }

// CorruptionError: damage to data that was durable. First and Last bound
// the entry indexes the damage makes unreadable, as far as the log can
// tell: First is absent when the first entry affected is unknown (damage in
// a log that held no entry before it, whose first entry may have any
// index), Last when the damage hides how far the entries went. When chunk
// files are missing, cut short or not the log's before the newest ones
// (*wal.GapError, *wal.MissingChunkError), the range is every entry before
// the first one in the chunks after them, back to the purge point: the
// intact chunks before the damage were not read. From Read, First and Last
// are the entry read. A Raft node can refetch those entries from a peer.
// It matches ErrCorrupt and unwraps to the wal's error that names the
// chunk file and offset (*wal.CorruptionError, *wal.GapError or
// *wal.MissingChunkError).
type CorruptionError struct {
	First, Last Option[uint64]
	Err         error
}

// Error describes the failure with the values it carries.
func (e *CorruptionError) Error() string {
	return "raftlog: " + indexRange(e.First, e.Last) + " unreadable: " + e.Err.Error()
}

// indexRange says which entries First and Last bound, in words.
func indexRange(first, last Option[uint64]) string {
	f, fok := first.Get()
	l, lok := last.Get()
	switch {
	case fok && lok && f == l:
		return fmt.Sprintf("entry %d is", f)
	case fok && lok:
		return fmt.Sprintf("entries %d to %d are", f, l)
	case fok:
		return fmt.Sprintf("entries from %d on are", f)
	case lok:
		return fmt.Sprintf("entries up to %d (the first unknown) are", l)
	}
	return "entries (indexes unknown) are"
}

// Unwrap returns the WAL's error.
func (e *CorruptionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }

// RepairFailedError: Open in wal.Repair mode had already cut or replaced
// parts of the log (Cuts, the durable ones, each with its backup where it
// kept one and the entries found in it) when it failed with Err. The cuts
// stay made: a Raft node must refetch the entries named here. A later Open
// outside wal.Repair refuses the log (*wal.InterruptedRepairError); a later
// repair reports where the cuts began (wal.Cut.Earlier). errors.Is and
// errors.As see Err through it (a *CorruptionError when the rest of the
// log was refused).
type RepairFailedError struct {
	Dir  string
	Cuts []Cut
	Err  error
}

// Error lists the cuts with their entries, then the failure.
func (e *RepairFailedError) Error() string {
	s := make([]string, len(e.Cuts))
	for i, c := range e.Cuts {
		s[i] = c.Cut.String()
		if c.First.IsSome() {
			s[i] += " (" + strings.TrimSuffix(strings.TrimSuffix(indexRange(c.First, c.Last), " is"), " are") + " found in it)"
		}
	}
	return fmt.Sprintf("raftlog: the repair of %s made %d cut(s) and then failed; they stay made: %s: %v",
		e.Dir, len(e.Cuts), strings.Join(s, "; "), e.Err)
}

// Unwrap returns the failure.
func (e *RepairFailedError) Unwrap() error { return e.Err }

// IndexLimitError: an entry, purge or state at log index Index (2^64-1),
// after which no index is left.
type IndexLimitError struct{ Index uint64 }

// Error describes the failure with the values it carries.
func (e *IndexLimitError) Error() string {
	return fmt.Sprintf("raftlog: log index %d is at the limit: no index follows it", e.Index)
}

// Is makes errors.Is(err, ErrIndexLimit) true.
func (e *IndexLimitError) Is(target error) bool { return target == ErrIndexLimit }

// RecordTooLargeError: a write whose record is over Config.MaxRecordBytes.
// What says what was written ("entry", "vote", "commit", "state" or "user
// data"), Index is the entry's index for an entry; Size and Limit are the
// record body's size and the limit, in bytes. The write changed nothing.
// It matches ErrRecordTooLarge.
type RecordTooLargeError struct {
	What        string
	Index       Option[uint64]
	Size, Limit int
}

// Error describes the failure with the values it carries.
func (e *RecordTooLargeError) Error() string {
	what := e.What
	if i, ok := e.Index.Get(); ok {
		what = fmt.Sprintf("%s %d", what, i)
	}
	return fmt.Sprintf("raftlog: %s is too large: its record is %d bytes, the limit (Config.MaxRecordBytes) is %d", what, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrRecordTooLarge) true.
func (e *RecordTooLargeError) Is(target error) bool { return target == ErrRecordTooLarge }

// tooLarge turns the WAL's refusal of record n of a write into a
// *RecordTooLargeError naming what it was; other errors pass through.
func (l *Log[L, P, V, U]) tooLarge(err error, recs []record[L, P, V, U]) error {
	var we *wal.RecordTooLargeError
	if !errors.As(err, &we) || we.Record >= len(recs) {
		return err
	}
	r := recs[we.Record]
	e := &RecordTooLargeError{Size: we.Size, Limit: we.Limit}
	switch r.op {
	case opAppend:
		e.What, e.Index = "entry", Some(l.t.Index(r.id))
	case opVote:
		e.What = "vote"
	case opCommit:
		e.What = "commit"
	case opState:
		e.What = "state"
		if r.state.UserData.IsSome() {
			e.What = "user data"
		}
	default:
		e.What = "record"
	}
	return e
}
