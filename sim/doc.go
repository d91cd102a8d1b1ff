// Package sim is a deterministic simulator that drives a raftlog.Log with a
// seeded, Raft-like workload over an in-memory machine (fs.Mem wrapped in
// faultinject), crashes the machine at any I/O, injects faults and bit
// flips, and checks after every recovery that the log equals a reference
// model after some prefix of the operations that includes every
// acknowledged one, reads back byte for byte, recovers idempotently, and
// takes writes again.
//
// The same seed gives the same run, byte for byte: the flush worker is
// stepped by the simulator, all randomness comes from the run's seed, and nothing
// reads the clock. A failing run reports its seed, the command that replays
// it and a shrunk list of operations (Report). Run and Replay are the entry
// points; TestSim runs a budget of seeds, and cmd/raftlog's sim subcommand
// runs long campaigns.
package sim
