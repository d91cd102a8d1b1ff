// Package counter is a tiny replicated counter on raftlog, the example of
// package crashtest: three replicas keep Raft logs of additions, one leader
// at a time replicates them, and an addition is acknowledged once a
// majority (the leader and one follower) has synced it. Its test crashes
// the machine under it at random I/Os, in every crash mode, for 10,000
// seeds, and checks the counter's own invariants after every restart.
//
// It is Raft reduced to what a crash test needs, on one machine: no
// network and no timers. Each Boot elects the most up-to-date of the
// replicas that are up (two of three: a majority), at a term above every
// vote; the leader brings the other up-to-date replica in line (a snapshot
// if it is behind the leader's purge point, a truncation of a conflicting
// tail, the missing entries), appends an empty entry at its term and
// commits its whole log once a majority holds it. Add appends, replicates
// and commits; Compact saves the counter's value as the log's user data and
// purges the entries it covers.
package counter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/raftlog/raftlog/raftlog"
)

// Replicas is the number of replicas; a majority is two.
const Replicas = 3

// Opener opens replica i's log (0 <= i < Replicas), creating it if needed.
type Opener func(i int) (*raftlog.DefaultLog, error)

// Cluster is the replicas that are up and their leader.
type Cluster struct {
	logs     [Replicas]*raftlog.DefaultLog // nil: down
	leader   int
	follower int // the other replica that is up
	term     uint64
	value    uint64 // the leader's counter, through its last entry
}

// ErrDiverged is matched by the error of Boot when replicas hold different
// committed histories: the bug this example's test looks for.
var ErrDiverged = errors.New("counter: replicas diverge below a commit point")

// Boot opens the replicas except down (every replica stays up if down is
// outside [0, Replicas)), elects a leader among the two that are up, brings
// the follower in line and commits the leader's log.
func Boot(open Opener, down int) (*Cluster, error) {
	c := &Cluster{leader: -1, follower: -1}
	for i := range Replicas {
		l, err := open(i)
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		// A replica that is down this time still has a vote on disk: the
		// new term goes above it, so that it accepts the leader later.
		if v, ok := l.State().Vote.Get(); ok {
			c.term = max(c.term, v.Term)
		}
		if i == down {
			if err := l.Close(); err != nil {
				return nil, fmt.Errorf("replica %d: %w", i, err)
			}
			continue
		}
		c.logs[i] = l
		switch {
		case c.leader < 0:
			c.leader = i
		case compareLast(l, c.logs[c.leader]) > 0:
			c.leader, c.follower = i, c.leader
		case c.follower < 0 || compareLast(l, c.logs[c.follower]) > 0:
			c.follower = i
		}
	}
	c.term++
	for _, i := range c.up() {
		if _, err := c.logs[i].SaveVote(raftlog.Vote{Term: c.term, NodeID: uint64(c.leader + 1), Committed: true}); err != nil {
			return nil, err
		}
	}
	leader := c.logs[c.leader]
	v, err := Value(leader)
	if err != nil {
		return nil, err
	}
	c.value = v
	if err := c.catchUp(); err != nil {
		return nil, err
	}
	// An empty entry at the new term commits everything before it once a
	// majority holds it (Raft commits earlier terms' entries only so).
	if _, err := c.Add(0); err != nil {
		return nil, err
	}
	return c, nil
}

// up lists the replicas that are up, the leader first.
func (c *Cluster) up() []int {
	if c.follower < 0 {
		return []int{c.leader}
	}
	return []int{c.leader, c.follower}
}

func compareLast(a, b *raftlog.DefaultLog) int {
	la, oka := a.State().Last.Get()
	lb, okb := b.State().Last.Get()
	switch {
	case oka != okb:
		if oka {
			return 1
		}
		return -1
	case !oka:
		return 0
	}
	return la.Compare(lb)
}

