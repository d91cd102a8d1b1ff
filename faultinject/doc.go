// Package faultinject wraps any fs.FS in one that fails, shortens, corrupts or
// delays the calls its rules select, so that tests and the deterministic
// simulator can make the WAL meet the disk errors it must survive.
//
// A [Rule] picks calls by kind ([Op]), by path pattern, by index (the Nth
// matching call) or at random (Prob, drawn from an RNG seeded by
// [Options].Seed), and says what happens to them: an error (syscall.EIO unless
// told otherwise), a short write, flipped bits in what a read returned, zeros
// in place of its tail, or a delay. Rules compose: they are tried in order and
// the first that fires is applied. Rules can be added and cleared while the FS
// is in use.
//
// Everything is deterministic for a fixed seed and sequence of calls, and
// every fault is logged ([FS.Injected]), so a failing test can print exactly
// what it suffered and be replayed. Every injected error satisfies
// errors.Is(err, [ErrInjected]), and errors.Is against the rule's Err (by
// default syscall.EIO), through the usual *os.PathError.
//
// The package's examples are the typical uses, compiled and run by go test:
// Example injects a short write and a full disk into one file, and
// ExampleNew_log makes a Raft log meet a failed fsync, which poisons it.
package faultinject
