package etcdraft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// The cluster harness: RawNodes of etcd raft in one process, driven by the
// test goroutine alone. Time is the ticks it gives; a router queues the
// messages of each Ready and delivers them, dropping those to or from a
// stopped or isolated node. Each node's Storage is in its own directory on
// the OS file system. With no goroutines and no clock, nothing waits:
// the harness runs until a condition holds.

// quiet silences etcd raft's logger.
var quiet = &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}

type cluster struct {
	t        testing.TB
	nodes    []*node
	queue    []pb.Message
	nextID   uint64 // the next command id; commands are 1, 2, 3, ...
	applied  map[uint64]bool
	snapshot uint64 // every node snapshots after this many applied entries
	trailing uint64 // and compacts all but this many entries before it
}

type node struct {
	id      uint64
	dir     string
	running bool
	cut     bool
	st      *Storage
	rn      *raft.RawNode
	cs      pb.ConfState
	index   uint64   // the last entry applied
	cmds    []uint64 // the state machine: the commands applied, in order
	snapAt  uint64   // index of the node's latest snapshot
	closed  Counters // counters of the Storages this node has closed
}

func newCluster(t testing.TB, n int) *cluster {
	c := &cluster{t: t, nextID: 1, applied: map[uint64]bool{}, snapshot: 300, trailing: 50}
	var peers []raft.Peer
	for i := range n {
		id := uint64(i + 1)
		c.nodes = append(c.nodes, &node{id: id, dir: filepath.Join(t.TempDir(), fmt.Sprint(id))})
		peers = append(peers, raft.Peer{ID: id})
	}
	for _, nd := range c.nodes {
		c.start(nd)
		if err := nd.rn.Bootstrap(peers); err != nil {
			t.Fatalf("bootstrap %d: %v", nd.id, err)
		}
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			if nd.running {
				c.stop(nd)
			}
		}
	})
	return c
}

// start opens nd's Storage from its directory, restores its state machine
// from the latest snapshot, and starts a RawNode that applies what follows.
func (c *cluster) start(nd *node) {
	st, err := Open(filepath.Join(nd.dir, "log"), raftlog.Config{ChunkMaxBytes: 16 << 10, CacheMaxItems: 256})
	if err != nil {
		c.t.Fatalf("open the storage of %d: %v", nd.id, err)
	}
	snap, err := st.Snapshot()
	if err != nil {
		c.t.Fatal(err)
	}
	nd.st, nd.cmds, nd.index, nd.snapAt, nd.cs = st, nil, 0, 0, pb.ConfState{}
	if !raft.IsEmptySnap(snap) {
		nd.restore(c.t, snap)
	}
	nd.rn, err = raft.NewRawNode(&raft.Config{
		ID: nd.id, ElectionTick: 10, HeartbeatTick: 1, Storage: st, Applied: nd.index,
		MaxSizePerMsg: 4 << 10, MaxInflightMsgs: 64, CheckQuorum: true, PreVote: true, Logger: quiet,
	})
	if err != nil {
		c.t.Fatalf("start %d: %v", nd.id, err)
	}
	nd.running = true
}

// stop closes nd's Storage: what the next start finds is what is on disk.
func (c *cluster) stop(nd *node) {
	nd.running = false
	nd.closed = nd.closed.add(nd.st.Counters())
	if err := nd.st.Close(); err != nil {
		c.t.Fatalf("close the storage of %d: %v", nd.id, err)
	}
}

func (c *cluster) restart(nd *node) { c.stop(nd); c.start(nd) }

// restore replaces nd's state machine with a snapshot's.
func (nd *node) restore(t testing.TB, snap pb.Snapshot) {
	cmds, err := decodeCommands(snap.Data)
	if err != nil {
		t.Fatalf("node %d: snapshot %d: %v", nd.id, snap.Metadata.Index, err)
	}
	nd.cmds, nd.index, nd.snapAt, nd.cs = cmds, snap.Metadata.Index, snap.Metadata.Index, snap.Metadata.ConfState
}

// ready handles one Ready of nd, in etcd's order: persist (Save), then
// send, then apply, then Advance. It reports whether there was one.
func (c *cluster) ready(nd *node) bool {
	if !nd.running || !nd.rn.HasReady() {
		return false
	}
	t := c.t
	rd := nd.rn.Ready()
	if err := nd.st.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
		t.Fatalf("node %d: save: %v", nd.id, err)
	}
	c.queue = append(c.queue, rd.Messages...)
	if !raft.IsEmptySnap(rd.Snapshot) {
		nd.restore(t, rd.Snapshot)
	}
	for _, e := range rd.CommittedEntries {
		c.apply(nd, e)
	}
	nd.rn.Advance(rd)
	if nd.index >= nd.snapAt+c.snapshot {
		c.takeSnapshot(nd)
	}
	return true
}

// apply applies one committed entry to nd's state machine.
func (c *cluster) apply(nd *node, e pb.Entry) {
	t := c.t
	if e.Index != nd.index+1 {
		t.Fatalf("node %d applies entry %d after %d", nd.id, e.Index, nd.index)
	}
	nd.index = e.Index
	switch e.Type {
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			t.Fatal(err)
		}
		nd.cs = *nd.rn.ApplyConfChange(cc)
	case pb.EntryNormal:
		if len(e.Data) == 0 {
			return // a new leader's empty entry
		}
		if len(e.Data) != 8 {
			t.Fatalf("node %d: entry %d holds %d bytes, not a command", nd.id, e.Index, len(e.Data))
		}
		id := binary.BigEndian.Uint64(e.Data)
		nd.cmds = append(nd.cmds, id)
		c.applied[id] = true
	}
}

