package sim

import (
	"fmt"
	"math/rand/v2"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// generator drives the log the way a Raft node does: votes at rising terms,
// leader appends in batches, follower appends that conflict and truncate the
// tail before appending at a higher term, commits, purges after snapshots,
// user data, flushes with and without sync, reads, restarts; plus invalid
// operations, crashes, I/O faults and bit flips.
type generator struct {
	rng   *rand.Rand
	term  uint64
	queue []Op // operations decided together (a truncate and its append)
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 0x6e6))}
}

// next picks the next operation for a log whose model is m.
func (g *generator) next(m *model, poisoned bool) Op {
	if len(g.queue) > 0 {
		op := g.queue[0]
		g.queue = g.queue[1:]
		return op
	}
	if l, ok := m.st.Last.Get(); ok {
		g.term = max(g.term, l.Term)
	}
	if v, ok := m.st.Vote.Get(); ok {
		g.term = max(g.term, v.Term)
	}
	g.term = max(g.term, 1)
	if poisoned && g.rng.IntN(3) == 0 {
		if g.rng.IntN(2) == 0 {
			return Op{Kind: OpReopen}
		}
		return g.crash()
	}
	p := g.rng.IntN(1000)
	switch {
	case p < 280:
		return g.leaderAppend(m)
	case p < 330:
		if op, ok := g.conflict(m); ok {
			return op
		}
		return g.leaderAppend(m)
	case p < 370:
		g.term++
		return Op{Kind: OpVote, Vote: raftlog.Vote{Term: g.term, NodeID: g.rng.Uint64N(3) + 1, Committed: g.rng.IntN(2) == 0}}
	case p < 430:
		if op, ok := g.commit(m); ok {
			return op
		}
	case p < 470:
		if op, ok := g.purge(m); ok {
			return op
		}
	case p < 490:
		if g.rng.IntN(4) == 0 {
			return Op{Kind: OpUserData, NoUser: true}
		}
		return Op{Kind: OpUserData, User: g.payload("user")}
	case p < 500:
		return g.updateState(m)
	case p < 580:
		return Op{Kind: OpFlush, Sync: true}
	case p < 620:
		return Op{Kind: OpFlush, Sync: false}
	case p < 700:
		return Op{Kind: OpStep}
	case p < 740:
		return Op{Kind: OpSync}
	case p < 800:
		return g.read(m)
	case p < 850:
		return g.invalid(m)
	case p < 865:
		return Op{Kind: OpReopen}
	case p < 905:
		return g.crash()
	case p < 925:
		return g.fault()
	case p < 935:
		return Op{Kind: OpFlip, Seed: g.rng.Uint64()}
	case p < 950:
		return Op{Kind: OpDamage, Seed: g.rng.Uint64()}
	}
	return Op{Kind: OpStep}
}

// payload is a few dozen bytes, now and then several hundred (over the
// record limit of many seeds).
func (g *generator) payload(kind string) []byte {
	b := fmt.Appendf(nil, "%s-%d-", kind, g.rng.Uint32())
	n := g.rng.IntN(48)
	if g.rng.IntN(40) == 0 {
		n = 200 + g.rng.IntN(600)
	}
	for ; n > 0; n-- {
		b = append(b, byte('a'+g.rng.IntN(26)))
	}
	return b
}

// updateState installs a state the way a snapshot or a repair would: the
// current one with new user data, one cut back to an earlier entry, or a
// snapshot point beyond the log (purged = last).
func (g *generator) updateState(m *model) Op {
	s := m.st
	s.UserData = raftlog.Some(g.payload("state"))
	switch g.rng.IntN(3) {
	case 1:
		if len(m.ents) > 0 {
			s.Last = raftlog.Some(m.ents[g.rng.IntN(len(m.ents))].ID)
			s.Purged = raftlog.None[logID]()
			if p, ok := m.st.Purged.Get(); ok && cmpOpt(raftlog.Some(p), s.Last) <= 0 {
				s.Purged = raftlog.Some(p)
			}
		}
	case 2:
		g.term++
		id := raftlog.LogID{Term: g.term, Index: next(m.st.Last) + g.rng.Uint64N(4)}
		s.Last, s.Purged = raftlog.Some(id), raftlog.Some(id)
	}
	return Op{Kind: OpState, State: s}
}

// entries builds n entries from index i at term t.
func (g *generator) entries(t, i uint64, n int) []entry {
	es := make([]entry, n)
	for k := range es {
		id := raftlog.LogID{Term: t, Index: i + uint64(k)}
		es[k] = entry{ID: id, Payload: g.payload(fmt.Sprintf("e%d.%d", id.Term, id.Index))}
	}
	return es
}

func (g *generator) leaderAppend(m *model) Op {
	i := next(m.st.Last)
	if i == 0 {
		i = 1
	}
	return Op{Kind: OpAppend, Entries: g.entries(g.term, i, 1+g.rng.IntN(6))}
}

// conflict is a follower receiving entries from a new leader that disagree
// with its tail: truncate above the commit point, append at a higher term.
func (g *generator) conflict(m *model) (Op, bool) {
	lo := max(next(m.st.Committed), next(m.st.Purged)+1, m.first+1)
	if lo >= m.end() {
		return Op{}, false
	}
	at := lo + g.rng.Uint64N(m.end()-lo)
	g.term++
	g.queue = append(g.queue, Op{Kind: OpAppend, Entries: g.entries(g.term, at, 1+g.rng.IntN(4))})
	return Op{Kind: OpTruncate, At: at}, true
}

