package sim

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

type (
	logID = raftlog.LogID
	vote  = raftlog.Vote
	entry = raftlog.Entry[logID, []byte]
	state = raftlog.State[logID, vote, []byte]
)

// model is the reference: a plain in-memory Raft log with the same rules as
// raftlog, written without its index, cache or WAL. The simulator runs every
// operation on both and compares.
type model struct {
	st    state
	first uint64  // index of ents[0]
	ents  []entry // the entries held, consecutive
}

// outcome is what an operation should do: nothing, or fail with an error of
// a kind (matched with errors.Is against the sentinel).
type outcome struct {
	err  error  // sentinel; nil: accepted
	noop bool   // accepted, and changes nothing (a purge at or below the purge point)
	why  string // for traces
	// wal: err is the WAL's refusal (a record too large), which a poisoned
	// WAL preempts; the rules' refusals come before either.
	wal bool
}

func (m *model) clone() *model {
	c := *m
	c.ents = slices.Clone(m.ents)
	return &c
}

func (m *model) end() uint64 { return m.first + uint64(len(m.ents)) }

func (m *model) lookup(i uint64) (logID, bool) {
	if i < m.first || i >= m.end() {
		return logID{}, false
	}
	return m.ents[i-m.first].ID, true
}

func next(id raftlog.Option[logID]) uint64 {
	if v, ok := id.Get(); ok {
		return v.Index + 1
	}
	return 0
}

func cmpOpt(a, b raftlog.Option[logID]) int {
	av, aok := a.Get()
	bv, bok := b.Get()
	switch {
	case !aok && !bok:
		return 0
	case !aok:
		return -1
	case !bok:
		return 1
	}
	return av.Compare(bv)
}

// maxIndex is refused by the log: the index after it would wrap.
const maxIndex = 1<<64 - 1

// Encoded body sizes of the default types' records, for the record limit.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

func appendBody(e entry) int { return 1 + 16 + uvarintLen(len(e.Payload)) + len(e.Payload) }

func stateBody(s state) int {
	n := 1 + 1 + 1 // op, version, vote tag
	if s.Vote.IsSome() {
		n += 17
	}
	for _, id := range []raftlog.Option[logID]{s.Last, s.Committed, s.Purged} {
		n++
		if id.IsSome() {
			n += 16
		}
	}
	n++
	if u, ok := s.UserData.Get(); ok {
		n += uvarintLen(len(u)) + len(u)
	}
	return n
}

// vote validates and applies SaveVote.
func (m *model) vote(v vote) outcome {
	if cur, ok := m.st.Vote.Get(); ok {
		if c, ok := v.Compare(cur); !ok || c < 0 {
			return outcome{err: raftlog.ErrVoteReversal, why: fmt.Sprintf("%v after %v", v, cur)}
		}
	}
	m.st.Vote = raftlog.Some(v)
	return outcome{}
}

// appendEntries validates and applies Append; maxBody is the WAL's record
// limit (0: none).
func (m *model) appendEntries(es []entry, maxBody int) outcome {
	last := m.st.Last
	for _, e := range es {
		if e.ID.Index == maxIndex {
			return outcome{err: raftlog.ErrIndexLimit, why: fmt.Sprintf("%v", e.ID)}
		}
		if l, ok := last.Get(); ok {
			if e.ID.Compare(l) <= 0 {
				return outcome{err: raftlog.ErrLogIDReversal, why: fmt.Sprintf("%v after %v", e.ID, l)}
			}
			if e.ID.Index != l.Index+1 {
				return outcome{err: raftlog.ErrNonConsecutive, why: fmt.Sprintf("%v after %v", e.ID, l)}
			}
		}
		last = raftlog.Some(e.ID)
	}
	for _, e := range es {
		if maxBody > 0 && appendBody(e) > maxBody {
			return outcome{err: wal.ErrRecordTooLarge, wal: true, why: fmt.Sprintf("%v: %d bytes", e.ID, appendBody(e))}
		}
	}
	for _, e := range es {
		if len(m.ents) == 0 || e.ID.Index != m.end() {
			m.first, m.ents = e.ID.Index, m.ents[:0]
		}
		m.ents = append(m.ents, e)
		m.st.Last = raftlog.Some(e.ID)
	}
	return outcome{}
}

func (m *model) commit(id logID) outcome {
	if cur, ok := m.st.Committed.Get(); ok && id.Compare(cur) < 0 {
		return outcome{err: raftlog.ErrLogIDReversal, why: fmt.Sprintf("commit %v after %v", id, cur)}
	}
	m.st.Committed = raftlog.Some(id)
	return outcome{}
}

