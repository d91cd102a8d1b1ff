package sim

import (
	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
)

// typeset is the caller's types and generators, with the encodings the model
// compares by.
type typeset[L, P, V, U any] struct {
	t raftlog.Types[L, P, V, U]
	g Gen[L, P, V, U]
}

// encode returns the encoding of v, or a text that no encoding of a value
// equals if encoding fails (the codec check reports that failure).
func encode[T any](c codec.Codec[T], v T) string {
	b, err := c.Append(nil, v)
	if err != nil {
		return "\xff\xfeencoding failed: " + err.Error()
	}
	return string(b)
}

func (ts *typeset[L, P, V, U]) encL(id L) string { return encode(ts.t.LogID, id) }

func encOpt[T any](c codec.Codec[T], o raftlog.Option[T]) string {
	v, ok := o.Get()
	if !ok {
		return "\x00"
	}
	return "\x01" + encode(c, v)
}

// stateKey is the encoding of s as the log stores it in a state record
// (after the record's op byte): equal keys are equal states, byte for byte.
func (ts *typeset[L, P, V, U]) stateKey(s raftlog.State[L, V, U]) string {
	return "\x01" + encOpt(ts.t.Vote, s.Vote) + encOpt(ts.t.LogID, s.Last) + encOpt(ts.t.LogID, s.Committed) +
		encOpt(ts.t.LogID, s.Purged) + encOpt(ts.t.UserData, s.UserData)
}

// stateBody is the size of the body of a state record holding s.
func (ts *typeset[L, P, V, U]) stateBody(s raftlog.State[L, V, U]) int {
	return 1 + len(ts.stateKey(s))
}

// ment is an entry with its encodings.
type ment[L, P any] struct {
	e     raftlog.Entry[L, P]
	id, p string
}

func (ts *typeset[L, P, V, U]) entry(e raftlog.Entry[L, P]) ment[L, P] {
	return ment[L, P]{e: e, id: encode(ts.t.LogID, e.ID), p: encode(ts.t.Payload, e.Payload)}
}

func (ts *typeset[L, P, V, U]) entries(es []raftlog.Entry[L, P]) []ment[L, P] {
	out := make([]ment[L, P], len(es))
	for i, e := range es {
		out[i] = ts.entry(e)
	}
	return out
}

// appendBody is the size of the body of an append record holding e.
func appendBody[L, P any](e ment[L, P]) int { return 1 + len(e.id) + len(e.p) }

func sameEntries[L, P any](a, b []ment[L, P]) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].id != b[i].id || a[i].p != b[i].p {
			return false
		}
	}
	return true
}

// next is the index after id, or 0 for none.
func (ts *typeset[L, P, V, U]) next(id raftlog.Option[L]) uint64 {
	if v, ok := id.Get(); ok {
		return ts.t.Index(v) + 1
	}
	return 0
}

// cmpOpt orders optional ids, none first.
func (ts *typeset[L, P, V, U]) cmpOpt(a, b raftlog.Option[L]) int {
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
	return ts.t.CompareLogID(av, bv)
}

// term is the term of an optional id (0 for none).
func (ts *typeset[L, P, V, U]) term(id raftlog.Option[L]) uint64 {
	if v, ok := id.Get(); ok {
		return ts.g.Term(v)
	}
	return 0
}
