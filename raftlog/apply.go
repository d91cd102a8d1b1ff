package raftlog

import (
	"fmt"

	"github.com/raftlog/raftlog/wal"
)

// apply updates the in-memory state with a record that the WAL holds, live
// or replayed. Called with mu held for writing (or during Open). After
// entries, the caller applies the cache's limits (evict), once a batch.
func (l *Log[L, P, V, U]) apply(r *record[L, P, V, U], pos wal.Position) {
	if r.op == opAppend && l.idx.n == 0 {
		l.beforeFirst = l.state.Last
	}
	l.applyState(&l.state, r)
	switch r.op {
	case opAppend:
		i := l.indexEntry(r.id, pos)
		l.cache.push(i, r.payload)
	case opTruncate:
		keep := l.nextIndex(r.after())
		l.idx.truncate(keep)
		l.cache.truncate(keep)
	case opPurge:
		l.idx.purge(l.t.Index(r.id))
		l.cache.purge(l.t.Index(r.id))
	case opState:
		l.fitEntries()
	}
}

// applyEntries is apply for a batch of appended entries, recs, whose
// records are at poss and whose indexes run from first on (Append has
// validated them): it sets the last id once and asks for no entry's index.
func (l *Log[L, P, V, U]) applyEntries(first uint64, recs []record[L, P, V, U], poss []wal.Position) {
	l.state.Last = Some(recs[len(recs)-1].id)
	if l.idx.n > 0 && first != l.idx.end() {
		l.idx.reset(first) // defensive, as in indexEntry
	}
	for k := range recs {
		i := first + uint64(k)
		l.idx.push(i, recs[k].id, poss[k])
		l.cache.push(i, recs[k].payload)
	}
}

// indexEntry records in the index that entry id's record is at pos, and
// returns its index.
func (l *Log[L, P, V, U]) indexEntry(id L, pos wal.Position) uint64 {
	i := l.t.Index(id)
	if l.idx.n > 0 && i != l.idx.end() {
		l.idx.reset(i) // defensive: the entries always end at the last id
	}
	l.idx.push(i, id, pos)
	return i
}

// ApplyRaw replays an entry's record at Open from its body as stored,
// decoding its log id but not its payload, which stays on disk until a read
// asks for it (and verifies it then): Open's cost per entry is its index
// slot, whatever the payload's size. Other records are decoded and applied
// as usual (see wal.RawApplier).
func (m machine[L, P, V, U]) ApplyRaw(body []byte, pos wal.Position) (bool, error) {
	if len(body) == 0 || op(body[0]) != opAppend {
		return false, nil
	}
	id, _, err := m.l.t.LogID.Decode(body[1:])
	if err != nil {
		return false, fmt.Errorf("log id: %w", err)
	}
	if m.l.idx.n == 0 {
		m.l.beforeFirst = m.l.state.Last
	}
	m.l.state.Last = Some(id)
	m.l.indexEntry(id, pos)
	return true, nil
}

// applyState is a record's effect on a State, for a record that has passed
// validation: a vote replaces the vote, an append sets the last id, a commit
// the commit point, a truncate lowers the last id, a purge raises the purge
// point (and the last id, when beyond it), a state replaces the state.
func (l *Log[L, P, V, U]) applyState(st *State[L, V, U], r *record[L, P, V, U]) {
	cmp := l.t.CompareLogID
	switch r.op {
	case opVote:
		st.Vote = Some(*r.vote)
	case opAppend:
		st.Last = Some(r.id)
	case opCommit:
		st.Committed = Some(r.id)
	case opTruncate:
		if after := r.after(); compareOpt(st.Last, after, cmp) > 0 {
			st.Last = after
		}
	case opPurge:
		upto := Some(r.id)
		if compareOpt(upto, st.Purged, cmp) > 0 {
			st.Purged = upto
		}
		if compareOpt(upto, st.Last, cmp) > 0 {
			st.Last = upto
		}
	case opState:
		*st = *r.state
	}
}

// fitEntries drops the entries that the state rules out (see UpdateState).
func (l *Log[L, P, V, U]) fitEntries() {
	last, ok := l.state.Last.Get()
	if !ok {
		l.idx.reset(0)
		l.cache.reset(0)
		return
	}
	i := l.t.Index(last)
	if id, ok := l.idx.lookup(i); !ok || l.t.CompareLogID(id, last) != 0 {
		l.idx.reset(i + 1)
		l.cache.reset(i + 1)
	} else {
		l.idx.truncate(i + 1)
		l.cache.truncate(i + 1)
	}
	if p, ok := l.state.Purged.Get(); ok {
		l.idx.purge(l.t.Index(p))
		l.cache.purge(l.t.Index(p))
	}
}

// durable reports whether entry i's record is known durable.
func (l *Log[L, P, V, U]) durable(i uint64) bool {
	if l.replaying {
		return true
	}
	return l.idx.has(i) && l.idx.pos(i).End() <= l.wal.Durable()
}

// evict applies the cache limits. Called with mu held for writing.
func (l *Log[L, P, V, U]) evict(all bool) { l.cache.evict(all, l.durable) }
