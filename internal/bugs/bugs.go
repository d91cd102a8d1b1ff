// Package bugs holds the deliberate engine bugs the simulator must catch.
//
// In the default build every switch is the constant false and the checks
// compile away. Built with -tags simbugs, tests can turn a bug on to prove
// that the simulator finds it (see sim's TestBugsAreCaught).
package bugs

// Bug names one deliberate bug.
type Bug int

const (
	// SkipDirSyncOnCreate: a new chunk's directory entry is not fsynced.
	SkipDirSyncOnCreate Bug = iota
	// EarlyChunkRemove: purged chunks are removed before the record that
	// obsoleted them is durable.
	EarlyChunkRemove
	// SkipFsync: a synced flush skips the fsync of the open chunk.
	SkipFsync
	// AcceptTornRecord: recovery keeps a record whose checksum fails.
	AcceptTornRecord
	// AckFailedFsync: callbacks whose fsync failed are told it succeeded.
	AckFailedFsync
	// UnboundRecords: version 2 records are checksummed without their
	// chunk's salt and position, so stale bytes can replay.
	UnboundRecords
	numBugs
)

// String names the bug.
func (b Bug) String() string {
	switch b {
	case SkipDirSyncOnCreate:
		return "skip-dir-sync-on-create"
	case EarlyChunkRemove:
		return "early-chunk-remove"
	case SkipFsync:
		return "skip-fsync"
	case AcceptTornRecord:
		return "accept-torn-record"
	case AckFailedFsync:
		return "ack-failed-fsync"
	case UnboundRecords:
		return "unbound-records"

	}
	return "unknown"
}

// All lists every bug.
func All() []Bug {
	out := make([]Bug, numBugs)
	for i := range out {
		out[i] = Bug(i)
	}
	return out
}
