package sim

import (
	"fmt"
	"slices"

	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

// model is the reference: a plain in-memory Raft log with the same rules as
// raftlog, written without its index, cache or WAL, ordering ids and votes
// with the caller's Types and comparing values by their encodings. The
// simulator runs every operation on both and compares.
type model[L, P, V, U any] struct {
	ts    *typeset[L, P, V, U]
	st    raftlog.State[L, V, U]
	key   string       // stateKey(st), or "" until computed
	first uint64       // index of ents[0]
	ents  []ment[L, P] // the entries held, consecutive
}

// outcome is what an operation should do: nothing, or fail with an error of
// a kind (matched with errors.Is against the sentinel).
type outcome struct {
	err  error  // sentinel; nil: accepted
	noop bool   // accepted, and changes nothing (a purge at or below the purge point)
	why  string // for traces
}

func newModel[L, P, V, U any](ts *typeset[L, P, V, U]) *model[L, P, V, U] {
	return &model[L, P, V, U]{ts: ts}
}

func (m *model[L, P, V, U]) clone() *model[L, P, V, U] {
	c := *m
	c.ents = slices.Clone(m.ents)
	return &c
}

// stateKey is the encoding of the model's state.
func (m *model[L, P, V, U]) stateKey() string {
	if m.key == "" {
		m.key = m.ts.stateKey(m.st)
	}
	return m.key
}

func (m *model[L, P, V, U]) setState(s raftlog.State[L, V, U]) { m.st, m.key = s, "" }

func (m *model[L, P, V, U]) end() uint64 { return m.first + uint64(len(m.ents)) }

func (m *model[L, P, V, U]) lookup(i uint64) (L, bool) {
	if i < m.first || i >= m.end() {
		var zero L
		return zero, false
	}
	return m.ents[i-m.first].e.ID, true
}

// maxIndex is refused by the log: the index after it would wrap.
const maxIndex = 1<<64 - 1

// vote validates and applies SaveVote.
func (m *model[L, P, V, U]) vote(v V) outcome {
	if cur, ok := m.st.Vote.Get(); ok {
		if c, ok := m.ts.t.CompareVote(v, cur); !ok || c < 0 {
			return outcome{err: raftlog.ErrVoteReversal, why: fmt.Sprintf("%v after %v", v, cur)}
		}
	}
	s := m.st
	s.Vote = raftlog.Some(v)
	m.setState(s)
	return outcome{}
}

// appendEntries validates and applies Append; maxBody is the WAL's record
// limit (0: none).
func (m *model[L, P, V, U]) appendEntries(es []ment[L, P], maxBody int) outcome {
	t := m.ts.t
	last := m.st.Last
	for _, e := range es {
		if t.Index(e.e.ID) == maxIndex {
			return outcome{err: raftlog.ErrIndexLimit, why: fmt.Sprintf("%v", e.e.ID)}
		}
		if l, ok := last.Get(); ok {
			if t.CompareLogID(e.e.ID, l) <= 0 {
				return outcome{err: raftlog.ErrLogIDReversal, why: fmt.Sprintf("%v after %v", e.e.ID, l)}
			}
			if t.Index(e.e.ID) != t.Index(l)+1 {
				return outcome{err: raftlog.ErrNonConsecutive, why: fmt.Sprintf("%v after %v", e.e.ID, l)}
			}
		}
		last = raftlog.Some(e.e.ID)
	}
	for _, e := range es {
		if maxBody > 0 && appendBody(e) > maxBody {
			return outcome{err: wal.ErrRecordTooLarge, why: fmt.Sprintf("%v: %d bytes", e.e.ID, appendBody(e))}
		}
	}
	s := m.st
	for _, e := range es {
		i := t.Index(e.e.ID)
		if len(m.ents) == 0 || i != m.end() {
			m.first, m.ents = i, m.ents[:0]
		}
		m.ents = append(m.ents, e)
		s.Last = raftlog.Some(e.e.ID)
	}
	m.setState(s)
	return outcome{}
}

func (m *model[L, P, V, U]) commit(id L) outcome {
	if cur, ok := m.st.Committed.Get(); ok && (m.ts.t.CompareLogID(id, cur) < 0 || m.ts.t.Index(id) < m.ts.t.Index(cur)) {
		return outcome{err: raftlog.ErrLogIDReversal, why: fmt.Sprintf("commit %v after %v", id, cur)}
	}
	s := m.st
	s.Committed = raftlog.Some(id)
	m.setState(s)
	return outcome{}
}

func (m *model[L, P, V, U]) truncate(at uint64) outcome {
	var after raftlog.Option[L]
	np := m.ts.next(m.st.Purged)
	switch {
	case !m.st.Purged.IsSome() && (at <= m.first && len(m.ents) > 0 || !m.st.Last.IsSome()):
		// never purged: every entry goes
	case at == np:
		after = m.st.Purged
	case at < np:
		return outcome{err: raftlog.ErrIndexNotFound, why: fmt.Sprintf("%d is purged", at)}
	default:
		id, ok := m.lookup(at - 1)
		if !ok {
			return outcome{err: raftlog.ErrIndexNotFound, why: fmt.Sprintf("no entry %d", at-1)}
		}
		after = raftlog.Some(id)
	}
	m.dropFrom(m.ts.next(after))
	if m.ts.cmpOpt(m.st.Last, after) > 0 {
		s := m.st
		s.Last = after
		m.setState(s)
	}
	return outcome{}
}

func (m *model[L, P, V, U]) purge(upto L) outcome {
	t := m.ts.t
	i := t.Index(upto)
	if i == maxIndex {
		return outcome{err: raftlog.ErrIndexLimit, why: fmt.Sprintf("%v", upto)}
	}
	if i < m.ts.next(m.st.Purged) {
		return outcome{noop: true}
	}
	if id, ok := m.lookup(i); ok && t.CompareLogID(id, upto) != 0 {
		return outcome{err: raftlog.ErrPurgeMismatch, why: fmt.Sprintf("%v where the log has %v", upto, id)}
	}
	if l, ok := m.st.Last.Get(); ok {
		li := t.Index(l)
		switch {
		case i <= li && t.CompareLogID(upto, l) > 0:
			return outcome{err: raftlog.ErrPurgeMismatch, why: fmt.Sprintf("%v is above last %v", upto, l)}
		case i == li && t.CompareLogID(l, upto) != 0:
			return outcome{err: raftlog.ErrPurgeMismatch, why: fmt.Sprintf("%v where last is %v", upto, l)}
		case i > li && t.CompareLogID(upto, l) < 0:
			return outcome{err: raftlog.ErrLogIDReversal, why: fmt.Sprintf("purge %v beyond last %v", upto, l)}
		}
	}
	u := raftlog.Some(upto)
	s := m.st
	if m.ts.cmpOpt(u, s.Purged) > 0 {
		s.Purged = u
	}
	if m.ts.cmpOpt(u, s.Last) > 0 {
		s.Last = u
	}
	m.setState(s)
	m.dropThrough(i)
	return outcome{}
}

func (m *model[L, P, V, U]) userData(u raftlog.Option[U], maxBody int) outcome {
	s := m.st
	s.UserData = u
	if n := m.ts.stateBody(s); maxBody > 0 && n > maxBody {
		return outcome{err: wal.ErrRecordTooLarge, why: fmt.Sprintf("state of %d bytes", n)}
	}
	m.setState(s)
	return outcome{}
}

func (m *model[L, P, V, U]) updateState(s raftlog.State[L, V, U], maxBody int) outcome {
	t := m.ts.t
	l, hasLast := s.Last.Get()
	p, hasPurged := s.Purged.Get()
	switch {
	case hasLast && t.Index(l) == maxIndex:
		return outcome{err: raftlog.ErrIndexLimit, why: fmt.Sprintf("last %v", l)}
	case hasPurged && (!hasLast || t.CompareLogID(p, l) > 0 || t.Index(p) > t.Index(l) ||
		t.Index(p) == t.Index(l) && t.CompareLogID(p, l) != 0):
		return outcome{err: raftlog.ErrInvalidState, why: "purged not at or below last"}
	case maxBody > 0 && m.ts.stateBody(s) > maxBody:
		return outcome{err: wal.ErrRecordTooLarge, why: fmt.Sprintf("state of %d bytes", m.ts.stateBody(s))}
	}
	m.setState(s)
	if !hasLast {
		m.first, m.ents = 0, m.ents[:0]
		return outcome{}
	}
	li := t.Index(l)
	if id, ok := m.lookup(li); !ok || t.CompareLogID(id, l) != 0 {
		m.first, m.ents = li+1, m.ents[:0]
	} else {
		m.dropFrom(li + 1)
	}
	if hasPurged {
		m.dropThrough(t.Index(p))
	}
	return outcome{}
}

func (m *model[L, P, V, U]) dropFrom(i uint64) {
	switch {
	case i >= m.end():
	case i <= m.first:
		m.first, m.ents = i, m.ents[:0]
	default:
		m.ents = m.ents[:i-m.first]
	}
}

func (m *model[L, P, V, U]) dropThrough(i uint64) {
	switch {
	case i < m.first:
	case i+1 >= m.end():
		m.first, m.ents = i+1, m.ents[:0]
	default:
		m.ents = slices.Clone(m.ents[i+1-m.first:])
		m.first = i + 1
	}
}

// readRange says what Read(from, to) should do: the entries, or the error.
func (m *model[L, P, V, U]) readRange(from, to uint64) ([]ment[L, P], error) {
	end := m.ts.next(m.st.Last)
	first := m.first
	if len(m.ents) == 0 {
		first = end
	}
	switch {
	case from > to:
		return nil, raftlog.ErrRange
	case from == to:
		return nil, nil
	case from < first && from < m.ts.next(m.st.Purged):
		return nil, raftlog.ErrPurged
	case from < first:
		return nil, raftlog.ErrBeforeStart
	case to > end:
		return nil, raftlog.ErrPastEnd
	}
	return m.ents[from-m.first : to-m.first], nil
}

// equal compares the model with what a log holds: its state (as encoded by
// stateKey) and entries.
func (m *model[L, P, V, U]) equal(key string, first uint64, ents []ment[L, P]) bool {
	if key != m.stateKey() || len(ents) != len(m.ents) {
		return false
	}
	if len(ents) > 0 && first != m.first {
		return false
	}
	return sameEntries(ents, m.ents)
}

func (m *model[L, P, V, U]) String() string {
	return fmt.Sprintf("%v entries [%d, %d)", m.st, m.first, m.end())
}