func (g *generator) commit(m *model) (Op, bool) {
	lo := max(next(m.st.Committed), m.first)
	if len(m.ents) == 0 || lo >= m.end() {
		return Op{}, false
	}
	i := lo + g.rng.Uint64N(m.end()-lo)
	id, _ := m.lookup(i)
	return Op{Kind: OpCommit, ID: id}, true
}

// purge follows a snapshot: up to a committed entry, or now and then beyond
// the end of the log (a snapshot installed from the leader).
func (g *generator) purge(m *model) (Op, bool) {
	if g.rng.IntN(8) == 0 {
		return Op{Kind: OpPurge, ID: raftlog.LogID{Term: g.term, Index: next(m.st.Last) + g.rng.Uint64N(3)}}, true
	}
	c, ok := m.st.Committed.Get()
	if !ok || len(m.ents) == 0 || c.Index < m.first {
		return Op{}, false
	}
	hi := min(c.Index, m.end()-1)
	i := m.first + g.rng.Uint64N(hi-m.first+1)
	id, _ := m.lookup(i)
	return Op{Kind: OpPurge, ID: id}, true
}

func (g *generator) read(m *model) Op {
	first, end := m.first, next(m.st.Last)
	if len(m.ents) == 0 {
		first = end
	}
	if end == first || g.rng.IntN(10) == 0 {
		return Op{Kind: OpRead, From: first, To: end + g.rng.Uint64N(3)}
	}
	from := first + g.rng.Uint64N(end-first)
	return Op{Kind: OpRead, From: from, To: from + g.rng.Uint64N(end-from+1)}
}

// invalid is an operation the rules must reject, writing nothing.
func (g *generator) invalid(m *model) Op {
	last, hasLast := m.st.Last.Get()
	switch g.rng.IntN(11) {
	case 0:
		if v, ok := m.st.Vote.Get(); ok && v.Term > 0 {
			return Op{Kind: OpVote, Vote: raftlog.Vote{Term: v.Term - 1, NodeID: v.NodeID}}
		}
	case 1:
		if v, ok := m.st.Vote.Get(); ok {
			return Op{Kind: OpVote, Vote: raftlog.Vote{Term: v.Term, NodeID: v.NodeID + 1}}
		}
	case 2:
		if hasLast {
			return Op{Kind: OpAppend, Entries: g.entries(g.term, last.Index+2, 1)}
		}
	case 3:
		if hasLast && last.Term > 0 {
			return Op{Kind: OpAppend, Entries: g.entries(last.Term-1, last.Index+1, 2)}
		}
	case 4:
		if c, ok := m.st.Committed.Get(); ok && c.Index > 0 {
			return Op{Kind: OpCommit, ID: raftlog.LogID{Term: c.Term, Index: c.Index - 1}}
		}
	case 5:
		if len(m.ents) > 0 {
			e := m.ents[g.rng.IntN(len(m.ents))]
			return Op{Kind: OpPurge, ID: raftlog.LogID{Term: e.ID.Term + 1 + g.rng.Uint64N(3), Index: e.ID.Index}}
		}
	case 6:
		return Op{Kind: OpTruncate, At: next(m.st.Last) + 1 + g.rng.Uint64N(3)}
	case 7:
		return Op{Kind: OpRead, From: 5 + g.rng.Uint64N(5), To: g.rng.Uint64N(5)}
	case 8:
		// Below the first entry held, with any term: valid only if it
		// does not sort above the last id.
		if len(m.ents) > 0 && m.first > next(m.st.Purged) {
			i := next(m.st.Purged) + g.rng.Uint64N(m.first-next(m.st.Purged))
			return Op{Kind: OpPurge, ID: raftlog.LogID{Term: g.rng.Uint64N(g.term + 2), Index: i}}
		}
	case 9:
		return Op{Kind: OpAppend, Entries: g.entries(g.term, 1<<64-1, 1)}
	case 10:
		return Op{Kind: OpPurge, ID: raftlog.LogID{Term: g.term, Index: 1<<64 - 1}}
	}
	return Op{Kind: OpTruncate, At: next(m.st.Last) + 2}
}

func (g *generator) crash() Op {
	modes := []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered, fs.CrashReordered, fs.CrashProcess}
	return Op{Kind: OpCrash, K: g.rng.IntN(12), Mode: modes[g.rng.IntN(len(modes))], Seed: g.rng.Uint64()}
}

func (g *generator) fault() Op {
	faults := []Fault{
		{Op: faultinject.OpWrite, Err: syscall.EIO},
		{Op: faultinject.OpWrite, Err: syscall.ENOSPC},
		{Op: faultinject.OpWrite, Err: syscall.EIO, Short: 1 + g.rng.IntN(40)},
		{Op: faultinject.OpSync, Err: syscall.EIO},
		{Op: faultinject.OpCreate, Err: syscall.ENOSPC},
		{Op: faultinject.OpRemove, Err: syscall.EIO},
		{Op: faultinject.OpSyncDir, Err: syscall.EIO},
	}
	return Op{Kind: OpFault, K: 1 + g.rng.IntN(3), Fault: faults[g.rng.IntN(len(faults))]}
}
