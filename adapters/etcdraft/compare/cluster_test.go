package compare

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"path/filepath"
	"testing"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// quiet silences etcd raft's logger.
var quiet = &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}

// cluster is three RawNodes in one process, driven by one goroutine: each
// Ready is saved, its messages queued, its committed entries applied, then
// the node advances; queued messages are then delivered. Nothing else
// runs, so the time a cluster takes is the nodes' work and their storage's.
type cluster struct {
	t     testing.TB
	nodes []*node
	queue []pb.Message
}

type node struct {
	id      uint64
	st      nodeStorage
	rn      *raft.RawNode
	applied []uint64 // the commands applied, in order
}

func newCluster(t testing.TB, be backend) *cluster {
	c := &cluster{t: t}
	peers := []raft.Peer{{ID: 1}, {ID: 2}, {ID: 3}}
	for _, p := range peers {
		st, err := be.open(filepath.Join(t.TempDir(), fmt.Sprint(p.ID)))
		if err != nil {
			t.Fatalf("%s: open node %d: %v", be.name, p.ID, err)
		}
		rn, err := raft.NewRawNode(&raft.Config{
			ID: p.ID, ElectionTick: 10, HeartbeatTick: 1, Storage: st,
			MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, Logger: quiet,
		})
		if err != nil {
			t.Fatalf("%s: start node %d: %v", be.name, p.ID, err)
		}
		if err := rn.Bootstrap(peers); err != nil {
			t.Fatalf("%s: bootstrap node %d: %v", be.name, p.ID, err)
		}
		c.nodes = append(c.nodes, &node{id: p.ID, st: st, rn: rn})
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			if err := nd.st.Close(); err != nil {
				t.Errorf("%s: close node %d: %v", be.name, nd.id, err)
			}
		}
	})
	// The nodes apply the bootstrap's configuration, then node 1
	// campaigns; the cluster runs until it leads.
	for c.step() {
	}
	if err := c.nodes[0].rn.Campaign(); err != nil {
		t.Fatal(err)
	}
	for c.nodes[0].rn.Status().RaftState != raft.StateLeader {
		if !c.step() {
			t.Fatal("node 1 did not become the leader")
		}
	}
	return c
}

// step handles every node's Ready and delivers the messages they sent. It
// reports whether anything happened.
func (c *cluster) step() bool {
	busy := false
	for _, nd := range c.nodes {
		if !nd.rn.HasReady() {
			continue
		}
		busy = true
		rd := nd.rn.Ready()
		if err := nd.st.Save(rd.HardState, rd.Entries); err != nil {
			c.t.Fatalf("node %d: save: %v", nd.id, err)
		}
		c.queue = append(c.queue, rd.Messages...)
		for _, e := range rd.CommittedEntries {
			c.apply(nd, e)
		}
		nd.rn.Advance(rd)
	}
	msgs := c.queue
	c.queue = nil
	for _, m := range msgs {
		busy = true
		if err := c.nodes[m.To-1].rn.Step(m); err != nil && !errors.Is(err, raft.ErrStepLocalMsg) {
			c.t.Fatalf("node %d steps %v: %v", m.To, m.Type, err)
		}
	}
	return busy
}

func (c *cluster) apply(nd *node, e pb.Entry) {
	switch {
	case e.Type == pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			c.t.Fatal(err)
		}
		nd.rn.ApplyConfChange(cc)
	case e.Type == pb.EntryNormal && len(e.Data) == 8:
		nd.applied = append(nd.applied, binary.BigEndian.Uint64(e.Data))
	}
}

// run proposes commands from+1..from+n on the leader, at most burst not yet
// applied by the leader at a time, and runs the cluster until every node
// has applied them all. Each node must have applied exactly 1..from+n, in
// order.
func (c *cluster) run(from, n, burst int) {
	leader := c.nodes[0]
	next := from + 1
	for {
		for next <= from+n && next-1-len(leader.applied) < burst {
			data := binary.BigEndian.AppendUint64(nil, uint64(next))
			if err := leader.rn.Propose(data); err != nil {
				c.t.Fatalf("propose %d: %v", next, err)
			}
			next++
		}
		done := true
		for _, nd := range c.nodes {
			done = done && len(nd.applied) == from+n
		}
		if done {
			break
		}
		if !c.step() {
			c.t.Fatalf("the cluster stopped with %d, %d and %d commands applied of %d",
				len(c.nodes[0].applied), len(c.nodes[1].applied), len(c.nodes[2].applied), from+n)
		}
	}
	for _, nd := range c.nodes {
		for i, cmd := range nd.applied {
			if cmd != uint64(i+1) {
				c.t.Fatalf("node %d applied command %d at position %d", nd.id, cmd, i+1)
			}
		}
	}
}
