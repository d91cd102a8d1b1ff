// Package compare holds a benchmark, not a library: the applies per second
// of a 3-node etcd raft cluster in one process with raftlog (through
// adapters/etcdraft) and with etcd's own WAL plus raft.MemoryStorage as each
// node's storage, in the same run, alternated. It is its own module so that
// the etcdraft adapter never pulls etcd's server (where etcd's WAL lives).
//
//	cd adapters/etcdraft/compare && go test -run TestCompareStores -compare.rounds 3 -v
package compare
