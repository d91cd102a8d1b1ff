package wal

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is; the typed errors below match them.
var (
	// ErrConfig: the Config is invalid (*ConfigError).
	ErrConfig = errors.New("wal: invalid config")
	// ErrCorrupt: data that was known durable is damaged
	// (*CorruptionError). The log refuses to open rather than drop it.
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrGap: chunk files are not contiguous (*GapError).
	ErrGap = errors.New("wal: gap between chunks")
	// ErrMissingChunk: the oldest chunk still needed is gone
	// (*MissingChunkError).
	ErrMissingChunk = errors.New("wal: missing chunk")
	// ErrVersion: a chunk has a format version this code cannot read
	// (*VersionError).
	ErrVersion = errors.New("wal: unsupported format version")
	// ErrPoisoned: an earlier write, fsync or removal failed, so the WAL
	// accepts nothing more until it is reopened. The error also matches
	// the original cause.
	ErrPoisoned = errors.New("wal: poisoned by an earlier I/O error")
	// ErrClosed: the WAL was closed.
	ErrClosed = errors.New("wal: closed")
	// ErrRecordTooLarge: a record's body is over Config.MaxRecordBytes.
	ErrRecordTooLarge = errors.New("wal: record too large")
	// ErrChunkRemoved: a read asked for a record in a chunk that purging
	// has removed.
	ErrChunkRemoved = errors.New("wal: chunk removed")
	// ErrTornTail: in Strict recovery, the last chunk ends with a damaged
	// record.
	ErrTornTail = errors.New("wal: torn tail")
	// ErrReadsDiffer: Open read a chunk twice before changing it on the
	// strength of what it read (a cut, a removal, records written over
	// zeros), and the reads differed without an I/O error: the disk, or
	// the path to it, returned wrong bytes. Open did not make that change
	// (changes already made, each confirmed, leave a log that opens the
	// same); called again, it may succeed.
	ErrReadsDiffer = errors.New("wal: two reads of the same bytes differed")
	// ErrInCallback: a call that waits for the flush worker (Sync,
	// WaitIdle, Close) made from a flush callback, which that worker is
	// running: it would wait forever, so it fails at once.
	ErrInCallback = errors.New("wal: called from a flush callback, it would wait for the worker running it")
)

// CorruptionError names a damaged record: the chunk file, the byte offset in
// it, and why; or a damaged or missing META file. Records from Offset on
// are unreadable; a Raft node can refetch the log entries they held from a
// peer (raftlog adds the index range).
type CorruptionError struct {
	File   string // the damaged file's path: a chunk file, or the META file (then Chunk and Offset are 0)
	Chunk  uint64 // chunk id (global offset of its first byte)
	Offset int64  // offset in the file
	Reason string
	Err    error // the decoding error, if any
}

