// Package sim is a deterministic simulator that drives a raftlog.Log with a
// seeded, Raft-like workload over an in-memory machine (fs.Mem wrapped in
// faultinject), crashes the machine at any I/O, injects faults, bit flips
// and damage at rest, and checks after every recovery that the log equals a
// reference model after some prefix of the operations that includes every
// acknowledged one, reads back byte for byte, recovers idempotently, and
// takes writes again.
//
// It runs over any type set. Run, Replay, Shrink and Report use the default
// types (raftlog.DefaultTypes, through Default); New(types, gen) returns a
// Sim over the caller's raftlog.Types, whose values a Gen makes, with every
// check of the default campaign: the model orders ids and votes with the
// caller's functions and compares states and entries through the caller's
// codecs, byte for byte. The codecs themselves are checked directly on
// every value the workload writes: encoding is deterministic, decoding
// round-trips using exactly the encoding's bytes, a truncated encoding is
// refused, and damaged bytes never panic (the log's checksums keep damaged
// bytes from reaching a codec, so this is where they are fed to it). Check
// runs a budget of seeds in a user's test; docs/testing.md explains it.
//
// The same seed gives the same run, byte for byte: the flush worker is
// stepped by the simulator, all randomness comes from the run's seed, and
// nothing reads the clock. A failing run reports its seed, the command that
// replays it and a shrunk list of operations (Report). TestSim runs a
// budget of seeds over the default types, and cmd/raftlog's sim subcommand
// runs long campaigns (--types json over package simjson).
package sim
