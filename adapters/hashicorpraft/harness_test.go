package hashicorpraft

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// The cluster harness: nodes of hashicorp/raft in one process, joined by
// its in-memory transport, each with its log and stable store in its own
// directory on the OS file system, and a state machine that records the
// commands it applies. The test goroutine drives it and waits on events:
// the engine's observations (leader and state changes), state-machine
// applies and log-store writes all wake it through one channel.

var engineLog = flag.Bool("engine-log", false, "print hashicorp/raft's log to stderr")

// backend opens the log and stable stores of a node in dir.
type backend struct {
	name string
	open func(dir string) (raft.LogStore, raft.StableStore, io.Closer, error)
}

// cluster is a set of nodes and the events that wake the test goroutine.
type cluster struct {
	t      testing.TB
	be     backend
	nodes  []*node
	events chan struct{}
	conf   func(*raft.Config)
	nextID uint64 // the next command id; commands are 1, 2, 3, ...
	acked  []uint64
}

// node is one server; its fields change only on the test goroutine.
type node struct {
	id      raft.ServerID
	dir     string
	running bool
	cut     bool // disconnected from every peer
	trans   *raft.InmemTransport
	logs    *notifyingLogs
	stable  raft.StableStore
	closer  io.Closer
	snaps   raft.SnapshotStore
	fsm     *fsm
	r       *raft.Raft
	obs     *raft.Observer
	stopObs chan struct{}
	wg      sync.WaitGroup
	// counters of the raftlog stores this node has closed.
	closed Counters
}

func newCluster(t testing.TB, be backend, n int, conf func(*raft.Config)) *cluster {
	c := &cluster{t: t, be: be, events: make(chan struct{}, 1), conf: conf, nextID: 1}
	var servers []raft.Server
	for i := range n {
		id := raft.ServerID(fmt.Sprintf("n%d", i))
		c.nodes = append(c.nodes, &node{id: id, dir: filepath.Join(t.TempDir(), string(id))})
		servers = append(servers, raft.Server{ID: id, Address: raft.ServerAddress(id)})
	}
	for _, nd := range c.nodes {
		c.start(nd)
		if err := nd.r.BootstrapCluster(raft.Configuration{Servers: servers}).Error(); err != nil {
			t.Fatalf("bootstrap %s: %v", nd.id, err)
		}
	}
	t.Cleanup(c.shutdown)
	return c
}

// notify wakes the test goroutine; events coalesce, as the waiter checks
// its condition again after each.
func (c *cluster) notify() {
	select {
	case c.events <- struct{}{}:
	default:
	}
}

// waitFor waits, on events, until cond holds. No deadline: a hang is a
// failure that go test's -timeout reports with every goroutine's stack.
func (c *cluster) waitFor(cond func() bool) {
	for !cond() {
		<-c.events
	}
}

func (c *cluster) config(nd *node) *raft.Config {
	conf := raft.DefaultConfig()
	conf.LocalID = nd.id
	conf.HeartbeatTimeout = 100 * time.Millisecond
	conf.ElectionTimeout = 100 * time.Millisecond
	conf.LeaderLeaseTimeout = 100 * time.Millisecond
	conf.CommitTimeout = 5 * time.Millisecond
	conf.Logger = hclog.NewNullLogger()
	if *engineLog {
		conf.Logger = hclog.New(&hclog.LoggerOptions{Name: string(nd.id), Level: hclog.Info, Output: os.Stderr})
	}
	if c.conf != nil {
		c.conf(conf)
	}
	return conf
}