// takeSnapshot snapshots nd's state machine and compacts its log up to
// trailing entries before the snapshot.
func (c *cluster) takeSnapshot(nd *node) {
	if _, err := nd.st.CreateSnapshot(nd.index, &nd.cs, encodeCommands(nd.cmds)); err != nil {
		c.t.Fatalf("node %d: snapshot at %d: %v", nd.id, nd.index, err)
	}
	nd.snapAt = nd.index
	first, _ := nd.st.FirstIndex()
	if at := nd.index - c.trailing; at >= first {
		if err := nd.st.Compact(at); err != nil {
			c.t.Fatalf("node %d: compact through %d: %v", nd.id, at, err)
		}
	}
}

// deliver sends every queued message, dropping those between nodes that
// cannot reach each other, and tells the sender of a snapshot whether it
// got through.
func (c *cluster) deliver() bool {
	msgs := c.queue
	c.queue = nil
	for _, m := range msgs {
		from, to := c.nodes[m.From-1], c.nodes[m.To-1]
		ok := from.running && to.running && !from.cut && !to.cut
		if ok {
			if err := to.rn.Step(m); err != nil && !errors.Is(err, raft.ErrStepLocalMsg) {
				c.t.Fatalf("node %d steps %v: %v", to.id, m.Type, err)
			}
		} else if from.running {
			from.rn.ReportUnreachable(m.To)
		}
		if m.Type == pb.MsgSnap && from.running {
			status := raft.SnapshotFinish
			if !ok {
				status = raft.SnapshotFailure
			}
			from.rn.ReportSnapshot(m.To, status)
		}
	}
	return len(msgs) > 0
}

// settle handles Readies and delivers messages until nothing moves.
func (c *cluster) settle() {
	for moved := true; moved; {
		moved = false
		for _, nd := range c.nodes {
			for c.ready(nd) {
				moved = true
			}
		}
		if c.deliver() {
			moved = true
		}
	}
}

// runUntil ticks every running node and settles, until cond holds.
func (c *cluster) runUntil(cond func() bool) {
	c.settle()
	for !cond() {
		for _, nd := range c.nodes {
			if nd.running {
				nd.rn.Tick()
			}
		}
		c.settle()
	}
}

// leader runs until a running node that is not cut off leads.
func (c *cluster) leader() *node {
	var l *node
	c.runUntil(func() bool {
		for _, nd := range c.nodes {
			if c.leads(nd) {
				l = nd
				return true
			}
		}
		return false
	})
	return l
}

// propose proposes n new commands on nd.
func (c *cluster) propose(nd *node, n int) []uint64 {
	var ids []uint64
	for range n {
		id := c.nextID
		c.nextID++
		if err := nd.rn.Propose(binary.BigEndian.AppendUint64(nil, id)); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// commit proposes commands on the leader until n of them are applied
// (committed) somewhere. It waits for each batch until its last command is
// applied or its proposer no longer leads; a proposal dropped or
// overwritten is never sent again.
func (c *cluster) commit(n int) {
	for n > 0 {
		l := c.leader()
		ids := c.propose(l, n)
		c.runUntil(func() bool {
			return len(ids) == 0 || c.applied[ids[len(ids)-1]] || !c.leads(l)
		})
		for _, id := range ids {
			if c.applied[id] {
				n--
			}
		}
	}
}

// leads reports whether nd is running, not cut off, and leader.
func (c *cluster) leads(nd *node) bool {
	return nd.running && !nd.cut && nd.rn.BasicStatus().RaftState == raft.StateLeader
}

// converge runs until every running node has applied the leader's commit
// index, then checks the state machines: the same commands in the same
// order on every node, each at most once, in increasing order (the test
// proposes them in that order), and every command any node ever applied
// among them (a committed command is never lost).
func (c *cluster) converge() []uint64 {
	t := c.t
	var l *node
	c.runUntil(func() bool {
		l = nil
		for _, nd := range c.nodes {
			if c.leads(nd) {
				l = nd
			}
		}
		if l == nil {
			return false
		}
		commit := l.rn.BasicStatus().Commit
		for _, nd := range c.nodes {
			if nd.running && nd.index < commit {
				return false
			}
		}
		return true
	})
	want := l.cmds
	for _, nd := range c.nodes {
		if nd.running && !slices.Equal(nd.cmds, want) {
			t.Fatalf("node %d applied %d commands, the leader %d %d", nd.id, len(nd.cmds), l.id, len(want))
		}
	}
	for i := 1; i < len(want); i++ {
		if want[i] <= want[i-1] {
			t.Fatalf("command %d applied after command %d: out of order or twice", want[i], want[i-1])
		}
	}
	have := map[uint64]bool{}
	for _, id := range want {
		have[id] = true
	}
	for id := range c.applied {
		if !have[id] {
			t.Fatalf("command %d was applied once and is lost", id)
		}
	}
	return want
}

func encodeCommands(ids []uint64) []byte {
	var b []byte
	prev := uint64(0)
	for _, id := range ids {
		b = binary.AppendUvarint(b, id-prev)
		prev = id
	}
	return b
}

func decodeCommands(b []byte) ([]uint64, error) {
	var ids []uint64
	prev := uint64(0)
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("malformed command list")
		}
		prev += d
		ids = append(ids, prev)
		b = b[n:]
	}
	return ids, nil
}

// add sums counters.
func (a Counters) add(b Counters) Counters {
	return Counters{
		Saves: a.Saves + b.Saves, Syncs: a.Syncs + b.Syncs, Appended: a.Appended + b.Appended,
		Truncates: a.Truncates + b.Truncates, Snapshots: a.Snapshots + b.Snapshots, Compactions: a.Compactions + b.Compactions,
	}
}
