package counter_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/raftlog/raftlog/crashtest"
	"github.com/raftlog/raftlog/examples/counter"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// seeds is the budget: 10,000 seeded crash runs, each of four sessions
// (three of them crashed at a random I/O, in a random mode). Under the race
// detector, which makes them some ten times slower, 1,000.
var seeds = map[bool]int{false: 10_000, true: 1_000}[raceEnabled]

// history is what the test asked of the counter: every addition attempted
// (by entry id) and those acknowledged.
type history struct {
	attempted        map[raftlog.LogID]uint64
	acked            []raftlog.LogID
	sumAcked, sumAll uint64
}

// TestCounterSurvivesCrashes runs the replicated counter on a machine that
// crashes at a random I/O of each session, in a random mode (a process
// crash or a power loss keeping writes in order or sectors in any order),
// with one replica in four sessions down, and checks the counter's own
// invariants after every restart: every acknowledged addition is in the new
// leader's log (or in its snapshot), the counter is at least the sum of the
// acknowledged additions and at most the sum of all attempted, the log holds
// no entry nobody attempted, and the follower holds the same counter.
func TestCounterSurvivesCrashes(t *testing.T) {
	crashtest.Check(t, func(m *crashtest.Machine) error {
		open := func(i int) (*raftlog.DefaultLog, error) {
			return crashtest.OpenLog(m, fmt.Sprintf("/replica%d", i+1), raftlog.DefaultTypes, raftlog.Config{ChunkMaxRecords: 4})
		}
		h := &history{attempted: map[raftlog.LogID]uint64{}}
		for session := range 4 {
			final := session == 3
			down := m.Rand().IntN(counter.Replicas + 1) // counter.Replicas: all up
			if final {
				down = -1
			} else {
				m.CrashSoon(120)
			}
			err := runSession(m, h, open, down)
			switch {
			case final && err != nil:
				return fmt.Errorf("the last session, with no crash: %w", err)
			case err != nil && !errors.Is(err, fs.ErrHalted):
				return fmt.Errorf("session %d: %w", session, err)
			case err != nil:
				m.Logf("session %d: halted: %v", session, err)
			default:
				m.Logf("session %d: done after I/O %d", session, m.IOs())
			}
			if !final {
				m.RandomCrash()
			}
		}
		m.Logf("%d additions attempted, %d acknowledged, sum %d..%d", len(h.attempted), len(h.acked), h.sumAcked, h.sumAll)
		return nil
	}, crashtest.Seeds(seeds))
}

// runSession boots the cluster, checks it, and adds a few values.
func runSession(m *crashtest.Machine, h *history, open counter.Opener, down int) error {
	c, err := counter.Boot(open, down)
	if err != nil {
		return err
	}
	if err := check(c, h); err != nil {
		return err
	}
	for range 1 + m.Rand().IntN(8) {
		delta := 1 + m.Rand().Uint64N(1000)
		id := nextID(c)
		h.attempted[id] = delta
		h.sumAll += delta
		if _, err := c.Add(delta); err != nil {
			return err
		}
		h.acked = append(h.acked, id)
		h.sumAcked += delta
	}
	if m.Rand().IntN(3) == 0 {
		if err := c.Compact(); err != nil {
			return err
		}
	}
	return c.Close()
}

// nextID is the id Add gives the next entry.
func nextID(c *counter.Cluster) raftlog.LogID {
	st := c.Leader().State()
	return raftlog.LogID{Term: st.Vote.Value().Term, Index: st.Last.Value().Index + 1}
}

// check verifies the counter's invariants on a cluster that just booted.
func check(c *counter.Cluster, h *history) error {
	l := c.Leader()
	st := l.State()
	purged := st.Purged.Value().Index // 0: nothing purged, and index 0 is never used
	for _, id := range h.acked {
		if id.Index <= purged {
			continue // in the snapshot: the value below accounts for it
		}
		got, err := l.LogIDAt(id.Index)
		if err != nil || got != id {
			return fmt.Errorf("acknowledged entry %v is lost: the leader holds %v at its index (%v); state %v", id, got, err, st)
		}
	}
	v := c.Value()
	if v < h.sumAcked || v > h.sumAll {
		return fmt.Errorf("counter %d: the acknowledged additions sum to %d, all attempted to %d", v, h.sumAcked, h.sumAll)
	}
	if last, ok := st.Last.Get(); ok && last.Index > purged {
		for e, err := range l.Read(purged+1, last.Index+1) {
			if err != nil {
				return err
			}
			d := e.Payload
			delta := uint64(d[0])<<56 | uint64(d[1])<<48 | uint64(d[2])<<40 | uint64(d[3])<<32 | uint64(d[4])<<24 | uint64(d[5])<<16 | uint64(d[6])<<8 | uint64(d[7])
			if want, ok := h.attempted[e.ID]; delta != 0 && (!ok || want != delta) {
				return fmt.Errorf("entry %v adds %d; the test attempted %d there (attempted: %v)", e.ID, delta, want, ok)
			}
		}
	}
	if f := c.Follower(); f != nil {
		fv, err := counter.Value(f)
		if err != nil || fv != v {
			return fmt.Errorf("the follower's counter is %d (%v), the leader's %d", fv, err, v)
		}
	}
	return nil
}