// start opens nd's stores from its directory and starts its raft, which
// restores the latest snapshot and then replays what the leader commits.
func (c *cluster) start(nd *node) {
	t := c.t
	logs, stable, closer, err := c.be.open(filepath.Join(nd.dir, "log"))
	if err != nil {
		t.Fatalf("open the stores of %s: %v", nd.id, err)
	}
	nd.logs = &notifyingLogs{LogStore: logs, notify: c.notify}
	nd.stable, nd.closer = stable, closer
	if nd.snaps == nil {
		if nd.snaps, err = raft.NewFileSnapshotStoreWithLogger(filepath.Join(nd.dir, "snaps"), 2, hclog.NewNullLogger()); err != nil {
			t.Fatal(err)
		}
	}
	nd.fsm = &fsm{notify: c.notify}
	_, nd.trans = raft.NewInmemTransport(raft.ServerAddress(nd.id))
	nd.running = true
	c.connect(nd)
	if nd.r, err = raft.NewRaft(c.config(nd), nd.fsm, nd.logs, nd.stable, nd.snaps, nd.trans); err != nil {
		t.Fatalf("start %s: %v", nd.id, err)
	}
	ch := make(chan raft.Observation, 16)
	nd.obs = raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.LeaderObservation, raft.RaftState:
			return true
		}
		return false
	})
	nd.r.RegisterObserver(nd.obs)
	nd.stopObs = make(chan struct{})
	nd.wg.Add(1)
	go func() {
		defer nd.wg.Done()
		for {
			select {
			case <-ch:
				c.notify()
			case <-nd.stopObs:
				return
			}
		}
	}()
}

// stop shuts nd's raft down and closes its stores: what a process exit
// leaves is what the next start finds on disk.
func (c *cluster) stop(nd *node) {
	c.disconnect(nd)
	nd.running = false
	if err := nd.r.Shutdown().Error(); err != nil {
		c.t.Fatalf("shut %s down: %v", nd.id, err)
	}
	nd.r.DeregisterObserver(nd.obs)
	close(nd.stopObs)
	nd.wg.Wait()
	if s, ok := nd.logs.LogStore.(*Store); ok {
		nd.closed = nd.closed.add(s.Counters())
	}
	if err := nd.closer.Close(); err != nil {
		c.t.Fatalf("close the stores of %s: %v", nd.id, err)
	}
}

func (c *cluster) restart(nd *node) {
	c.stop(nd)
	c.start(nd)
}

func (c *cluster) shutdown() {
	for _, nd := range c.nodes {
		if nd.running {
			c.stop(nd)
		}
	}
}

// connect joins nd with every running peer that is not cut off, both ways.
func (c *cluster) connect(nd *node) {
	if nd.cut {
		return
	}
	for _, p := range c.nodes {
		if p != nd && p.running && !p.cut {
			nd.trans.Connect(raft.ServerAddress(p.id), p.trans)
			p.trans.Connect(raft.ServerAddress(nd.id), nd.trans)
		}
	}
}

func (c *cluster) disconnect(nd *node) {
	nd.trans.DisconnectAll()
	for _, p := range c.nodes {
		if p != nd && p.running {
			p.trans.Disconnect(raft.ServerAddress(nd.id))
		}
	}
}

// isolate cuts nd off from every peer; heal joins it again.
func (c *cluster) isolate(nd *node) { nd.cut = true; c.disconnect(nd) }
func (c *cluster) heal(nd *node)    { nd.cut = false; c.connect(nd) }

// leader waits for a running node that is not cut off and is leader.
func (c *cluster) leader() *node {
	var l *node
	c.waitFor(func() bool {
		for _, nd := range c.nodes {
			if nd.running && !nd.cut && nd.r.State() == raft.Leader {
				l = nd
				return true
			}
		}
		return false
	})
	return l
}

// command makes the entry of command id: its data is the id, its
// extensions derived from it, so that the state machine can check both.
func command(id uint64) raft.Log {
	return raft.Log{Data: binary.BigEndian.AppendUint64(nil, id), Extensions: []byte(fmt.Sprintf("ext-%d", id))}
}

// submit applies n new commands on nd without waiting.
func (c *cluster) submit(nd *node, n int) (ids []uint64, fs []raft.ApplyFuture) {
	for range n {
		id := c.nextID
		c.nextID++
		ids = append(ids, id)
		fs = append(fs, nd.r.ApplyLog(command(id), 0))
	}
	return ids, fs
}

// apply applies n commands on the leader, as one burst that the engine
// batches, and records those acknowledged as committed. It retries on the
// next leader until n are acknowledged; a command whose future failed may
// or may not be committed, and is never sent again.
func (c *cluster) apply(n int) {
	for n > 0 {
		ids, fs := c.submit(c.leader(), n)
		for i, f := range fs {
			if f.Error() == nil {
				c.acked = append(c.acked, ids[i])
				n--
			}
		}
	}
}

