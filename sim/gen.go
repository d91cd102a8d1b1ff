package sim

import (
	"math/rand/v2"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// generator drives the log the way a Raft node does: votes at rising terms,
// leader appends in batches, follower appends that conflict and truncate the
// tail before appending at a higher term (or the same one), commits, purges after snapshots,
// user data, flushes with and without sync, reads, restarts; plus invalid
// operations, crashes, I/O faults, bit flips and damage at rest. It decides
// in terms and indexes and makes the caller's values with Gen.
type generator[L, P, V, U any] struct {
	ts    *typeset[L, P, V, U]
	rng   *rand.Rand
	term  uint64
	queue []OpOf[L, P, V, U] // operations decided together (a truncate and its append)
}

func newGenerator[L, P, V, U any](ts *typeset[L, P, V, U], seed uint64) *generator[L, P, V, U] {
	return &generator[L, P, V, U]{ts: ts, rng: rand.New(rand.NewPCG(seed, 0x6e6))}
}

func (g *generator[L, P, V, U]) id(t, i uint64) L { return g.ts.g.LogID(t, i) }

// next picks the next operation for a log whose model is m.
func (g *generator[L, P, V, U]) next(m *model[L, P, V, U], poisoned bool) OpOf[L, P, V, U] {
	type op = OpOf[L, P, V, U]
	if len(g.queue) > 0 {
		o := g.queue[0]
		g.queue = g.queue[1:]
		return o
	}
	g.term = max(g.term, g.ts.term(m.st.Last))
	if v, ok := m.st.Vote.Get(); ok {
		t, _ := g.ts.g.VoteOf(v)
		g.term = max(g.term, t)
	}
	g.term = max(g.term, 1)
	if poisoned && g.rng.IntN(3) == 0 {
		if g.rng.IntN(2) == 0 {
			return op{Kind: OpReopen}
		}
		return g.crash()
	}
	p := g.rng.IntN(1000)
	switch {
	case p < 280:
		return g.leaderAppend(m)
	case p < 330:
		if o, ok := g.conflict(m); ok {
			return o
		}
		return g.leaderAppend(m)
	case p < 370:
		g.term++
		return op{Kind: OpVote, Vote: g.ts.g.Vote(g.term, g.rng.Uint64N(3)+1, g.rng.IntN(2) == 0)}
	case p < 430:
		if o, ok := g.commit(m); ok {
			return o
		}
	case p < 470:
		if o, ok := g.purge(m); ok {
			return o
		}
	case p < 490:
		if g.rng.IntN(4) == 0 {
			return op{Kind: OpUserData, NoUser: true}
		}
		return op{Kind: OpUserData, User: g.ts.g.UserData(g.rng)}
	case p < 500:
		return g.updateState(m)
	case p < 580:
		return op{Kind: OpFlush, Sync: true}
	case p < 620:
		return op{Kind: OpFlush, Sync: false}
	case p < 700:
		return op{Kind: OpStep}
	case p < 740:
		return op{Kind: OpSync}
	case p < 800:
		return g.read(m)
	case p < 850:
		return g.invalid(m)
	case p < 865:
		return op{Kind: OpReopen}
	case p < 905:
		return g.crash()
	case p < 925:
		return g.fault()
	case p < 935:
		return op{Kind: OpFlip, Seed: g.rng.Uint64()}
	case p < 950:
		return op{Kind: OpDamage, Seed: g.rng.Uint64()}
	}
	return op{Kind: OpStep}
}

// updateState installs a state the way a snapshot or a repair would: the
// current one with new user data, one cut back to an earlier entry, or a
// snapshot point beyond the log (purged = last).
func (g *generator[L, P, V, U]) updateState(m *model[L, P, V, U]) OpOf[L, P, V, U] {
	s := m.st
	s.UserData = raftlog.Some(g.ts.g.UserData(g.rng))
	switch g.rng.IntN(3) {
	case 1:
		if len(m.ents) > 0 {
			s.Last = raftlog.Some(m.ents[g.rng.IntN(len(m.ents))].e.ID)
			s.Purged = raftlog.None[L]()
			if p, ok := m.st.Purged.Get(); ok && g.ts.cmpOpt(raftlog.Some(p), s.Last) <= 0 {
				s.Purged = raftlog.Some(p)
			}
		}
	case 2:
		g.term++
		id := g.id(g.term, m.ts.next(m.st.Last)+g.rng.Uint64N(4))
		s.Last, s.Purged = raftlog.Some(id), raftlog.Some(id)
	}
	return OpOf[L, P, V, U]{Kind: OpState, State: s}
}

// entries builds n entries from index i at term t.
func (g *generator[L, P, V, U]) entries(t, i uint64, n int) []raftlog.Entry[L, P] {
	es := make([]raftlog.Entry[L, P], n)
	for k := range es {
		id := g.id(t, i+uint64(k))
		es[k] = raftlog.Entry[L, P]{ID: id, Payload: g.ts.g.Payload(g.rng, id)}
	}
	return es
}

func (g *generator[L, P, V, U]) leaderAppend(m *model[L, P, V, U]) OpOf[L, P, V, U] {
	i := g.ts.next(m.st.Last)
	if i == 0 {
		i = 1
	}
	return OpOf[L, P, V, U]{Kind: OpAppend, Entries: g.entries(g.term, i, 1+g.rng.IntN(6))}
}

// conflict is a follower receiving entries from a new leader that disagree
// with its tail: truncate above the commit point, append at a higher term,
// or, half the time, at the same term. Raft never rewrites an id, but the
// log takes it, and only a rewrite with another payload shows a read served
// from a stale record, position or cache slot of that id as wrong.
func (g *generator[L, P, V, U]) conflict(m *model[L, P, V, U]) (OpOf[L, P, V, U], bool) {
	lo := max(g.ts.next(m.st.Committed), g.ts.next(m.st.Purged)+1, m.first+1)
	if lo >= m.end() {
		return OpOf[L, P, V, U]{}, false
	}
	at := lo + g.rng.Uint64N(m.end()-lo)
	if g.rng.IntN(2) == 0 {
		g.term++
	}
	g.queue = append(g.queue, OpOf[L, P, V, U]{Kind: OpAppend, Entries: g.entries(g.term, at, 1+g.rng.IntN(4))})
	return OpOf[L, P, V, U]{Kind: OpTruncate, At: at}, true
}

func (g *generator[L, P, V, U]) commit(m *model[L, P, V, U]) (OpOf[L, P, V, U], bool) {
	lo := max(g.ts.next(m.st.Committed), m.first)
	if len(m.ents) == 0 || lo >= m.end() {
		return OpOf[L, P, V, U]{}, false
	}
	i := lo + g.rng.Uint64N(m.end()-lo)
	id, _ := m.lookup(i)
	return OpOf[L, P, V, U]{Kind: OpCommit, ID: id}, true
}

// purge follows a snapshot: up to a committed entry, or now and then beyond
// the end of the log (a snapshot installed from the leader).
func (g *generator[L, P, V, U]) purge(m *model[L, P, V, U]) (OpOf[L, P, V, U], bool) {
	if g.rng.IntN(8) == 0 {
		return OpOf[L, P, V, U]{Kind: OpPurge, ID: g.id(g.term, g.ts.next(m.st.Last)+g.rng.Uint64N(3))}, true
	}
	c, ok := m.st.Committed.Get()
	if !ok || len(m.ents) == 0 || g.ts.t.Index(c) < m.first {
		return OpOf[L, P, V, U]{}, false
	}
	hi := min(g.ts.t.Index(c), m.end()-1)
	i := m.first + g.rng.Uint64N(hi-m.first+1)
	id, _ := m.lookup(i)
	return OpOf[L, P, V, U]{Kind: OpPurge, ID: id}, true
}

func (g *generator[L, P, V, U]) read(m *model[L, P, V, U]) OpOf[L, P, V, U] {
	first, end := m.first, g.ts.next(m.st.Last)
	if len(m.ents) == 0 {
		first = end
	}
	if end == first || g.rng.IntN(10) == 0 {
		return OpOf[L, P, V, U]{Kind: OpRead, From: first, To: end + g.rng.Uint64N(3)}
	}
	from := first + g.rng.Uint64N(end-first)
	return OpOf[L, P, V, U]{Kind: OpRead, From: from, To: from + g.rng.Uint64N(end-from+1)}
}

// invalid is an operation the rules must reject, writing nothing.
func (g *generator[L, P, V, U]) invalid(m *model[L, P, V, U]) OpOf[L, P, V, U] {
	type op = OpOf[L, P, V, U]
	last, hasLast := m.st.Last.Get()
	ts, gen := g.ts, g.ts.g
	switch g.rng.IntN(11) {
	case 0:
		if v, ok := m.st.Vote.Get(); ok {
			if t, n := gen.VoteOf(v); t > 0 {
				return op{Kind: OpVote, Vote: gen.Vote(t-1, n, false)}
			}
		}
	case 1:
		if v, ok := m.st.Vote.Get(); ok {
			t, n := gen.VoteOf(v)
			return op{Kind: OpVote, Vote: gen.Vote(t, n+1, false)}
		}
	case 2:
		if hasLast {
			return op{Kind: OpAppend, Entries: g.entries(g.term, ts.t.Index(last)+2, 1)}
		}
	case 3:
		if hasLast && gen.Term(last) > 0 {
			return op{Kind: OpAppend, Entries: g.entries(gen.Term(last)-1, ts.t.Index(last)+1, 2)}
		}
	case 4:
		if c, ok := m.st.Committed.Get(); ok && ts.t.Index(c) > 0 {
			return op{Kind: OpCommit, ID: g.id(gen.Term(c), ts.t.Index(c)-1)}
		}
	case 5:
		if len(m.ents) > 0 {
			e := m.ents[g.rng.IntN(len(m.ents))].e
			return op{Kind: OpPurge, ID: g.id(gen.Term(e.ID)+1+g.rng.Uint64N(3), ts.t.Index(e.ID))}
		}
	case 6:
		return op{Kind: OpTruncate, At: ts.next(m.st.Last) + 1 + g.rng.Uint64N(3)}
	case 7:
		return op{Kind: OpRead, From: 5 + g.rng.Uint64N(5), To: g.rng.Uint64N(5)}
	case 8:
		// Below the first entry held, with any term: valid only if it
		// does not sort above the last id.
		if np := ts.next(m.st.Purged); len(m.ents) > 0 && m.first > np {
			i := np + g.rng.Uint64N(m.first-np)
			return op{Kind: OpPurge, ID: g.id(g.rng.Uint64N(g.term+2), i)}
		}
	case 9:
		return op{Kind: OpAppend, Entries: g.entries(g.term, maxIndex, 1)}
	case 10:
		return op{Kind: OpPurge, ID: g.id(g.term, maxIndex)}
	}
	return op{Kind: OpTruncate, At: ts.next(m.st.Last) + 2}
}

func (g *generator[L, P, V, U]) crash() OpOf[L, P, V, U] {
	modes := []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered, fs.CrashReordered, fs.CrashProcess}
	return OpOf[L, P, V, U]{Kind: OpCrash, K: g.rng.IntN(12), Mode: modes[g.rng.IntN(len(modes))], Seed: g.rng.Uint64()}
}

func (g *generator[L, P, V, U]) fault() OpOf[L, P, V, U] {
	faults := []Fault{
		{Op: faultinject.OpWrite, Err: syscall.EIO},
		{Op: faultinject.OpWrite, Err: syscall.ENOSPC},
		{Op: faultinject.OpWrite, Err: syscall.EIO, Short: 1 + g.rng.IntN(40)},
		{Op: faultinject.OpSync, Err: syscall.EIO},
		{Op: faultinject.OpCreate, Err: syscall.ENOSPC},
		{Op: faultinject.OpRemove, Err: syscall.EIO},
		{Op: faultinject.OpSyncDir, Err: syscall.EIO},
	}
	return OpOf[L, P, V, U]{Kind: OpFault, K: 1 + g.rng.IntN(3), Fault: faults[g.rng.IntN(len(faults))]}
}
