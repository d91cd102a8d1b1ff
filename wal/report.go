package wal

import "fmt"

// Report says what Open cut from the log. Every cut is in it, the default
// cut of a torn tail included, and each was also logged at WARN through
// Config.Logger, so that no cut is ever invisible to a program.
type Report struct {
	// Mode is the recovery mode Open ran in.
	Mode RecoveryMode
	// Cuts lists what was removed, in log order.
	Cuts []Cut
}

// Bytes is the total number of bytes the cuts removed.
func (r Report) Bytes() int64 {
	var n int64
	for _, c := range r.Cuts {
		n += c.Bytes
	}
	return n
}

// Cut is one region that recovery removed from the log.
type Cut struct {
	// File is the chunk file's path, Chunk its id. A cut of the META
	// file (Repair mode: a damaged or missing one replaced) has META's
	// path and no chunk (see OfMeta).
	File  string
	Chunk uint64
	// Offset is where in the file the removed bytes start; Bytes how many
	// there were, to the end of the file (a cut never leaves a hole), but
	// for zeros written ahead (Config.PreallocateBytes) at the end of the
	// file, which are not counted. Offset 0 is a whole file removed.
	Offset int64
	Bytes  int64
	// Reason says why, e.g. "torn write past the durable point".
	Reason string
	// Durable says the bytes had been durable: the cut repaired damage
	// (Repair mode) rather than dropping a write that was never
	// acknowledged.
	Durable bool
	// Backup is the path of the copy of the file as it was before the
	// cut (Repair mode), or "".
	Backup string
	// Rewritten says the bytes were rewritten in place rather than
	// removed (Repair mode): a chunk's damaged checkpoint, rebuilt from
	// the state the sealed chunk before it ends with. Nothing after them
	// goes, and no entry was in them.
	Rewritten bool
	// Earlier says an earlier repair made this cut, and the log was
	// neither written nor closed after it, so that repair's report may
	// have reached no one (see InterruptedRepairError): every byte from
	// global offset Chunk+Offset on, Bytes of them, was cut; they are in
	// the backups that repair left beside the chunks. File is the chunk
	// the cut began in, or META's path when no chunk before it is left.
	Earlier bool
	// Mark is, for an Earlier cut, what the state machine said of the
	// records that repair cut (CutMarker), or 0.
	Mark uint64
	// KeptStart says the bytes cut held the log's only record of where
	// it starts (a trim past the damage, whose chunk removals had begun),
	// and the repair wrote it again at Offset, in their place: the log
	// still starts at its first live chunk (see StartKeeper).
	KeptStart bool
}

// OfMeta reports whether the cut is of the META file rather than a chunk:
// it held no record, and Chunk, Offset and Bytes are zero.
func (c Cut) OfMeta() bool { return isMetaPath(c.File) }

// String describes the cut on one line.
func (c Cut) String() string {
	s := fmt.Sprintf("%s: cut %d bytes at offset %d: %s", c.File, c.Bytes, c.Offset, c.Reason)
	if c.Rewritten {
		s = fmt.Sprintf("%s: rewrote %d bytes at offset %d: %s", c.File, c.Bytes, c.Offset, c.Reason)
	}
	if c.OfMeta() {
		s = fmt.Sprintf("%s: %s", c.File, c.Reason)
	}
	if c.Backup != "" {
		s += " (backup: " + c.Backup + ")"
	}
	return s
}

// CutMarker is an optional extension of a StateMachine that observes drops
// (DropObserver). A repair that cuts the log asks it, once it has shown it
// the records it cuts and before anything changes, for a number to keep in
// META with the mark of the cut; a repair that follows while the mark
// stays (see InterruptedRepairError) gives it back in its report of that
// cut (Cut.Mark), when the records themselves may be gone. An earlier
// mark kept with it is passed as earlier (0 if none). raftlog keeps one
// more than the lowest log index the records cut name (an entry, or where
// a truncation cut the log), so that the report of the cut names every
// entry it may have held.
type CutMarker interface {
	CutMark(earlier uint64) uint64
}

// DropObserver is an optional extension of a StateMachine. Open calls
// Dropped with every intact caller record it finds in bytes that it cuts
// (a torn tail, a region a repair removes, a chunk moved aside) or that
// corruption makes unreachable, so that the caller can say exactly which of
// its data they held: a Raft log names the entries a node must refetch.
// Records found after damage are found by resynchronising at the next
// intact batch marker, so some may be missed; none is ever invented.
type DropObserver[R any] interface {
	Dropped(rec R, pos Position)
}