// converge waits until every running node has applied everything the
// leader has, then checks the state machines: the same commands in the
// same order on every node, each command at most once, in increasing id
// order (the test submits them in that order, one burst at a time), and
// every acknowledged command among them.
func (c *cluster) converge() []uint64 {
	t := c.t
	var l *node
	for {
		l = c.leader()
		if err := l.r.Barrier(0).Error(); err == nil {
			break
		}
	}
	want := l.fsm.commands()
	c.waitFor(func() bool {
		for _, nd := range c.nodes {
			if nd.running && nd.fsm.len() < len(want) {
				return false
			}
		}
		return true
	})
	for _, nd := range c.nodes {
		if err := nd.fsm.error(); err != nil {
			t.Fatalf("%s: %v", nd.id, err)
		}
		if !nd.running {
			continue
		}
		if got := nd.fsm.commands(); !slices.Equal(got, want) {
			t.Fatalf("%s applied %d commands, the leader %s %d; first difference at %d", nd.id, len(got), l.id, len(want), firstDiff(got, want))
		}
	}
	for i := 1; i < len(want); i++ {
		if want[i] <= want[i-1] {
			t.Fatalf("command %d applied after command %d: out of order or twice", want[i], want[i-1])
		}
	}
	applied := map[uint64]bool{}
	for _, id := range want {
		applied[id] = true
	}
	for _, id := range c.acked {
		if !applied[id] {
			t.Fatalf("acknowledged command %d is not applied", id)
		}
	}
	return want
}

func firstDiff(a, b []uint64) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// notifyingLogs wakes the test goroutine after every log-store write, so
// that it can wait for the engine to have stored something.
type notifyingLogs struct {
	raft.LogStore
	notify func()
}

func (n *notifyingLogs) StoreLogs(logs []*raft.Log) error {
	defer n.notify()
	return n.LogStore.StoreLogs(logs)
}

func (n *notifyingLogs) StoreLog(l *raft.Log) error { return n.StoreLogs([]*raft.Log{l}) }

func (n *notifyingLogs) DeleteRange(lo, hi uint64) error {
	defer n.notify()
	return n.LogStore.DeleteRange(lo, hi)
}

// IsMonotonic forwards the store's answer: the engine behaves differently
// with monotonic stores.
func (n *notifyingLogs) IsMonotonic() bool {
	m, ok := n.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

// fsm records the commands it applies. Its snapshot is the list, as
// uvarint deltas.
type fsm struct {
	notify func()
	mu     sync.Mutex
	ids    []uint64
	err    error
}

func (f *fsm) Apply(l *raft.Log) any {
	defer f.notify()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(l.Data) != 8 {
		f.fail(fmt.Errorf("entry %d holds %d bytes, not a command", l.Index, len(l.Data)))
		return nil
	}
	id := binary.BigEndian.Uint64(l.Data)
	if want := command(id).Extensions; !bytes.Equal(l.Extensions, want) {
		f.fail(fmt.Errorf("entry %d (command %d) has extensions %q, want %q", l.Index, id, l.Extensions, want))
	}
	if l.AppendedAt.IsZero() {
		f.fail(fmt.Errorf("entry %d (command %d) lost its appended-at time", l.Index, id))
	}
	f.ids = append(f.ids, id)
	return nil
}

func (f *fsm) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b []byte
	prev := uint64(0)
	for _, id := range f.ids {
		b = binary.AppendUvarint(b, id-prev)
		prev = id
	}
	return snapshot(b), nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer f.notify()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	var ids []uint64
	prev := uint64(0)
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("fsm: malformed snapshot")
		}
		prev += d
		ids = append(ids, prev)
		b = b[n:]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = ids
	return nil
}

func (f *fsm) commands() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ids)
}

func (f *fsm) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ids)
}

func (f *fsm) error() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

type snapshot []byte

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshot) Release() {}

// add sums counters.
func (a Counters) add(b Counters) Counters {
	return Counters{
		Stored: a.Stored + b.Stored, StoreCalls: a.StoreCalls + b.StoreCalls,
		Purges: a.Purges + b.Purges, Truncates: a.Truncates + b.Truncates, Rebases: a.Rebases + b.Rebases,
		StableSets: a.StableSets + b.StableSets, Syncs: a.Syncs + b.Syncs,
	}
}
