package hashicorpraft

import (
	"io"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/raftlog"
)

// raftlogBackend opens a Store with small chunks, so that purges remove
// chunk files, and a small cache, so that reads go to disk.
var raftlogBackend = backend{name: "raftlog", open: func(dir string) (raft.LogStore, raft.StableStore, io.Closer, error) {
	s, err := Open(dir, raftlog.Config{ChunkMaxBytes: 16 << 10, CacheMaxItems: 256})
	return s, s, s, err
}}

// TestCluster runs a 3-node hashicorp/raft cluster on raftlog stores and
// applies a few thousand commands while restarting followers and leaders
// (closing their stores and opening them again from disk), snapshotting so
// that heads are purged and stopped followers need a snapshot installed
// (a monotonic store is emptied, then starts after the snapshot), and
// isolating leaders whose uncommitted tails are then overwritten (a
// truncate). Every node must end with exactly the committed commands.
func TestCluster(t *testing.T) {
	c := newCluster(t, raftlogBackend, 3, func(conf *raft.Config) {
		conf.SnapshotThreshold = 400
		conf.SnapshotInterval = 200 * time.Millisecond
		conf.TrailingLogs = 100
	})
	const burst = 50
	for round := range 16 {
		c.apply(3 * burst)
		switch round % 4 {
		case 0: // a follower restarts
			f := c.follower()
			c.stop(f)
			c.apply(burst)
			c.start(f)
		case 1: // the leader restarts
			c.restart(c.leader())
		case 2: // a follower misses what a snapshot then covers
			f := c.follower()
			c.stop(f)
			c.apply(3 * burst)
			for _, nd := range c.nodes { // whichever leads next has compacted
				if !nd.running {
					continue
				}
				if err := nd.r.Snapshot().Error(); err != nil {
					t.Fatalf("snapshot on %s: %v", nd.id, err)
				}
			}
			c.start(f)
		case 3: // an isolated leader's tail is overwritten
			c.overwriteTail(20)
		}
	}
	c.apply(burst)
	got := c.converge()

	var total Counters
	for _, nd := range c.nodes {
		s := nd.logs.LogStore.(*Store)
		total = total.add(nd.closed.add(s.Counters()))
		if first, _ := s.FirstIndex(); first <= 1 {
			t.Errorf("%s: first index %d: its head was never purged", nd.id, first)
		}
		st := s.Stat()
		if len(st.WAL.Closed) > 40 {
			t.Errorf("%s holds %d closed chunks for entries [%d, %d): purged chunks stay on disk", nd.id, len(st.WAL.Closed), st.First, st.End)
		}
	}
	t.Logf("%d commands applied on every node, %d acknowledged; stores: %+v", len(got), len(c.acked), total)
	if total.Purges == 0 || total.Truncates == 0 || total.Rebases == 0 {
		t.Fatalf("purges %d, truncates %d, rebases %d: each should have happened", total.Purges, total.Truncates, total.Rebases)
	}
}

// follower waits for a leader and returns a running follower.
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

// overwriteTail isolates the leader after it stored n commands that it
// cannot commit, lets the others elect a leader and commit commands at the
// same indexes, and joins it again: its uncommitted tail conflicts with the
// new leader's log and is deleted.
func (c *cluster) overwriteTail(n int) {
	old := c.leader()
	before, err := old.logs.LastIndex()
	if err != nil {
		c.t.Fatal(err)
	}
	c.isolate(old)
	_, stale := c.submit(old, n)
	c.waitFor(func() bool {
		last, err := old.logs.LastIndex()
		return err != nil || last >= before+uint64(n) || old.r.State() != raft.Leader
	})
	c.apply(n)
	for _, f := range stale {
		f.Error() // each fails once the old leader steps down
	}
	c.heal(old)
}
