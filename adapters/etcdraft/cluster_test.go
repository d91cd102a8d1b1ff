package etcdraft

import (
	"testing"

	"go.etcd.io/raft/v3"
)

// TestCluster runs a 3-node etcd raft cluster on raftlog Storages and
// commits a few thousand commands while restarting followers and leaders
// (closing their Storage and opening it again from disk), snapshotting and
// compacting every few hundred entries so that heads are purged and
// stopped followers need a snapshot, and isolating leaders whose
// uncommitted tails are then replaced. Every node must end with exactly
// the committed commands.
func TestCluster(t *testing.T) {
	c := newCluster(t, 3)
	const burst = 50
	for round := range 16 {
		c.commit(3 * burst)
		switch round % 4 {
		case 0: // a follower restarts
			f := c.follower()
			c.stop(f)
			c.commit(burst)
			c.start(f)
		case 1: // the leader restarts
			c.restart(c.leader())
		case 2: // a follower misses more than the others keep after a snapshot
			f := c.follower()
			c.stop(f)
			c.commit(int(c.snapshot + c.trailing))
			c.start(f)
		case 3: // an isolated leader's tail is replaced
			c.replaceTail(20)
		}
	}
	c.commit(burst)
	got := c.converge()

	var total Counters
	for _, nd := range c.nodes {
		total = total.add(nd.closed.add(nd.st.Counters()))
		if first, _ := nd.st.FirstIndex(); first <= 1 {
			t.Errorf("node %d: first index %d: its head was never compacted", nd.id, first)
		}
		st := nd.st.Stat()
		if len(st.WAL.Closed) > 40 {
			t.Errorf("node %d holds %d closed chunks for entries [%d, %d): compacted chunks stay on disk", nd.id, len(st.WAL.Closed), st.First, st.End)
		}
	}
	t.Logf("%d commands applied on every node; storages: %+v", len(got), total)
	if total.Compactions == 0 || total.Truncates == 0 || total.Snapshots == 0 {
		t.Fatalf("compactions %d, truncates %d, snapshots applied %d: each should have happened", total.Compactions, total.Truncates, total.Snapshots)
	}
	if total.Syncs >= total.Saves {
		t.Fatalf("%d syncs for %d saves: a save with nothing that must be durable synced", total.Syncs, total.Saves)
	}
}

// follower runs until there is a leader and returns a running follower.
func (c *cluster) follower() *node {
	l := c.leader()
	for _, nd := range c.nodes {
		if nd != l && nd.running && !nd.cut {
			return nd
		}
	}
	c.t.Fatal("no running follower")
	return nil
}

// replaceTail isolates the leader with n commands it stored but cannot
// commit, lets the others elect a leader and commit commands at the same
// indexes, and joins it again: its uncommitted tail conflicts with the new
// leader's log and is replaced.
func (c *cluster) replaceTail(n int) {
	old := c.leader()
	before, _ := old.st.LastIndex()
	old.cut = true
	c.propose(old, n)
	c.settle() // the old leader stores them
	if last, _ := old.st.LastIndex(); last < before+uint64(n) {
		c.t.Fatalf("the isolated leader stored up to %d, want %d", last, before+uint64(n))
	}
	c.commit(n)
	c.runUntil(func() bool { return old.rn.BasicStatus().RaftState != raft.StateLeader })
	old.cut = false
	truncates := old.st.Counters().Truncates
	l := c.leader()
	c.runUntil(func() bool { return old.index >= l.rn.BasicStatus().Commit })
	if old.st.Counters().Truncates == truncates {
		c.t.Fatalf("node %d caught up with the leader without replacing its tail after %d", old.id, before)
	}
}
