package crashtest

import (
	"slices"
	"strings"

	"github.com/raftlog/raftlog/internal/failpoint"
)

// The failpoints: the moments in raftlog where a crash or an I/O error
// matters, by their full names as GO_FAILPOINTS takes them. They are part of
// the API: a name does not change or disappear without a note in
// docs/testing.md, and a test fails if the source and this list disagree.
//
// They are evaluated only in a build with -tags failpoint (FailpointsEnabled);
// the default build compiles them to nothing. The terms are
// pingcap/failpoint's: "panic" (crash the process there), "return(true)" (an
// I/O error there, wrapped in the operation's error: the log is poisoned),
// "sleep(10)", and counts such as "2*off->panic" (the third time). A "return"
// needs a value: a bare "return" does nothing.
const (
	// FailpointBeforeWrite: the flush worker is about to write a batch of
	// records (or a chunk's head, or its seal) to a chunk file.
	FailpointBeforeWrite = failpoint.Prefix + "wal/beforeWrite"
	// FailpointAfterWrite: the write returned; nothing of it is synced.
	FailpointAfterWrite = failpoint.Prefix + "wal/afterWrite"
	// FailpointBeforeSeal: a full chunk is about to get its seal (naming
	// its successor), then an fsync.
	FailpointBeforeSeal = failpoint.Prefix + "wal/beforeSeal"
	// FailpointBeforeFsync: a chunk file is about to be fsynced.
	FailpointBeforeFsync = failpoint.Prefix + "wal/beforeFsync"
	// FailpointAfterFsync: the fsync returned; the flush it serves has not
	// yet been acknowledged (no Sync has returned, no callback has run).
	FailpointAfterFsync = failpoint.Prefix + "wal/afterFsync"
	// FailpointAfterChunkCreate: a new chunk file exists, empty; neither
	// its head nor its directory entry is durable.
	FailpointAfterChunkCreate = failpoint.Prefix + "wal/afterChunkCreate"
	// FailpointBeforeChunkRemove: a purged chunk file is about to be
	// removed (the purge that obsoleted it is durable).
	FailpointBeforeChunkRemove = failpoint.Prefix + "wal/beforeChunkRemove"
	// FailpointBeforeMetaRename: the new META file (written on Close, and
	// on the first write after Open) is written and fsynced under its
	// temporary name, about to be renamed over the old one.
	FailpointBeforeMetaRename = failpoint.Prefix + "wal/beforeMetaRename"
)

// FailpointsEnabled reports whether this build evaluates the failpoints
// (it was built with -tags failpoint). A test that needs them skips
// without: if !crashtest.FailpointsEnabled { t.Skip(...) }.
const FailpointsEnabled = failpoint.Enabled

// Failpoints returns the names of every failpoint, sorted.
func Failpoints() []string {
	return []string{
		FailpointAfterChunkCreate, FailpointAfterFsync, FailpointAfterWrite, FailpointBeforeChunkRemove,
		FailpointBeforeFsync, FailpointBeforeMetaRename, FailpointBeforeSeal, FailpointBeforeWrite,
	}
}

// FailpointsEnv returns the environment variable that enables failpoints
// in a process built with -tags failpoint: "GO_FAILPOINTS=" followed by
// name=term pairs, sorted by name and separated by ";". For exec.Cmd.Env,
// e.g. FailpointsEnv(map[string]string{FailpointAfterFsync: "3*off->panic"}).
func FailpointsEnv(terms map[string]string) string {
	pairs := make([]string, 0, len(terms))
	for name, term := range terms {
		pairs = append(pairs, name+"="+term)
	}
	slices.Sort(pairs)
	return "GO_FAILPOINTS=" + strings.Join(pairs, ";")
}