func (m *model) truncate(at uint64) outcome {
	var after raftlog.Option[logID]
	np := next(m.st.Purged)
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
	keep := next(after)
	m.dropFrom(keep)
	if cmpOpt(m.st.Last, after) > 0 {
		m.st.Last = after
	}
	return outcome{}
}

func (m *model) purge(upto logID) outcome {
	if upto.Index == maxIndex {
		return outcome{err: raftlog.ErrIndexLimit, why: fmt.Sprintf("%v", upto)}
	}
	if upto.Index < next(m.st.Purged) {
		return outcome{noop: true}
	}
	if id, ok := m.lookup(upto.Index); ok && id != upto {
		return outcome{err: raftlog.ErrPurgeMismatch, why: fmt.Sprintf("%v where the log has %v", upto, id)}
	}
	if l, ok := m.st.Last.Get(); ok {
		switch {
		case upto.Index <= l.Index && upto.Compare(l) > 0:
			return outcome{err: raftlog.ErrPurgeMismatch, why: fmt.Sprintf("%v is above last %v", upto, l)}
		case upto.Index == l.Index && l != upto:
			return outcome{err: raftlog.ErrPurgeMismatch, why: fmt.Sprintf("%v where last is %v", upto, l)}
		case upto.Index > l.Index && upto.Compare(l) < 0:
			return outcome{err: raftlog.ErrLogIDReversal, why: fmt.Sprintf("purge %v beyond last %v", upto, l)}
		}
	}
	u := raftlog.Some(upto)
	if cmpOpt(u, m.st.Purged) > 0 {
		m.st.Purged = u
	}
	if cmpOpt(u, m.st.Last) > 0 {
		m.st.Last = u
	}
	m.dropThrough(upto.Index)
	return outcome{}
}

func (m *model) userData(u raftlog.Option[[]byte], maxBody int) outcome {
	s := m.st
	s.UserData = u
	if maxBody > 0 && stateBody(s) > maxBody {
		return outcome{err: wal.ErrRecordTooLarge, wal: true, why: fmt.Sprintf("state of %d bytes", stateBody(s))}
	}
	m.st = s
	return outcome{}
}

func (m *model) updateState(s state, maxBody int) outcome {
	l, hasLast := s.Last.Get()
	p, hasPurged := s.Purged.Get()
	switch {
	case hasLast && l.Index == maxIndex:
		return outcome{err: raftlog.ErrIndexLimit, why: fmt.Sprintf("last %v", l)}
	case hasPurged && (!hasLast || p.Compare(l) > 0 || p.Index > l.Index || p.Index == l.Index && p != l):
		return outcome{err: raftlog.ErrInvalidState, why: "purged not at or below last"}
	case maxBody > 0 && stateBody(s) > maxBody:
		return outcome{err: wal.ErrRecordTooLarge, wal: true, why: fmt.Sprintf("state of %d bytes", stateBody(s))}
	}
	m.st = s
	if !hasLast {
		m.first, m.ents = 0, m.ents[:0]
		return outcome{}
	}
	if id, ok := m.lookup(l.Index); !ok || id != l {
		m.first, m.ents = l.Index+1, m.ents[:0]
	} else {
		m.dropFrom(l.Index + 1)
	}
	if p, ok := s.Purged.Get(); ok {
		m.dropThrough(p.Index)
	}
	return outcome{}
}

func (m *model) dropFrom(i uint64) {
	switch {
	case i >= m.end():
	case i <= m.first:
		m.first, m.ents = i, m.ents[:0]
	default:
		m.ents = m.ents[:i-m.first]
	}
}

func (m *model) dropThrough(i uint64) {
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
func (m *model) readRange(from, to uint64) ([]entry, error) {
	end := next(m.st.Last)
	first := m.first
	if len(m.ents) == 0 {
		first = end
	}
	switch {
	case from > to:
		return nil, raftlog.ErrRange
	case from == to:
		return nil, nil
	case from < first && from < next(m.st.Purged):
		return nil, raftlog.ErrPurged
	case from < first:
		return nil, raftlog.ErrBeforeStart
	case to > end:
		return nil, raftlog.ErrPastEnd
	}
	return m.ents[from-m.first : to-m.first], nil
}

// equal compares the model with what a log reports: its state and entries.
func (m *model) equal(st state, first uint64, ents []entry) bool {
	if stateString(st) != stateString(m.st) || len(ents) != len(m.ents) {
		return false
	}
	if len(ents) > 0 && first != m.first {
		return false
	}
	for i := range ents {
		if ents[i].ID != m.ents[i].ID || !bytes.Equal(ents[i].Payload, m.ents[i].Payload) {
			return false
		}
	}
	return true
}

func stateString(s state) string { return s.String() }

func (m *model) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v entries [%d, %d)", m.st, m.first, m.end())
	return b.String()
}
