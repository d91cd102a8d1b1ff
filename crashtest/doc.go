// Package crashtest runs a user's own code (a Raft node, a state machine)
// on raftlog over a simulated machine, crashes that machine at a chosen or
// random moment, and lets the code reopen its logs and check its own
// invariants, deterministically from a seed.
//
// A Machine is an in-memory disk (fs.Mem, which knows what is durable) seen
// through a fault injector (faultinject). Code under test opens its logs on
// it with OpenLog (or raftlog.OpenWith and Machine.LogConfig), works, and
// the test decides when the machine dies:
//
//   - CrashAfter(k) halts the machine after k more mutating I/Os (creating
//     opens, writes, truncations, syncs, removals, renames, directory
//     syncs): from then on every such I/O fails with fs.ErrHalted, which the
//     log reports (poisoned); CrashSoon(n) picks k below n from its seed.
//   - Crash(mode) ends the machine's life: fs.CrashProcess (a kill -9:
//     everything written survives), fs.CrashOrdered or fs.CrashReordered
//     (power losses: only what was synced is sure to survive; the rest
//     survives in part, in file order or by 512-byte sectors in any order,
//     with stale bytes where a file's length covers sectors never written).
//     PowerLoss and RandomCrash pick a mode from its seed. The disk becomes
//     what survived; the logs opened on the old one are closed (their errors
//     are the dead process's) and must be opened again.
//   - Fault adds faultinject rules: an EIO or ENOSPC on the n-th write,
//     fsync, creation, removal or directory sync, or short writes.
//
// Run runs one seed; Check runs a budget of seeds in a test and reports
// the first failing one with the command that replays it and the machine's
// trace. Everything random comes from its seed (Machine.Rand, the crash
// modes and crash points, the chunk salts of logs opened with LogConfig),
// and LogConfig sets raftlog.Config.ManualFlush, so that the log does I/O
// only inside calls the code makes: the same seed then replays the same run,
// byte for byte. Code that runs goroutines of its own, or that waits for
// flush callbacks without calling Step or Sync, may need ManualFlush off;
// its runs are then not exactly replayable, and Check's determinism check
// should be switched off (NoDeterminismCheck).
//
// # Failpoints
//
// The same moments can be reached in a real process, on a real disk, with
// failpoints: build with -tags failpoint and name them in GO_FAILPOINTS.
// The names are constants of this package (Failpoints lists them; they are
// part of the API, and docs/testing.md describes each); FailpointsEnabled
// tells whether the build evaluates them.
package crashtest