// catchUp makes the follower's log a copy of the leader's.
func (c *Cluster) catchUp() error {
	if c.follower < 0 {
		return nil
	}
	l, f := c.logs[c.leader], c.logs[c.follower]
	ls, fs := l.State(), f.State()
	match, found := uint64(0), false
	if fl, ok := fs.Last.Get(); ok {
		for i := min(fl.Index, ls.Last.Value().Index); ; i-- {
			lid, lerr := l.LogIDAt(i)
			fid, ferr := f.LogIDAt(i)
			if lerr == nil && ferr == nil && lid == fid {
				match, found = i, true
				break
			}
			if lerr != nil || ferr != nil || i == 0 {
				break // below what one of them holds
			}
		}
	}
	lp, leaderPurged := ls.Purged.Get()
	switch {
	case found:
		if fl := fs.Last.Value(); fl.Index > match {
			if _, err := f.Truncate(match + 1); err != nil {
				return fmt.Errorf("replica %d: %w", c.follower, err)
			}
		}
	case leaderPurged:
		// Behind the leader's snapshot: install it.
		snap := raftlog.State[raftlog.LogID, raftlog.Vote, []byte]{
			Vote: fs.Vote, Last: ls.Purged, Committed: ls.Purged, Purged: ls.Purged, UserData: ls.UserData,
		}
		if _, err := f.UpdateState(snap); err != nil {
			return fmt.Errorf("replica %d: installing the snapshot at %v: %w", c.follower, lp, err)
		}
		match = lp.Index
	default:
		if fp, ok := fs.Purged.Get(); ok {
			return fmt.Errorf("%w: replica %d was purged through %v, which the leader does not hold", ErrDiverged, c.follower, fp)
		}
		if fs.Last.IsSome() {
			if _, err := f.Truncate(1); err != nil {
				return fmt.Errorf("replica %d: %w", c.follower, err)
			}
		}
	}
	if last, ok := ls.Last.Get(); ok && last.Index > match {
		var es []raftlog.Entry[raftlog.LogID, []byte]
		for e, err := range l.Read(match+1, last.Index+1) {
			if err != nil {
				return fmt.Errorf("replica %d: %w", c.leader, err)
			}
			es = append(es, e)
		}
		if _, err := f.Append(es...); err != nil {
			return fmt.Errorf("replica %d: %w", c.follower, err)
		}
	}
	return f.Sync()
}

// Add adds delta: it appends an entry at the leader's term, syncs it on the
// leader and the follower, and commits it on the leader. It returns the
// entry's id; a nil error means a majority holds it durably (acknowledged).
func (c *Cluster) Add(delta uint64) (raftlog.LogID, error) {
	leader := c.logs[c.leader]
	id := raftlog.LogID{Term: c.term, Index: 1}
	if last, ok := leader.State().Last.Get(); ok {
		id.Index = last.Index + 1
	}
	e := raftlog.Entry[raftlog.LogID, []byte]{ID: id, Payload: binary.BigEndian.AppendUint64(nil, delta)}
	synced := 0
	for _, i := range c.up() {
		if _, err := c.logs[i].Append(e); err != nil {
			return id, fmt.Errorf("replica %d: %w", i, err)
		}
		if err := c.logs[i].Sync(); err != nil {
			return id, fmt.Errorf("replica %d: %w", i, err)
		}
		synced++
	}
	if synced < 2 {
		return id, fmt.Errorf("counter: only %d replica is up, no majority", synced)
	}
	c.value += delta
	_, err := leader.Commit(id)
	return id, err
}

// Compact saves the leader's counter and the index it covers as the log's
// user data, then purges every entry up to that index.
func (c *Cluster) Compact() error {
	l := c.logs[c.leader]
	last, ok := l.State().Committed.Get()
	if !ok {
		return nil
	}
	snap := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, last.Index), c.value)
	if _, err := l.SaveUserData(raftlog.Some(snap)); err != nil {
		return err
	}
	if _, err := l.Purge(last); err != nil {
		return err
	}
	return l.Sync()
}

// Leader is the leader's log.
func (c *Cluster) Leader() *raftlog.DefaultLog { return c.logs[c.leader] }

// Follower is the other replica's log that is up, or nil.
func (c *Cluster) Follower() *raftlog.DefaultLog {
	if c.follower < 0 {
		return nil
	}
	return c.logs[c.follower]
}

// Value is the leader's counter.
func (c *Cluster) Value() uint64 { return c.value }

// Close closes the replicas' logs.
func (c *Cluster) Close() error {
	var errs []error
	for _, i := range c.up() {
		errs = append(errs, c.logs[i].Close())
	}
	return errors.Join(errs...)
}

// Value computes the counter a log holds: the value its snapshot (user
// data) records, plus every entry after the index it covers.
func Value(l *raftlog.DefaultLog) (uint64, error) {
	st := l.State()
	var from, v uint64 = 1, 0
	if u, ok := st.UserData.Get(); ok {
		if len(u) != 16 {
			return 0, fmt.Errorf("counter: a snapshot of %d bytes", len(u))
		}
		from, v = binary.BigEndian.Uint64(u)+1, binary.BigEndian.Uint64(u[8:])
	}
	last, ok := st.Last.Get()
	if !ok || last.Index < from {
		return v, nil
	}
	for e, err := range l.Read(from, last.Index+1) {
		if err != nil {
			return 0, err
		}
		if len(e.Payload) != 8 {
			return 0, fmt.Errorf("counter: entry %v holds %d bytes", e.ID, len(e.Payload))
		}
		v += binary.BigEndian.Uint64(e.Payload)
	}
	return v, nil
}