// Error describes the failure with the values it carries.
func (e *CorruptionError) Error() string {
	s := fmt.Sprintf("wal: corrupt chunk %s at offset %d: %s", e.File, e.Offset, e.Reason)
	if isMetaPath(e.File) {
		s = fmt.Sprintf("wal: %s: %s", e.File, e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the decoding error.
func (e *CorruptionError) Unwrap() error { return e.Err }

// GapError reports two neighbouring chunk files that do not meet: the
// previous one ends at PrevEnd, the next one starts at Next.
type GapError struct {
	Prev, Next string // file paths
	PrevEnd    uint64
	NextStart  uint64
}

// Error describes the failure with the values it carries.
func (e *GapError) Error() string {
	what := "gap"
	if e.PrevEnd > e.NextStart {
		what = "overlap"
	}
	return fmt.Sprintf("wal: %s between chunks: %s ends at %d, %s starts at %d", what, e.Prev, e.PrevEnd, e.Next, e.NextStart)
}

// Is makes errors.Is(err, ErrGap) and errors.Is(err, ErrCorrupt) true: a
// gap is damage to the log at rest.
func (e *GapError) Is(target error) bool { return target == ErrGap || target == ErrCorrupt }

// CheckpointRewriteError is what Open returns in Repair mode when a damaged
// chunk checkpoint that the repair meant to rewrite does not take the state
// the chunks before it end with: that state encodes to Encoded bytes, where
// the checkpoint, as far as the record found after it shows, held Held. The
// damage then reaches past the checkpoint. Nothing was rewritten; Cuts is
// what the repair had already cut or replaced (they stay done). Opening
// again with Config.CutDamagedCheckpoints cuts the log at that checkpoint
// instead, as raftlog's Open does.
type CheckpointRewriteError struct {
	File          string
	Chunk         uint64
	Offset        int64
	Held, Encoded int64
	Cuts          []Cut
}

// Error describes the failure with the values it carries.
func (e *CheckpointRewriteError) Error() string {
	return fmt.Sprintf("wal: the damaged checkpoint of %s at offset %d held %d bytes, and the state before it encodes to %d: not rewritten",
		e.File, e.Offset, e.Held, e.Encoded)
}

// RepairFailedError is what Open returns in Repair mode when the repair
// had already cut or replaced parts of the log (Cuts, the durable ones,
// each with its backup where it kept one: a missing META has none) and the
// open then failed with Err. The cuts stay made: this error is where they
// are said in full. A later Open outside Repair mode refuses the log
// (*InterruptedRepairError); a later repair reports where they began (a
// Cut with Earlier set). errors.Is and errors.As see Err through it.
type RepairFailedError struct {
	Dir  string
	Cuts []Cut
	Err  error
}

// Error lists the cuts, then the failure.
func (e *RepairFailedError) Error() string {
	return fmt.Sprintf("wal: the repair of %s made %d cut(s) and then failed; they stay made: %s: %v",
		e.Dir, len(e.Cuts), joinCuts(e.Cuts), e.Err)
}

// Unwrap returns the failure.
func (e *RepairFailedError) Unwrap() error { return e.Err }

// StrayChunkError is what Open returns, outside Repair mode, for a chunk
// file past the last chunk (Last) of a log that META says was closed
// cleanly: Close finishes every rotation, and a rotation after a reopen
// marks META open before it creates its file, so the file (File, chunk id
// Chunk) is not the log's (one copied in, say). Every entry of the log may
// be intact; the log is refused, and the file left as it is, so that no
// one's bytes are lost. Repair moves it aside. It matches ErrCorrupt.
type StrayChunkError struct {
	File        string
	Chunk, Last uint64
}

// Error describes the failure with the values it carries.
func (e *StrayChunkError) Error() string {
	return fmt.Sprintf("wal: %s is not the log's: the log was closed cleanly with %s as its last chunk, and this file follows it "+
		"(the log's own chunks may be intact; a repair moves the file aside)", e.File, ChunkName(e.Last))
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *StrayChunkError) Is(target error) bool { return target == ErrCorrupt }

// InterruptedRepairError is what Open returns, outside Repair mode, for a
// log that a repair cut and that was neither written nor closed since: the
// repair stopped part-way (a crash, a power loss, an I/O error), or it
// finished and the process stopped before it wrote to the log or closed
// it. Either way the repair's report (what it cut, and the entries in it)
// may have reached no one, and the log as it is now would open without a
// word of what it lost. The repair had begun to cut the log at global
// offset From; the log then ended at End; the bytes it cut are in the
// backups it left beside the chunks (FILE.broken). Open the log in Repair
// mode: the repair is finished and reported again (a Cut with Earlier
// set), and the log opens.
type InterruptedRepairError struct {
	Dir       string
	From, End uint64
}

// Error describes the failure with the values it carries.
func (e *InterruptedRepairError) Error() string {
	return fmt.Sprintf("wal: a repair of %s cut the log from offset %d (it ended at %d), and the log was neither written nor closed since: "+
		"what the repair cut may have been reported to no one; open it in Repair mode (raftlog repair DIR) to finish the repair and report the cut again "+
		"(the bytes cut are in the .broken backups beside the chunks)", e.Dir, e.From, e.End)
}

// Is makes errors.Is(err, ErrCorrupt) true: the log is missing durable
// bytes that no one may have been told of.
func (e *InterruptedRepairError) Is(target error) bool { return target == ErrCorrupt }

// joinCuts describes cuts on one line.
func joinCuts(cuts []Cut) string {
	s := make([]string, len(cuts))
	for i, c := range cuts {
		s[i] = c.String()
	}
	return strings.Join(s, "; ")
}

// MissingChunkError reports a chunk file the log needs that is gone: Want
// is the missing chunk's id. Reason says how Open knows it existed; when it
// is empty, the missing chunk is the log's first (a purge's trim record or
// the log's start says where the log begins) and First is the oldest chunk
// found.
type MissingChunkError struct {
	Dir         string
	Want, First uint64
	Reason      string
}

// Error describes the failure with the values it carries.
func (e *MissingChunkError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("wal: missing chunk %s in %s: %s", ChunkName(e.Want), e.Dir, e.Reason)
	}
	return fmt.Sprintf("wal: missing chunk in %s: the log must start at chunk %s, the oldest present is %s",
		e.Dir, ChunkName(e.Want), ChunkName(e.First))
}

// Is makes errors.Is(err, ErrMissingChunk) and errors.Is(err, ErrCorrupt)
// true: a missing chunk is damage to the log at rest.
func (e *MissingChunkError) Is(target error) bool {
	return target == ErrMissingChunk || target == ErrCorrupt
}

// VersionError reports a chunk header with an unknown format version.
type VersionError struct {
	File    string
	Version uint16
}

// Error describes the failure with the values it carries.
func (e *VersionError) Error() string {
	if isMetaPath(e.File) {
		return fmt.Sprintf("wal: %s has version %d, this code reads versions %d and %d", e.File, e.Version, metaVersion, metaVersionRepair)
	}
	return fmt.Sprintf("wal: chunk %s has format version %d, this code reads version %d", e.File, e.Version, FormatVersion)
}

// Is makes errors.Is(err, ErrVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrVersion }

// ApplyError reports that the state machine rejected a record during Open.
type ApplyError struct {
	File   string
	Offset int64
	Err    error
}

// Error describes the failure with the values it carries.
func (e *ApplyError) Error() string {
	return fmt.Sprintf("wal: replaying %s at offset %d: %v", e.File, e.Offset, e.Err)
}

// Unwrap returns the state machine's error.
func (e *ApplyError) Unwrap() error { return e.Err }

// RecordTooLargeError reports a record whose encoded body is over the
// limit: Size and Limit are in bytes; Record is its place in the batch
// (0 for Append). It matches ErrRecordTooLarge.
type RecordTooLargeError struct {
	Record      int
	Size, Limit int
}

// Error describes the failure with the values it carries.
func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("wal: record too large: its body is %d bytes, the limit is %d", e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrRecordTooLarge) true.
func (e *RecordTooLargeError) Is(target error) bool { return target == ErrRecordTooLarge }

// poisoned wraps the first I/O failure: it matches ErrPoisoned and the cause.
func poisoned(cause error) error { return fmt.Errorf("%w: %w", ErrPoisoned, cause) }
