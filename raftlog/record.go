package raftlog

import (
	"fmt"

	"github.com/raftlog/raftlog/codec"
)

// op is the first byte of every record body: what the record does.
type op uint8

const (
	opVote     op = 1 // body: vote
	opAppend   op = 2 // body: log id, payload
	opCommit   op = 3 // body: log id
	opTruncate op = 4 // body: optional log id (keep entries up to it)
	opPurge    op = 5 // body: log id
	opState    op = 6 // body: state (checkpoints, SaveUserData, UpdateState)
)

// stateVersion is the first byte of an encoded State, so its layout can grow.
const stateVersion = 1

// record is one WAL record of a Log. Only the fields of its op are used.
type record[L, P, V, U any] struct {
	op op
	// kept is for opTruncate: id is the last entry kept, or, when false,
	// none is (see after).
	kept    bool
	id      L
	payload P
	// vote is set for opVote only, state for opState only: pointers keep
	// the record of an entry small (64 bytes rather than 232 with the
	// default types), and an append copies its records several times.
	vote  *V
	state *State[L, V, U]
}

// truncateRecord is the record of a truncation that keeps the entries up
// to after, or none.
func truncateRecord[L, P, V, U any](after Option[L]) record[L, P, V, U] {
	id, ok := after.Get()
	return record[L, P, V, U]{op: opTruncate, kept: ok, id: id}
}

// after is an opTruncate record's last entry kept, if any.
func (r *record[L, P, V, U]) after() Option[L] {
	if !r.kept {
		return None[L]()
	}
	return Some(r.id)
}

func (r record[L, P, V, U]) String() string {
	switch r.op {
	case opVote:
		return fmt.Sprintf("SaveVote(%v)", *r.vote)
	case opAppend:
		return fmt.Sprintf("Append(%v, %s)", r.id, formatValue(r.payload))
	case opCommit:
		return fmt.Sprintf("Commit(%v)", r.id)
	case opTruncate:
		return fmt.Sprintf("TruncateAfter(%v)", r.after())
	case opPurge:
		return fmt.Sprintf("PurgeUpto(%v)", r.id)
	case opState:
		return r.state.String()
	}
	return fmt.Sprintf("record(op %d)", r.op)
}

// recordCodec encodes records with the caller's codecs for their fields.
type recordCodec[L, P, V, U any] struct{ t *Types[L, P, V, U] }

func (c recordCodec[L, P, V, U]) Append(dst []byte, r record[L, P, V, U]) ([]byte, error) {
	dst = append(dst, byte(r.op))
	switch r.op {
	case opVote:
		return c.t.Vote.Append(dst, *r.vote)
	case opAppend:
		dst, err := c.t.LogID.Append(dst, r.id)
		if err != nil {
			return dst, err
		}
		return c.t.Payload.Append(dst, r.payload)
	case opCommit, opPurge:
		return c.t.LogID.Append(dst, r.id)
	case opTruncate:
		return appendOpt(dst, r.after(), c.t.LogID)
	case opState:
		return c.appendState(dst, *r.state)
	}
	return dst, fmt.Errorf("raftlog: encoding a record with unknown op %d", r.op)
}

func (c recordCodec[L, P, V, U]) appendState(dst []byte, s State[L, V, U]) ([]byte, error) {
	dst = append(dst, stateVersion)
	var err error
	if dst, err = appendOpt(dst, s.Vote, c.t.Vote); err != nil {
		return dst, err
	}
	for _, id := range [...]Option[L]{s.Last, s.Committed, s.Purged} {
		if dst, err = appendOpt(dst, id, c.t.LogID); err != nil {
			return dst, err
		}
	}
	return appendOpt(dst, s.UserData, c.t.UserData)
}

func appendOpt[T any](dst []byte, o Option[T], c codec.Codec[T]) ([]byte, error) {
	v, ok := o.Get()
	if !ok {
		return append(dst, 0), nil
	}
	return c.Append(append(dst, 1), v)
}

func (c recordCodec[L, P, V, U]) Decode(src []byte) (record[L, P, V, U], int, error) {
	var r record[L, P, V, U]
	if len(src) == 0 {
		return r, 0, fmt.Errorf("%w: empty record", codec.ErrInvalid)
	}
	r.op = op(src[0])
	d := decoder{src: src, off: 1}
	switch r.op {
	case opVote:
		v := decodeField(&d, c.t.Vote, "vote")
		r.vote = &v
	case opAppend:
		r.id = decodeField(&d, c.t.LogID, "log id")
		r.payload = decodeField(&d, c.t.Payload, "payload")
	case opCommit, opPurge:
		r.id = decodeField(&d, c.t.LogID, "log id")
	case opTruncate:
		r = truncateRecord[L, P, V, U](decodeOpt(&d, c.t.LogID, "log id"))
	case opState:
		st := c.decodeState(&d)
		r.state = &st
	default:
		return r, 0, fmt.Errorf("%w: unknown record op %d", codec.ErrInvalid, r.op)
	}
	if d.err != nil {
		return r, 0, d.err
	}
	return r, d.off, nil
}

// decodeEntry decodes an append record's log id and payload into id and
// payload, for a read that needs nothing else: it skips building a record.
// Any other record it decodes in full into *other, for the reader to say
// what it found instead of an entry.
func (c recordCodec[L, P, V, U]) decodeEntry(body []byte, id *L, payload *P, other *record[L, P, V, U]) (int, error) {
	if len(body) == 0 || op(body[0]) != opAppend {
		r, n, err := c.Decode(body)
		*other = r
		return n, err
	}
	d := decoder{src: body, off: 1}
	*id = decodeField(&d, c.t.LogID, "log id")
	*payload = decodeField(&d, c.t.Payload, "payload")
	return d.off, d.err
}

func (c recordCodec[L, P, V, U]) decodeState(d *decoder) State[L, V, U] {
	var s State[L, V, U]
	if d.err != nil {
		return s
	}
	if d.off >= len(d.src) {
		d.err = fmt.Errorf("%w: state version missing", codec.ErrInvalid)
		return s
	}
	if v := d.src[d.off]; v != stateVersion {
		d.err = fmt.Errorf("%w: unsupported state version %d", codec.ErrInvalid, v)
		return s
	}
	d.off++
	s.Vote = decodeOpt(d, c.t.Vote, "vote")
	s.Last = decodeOpt(d, c.t.LogID, "last")
	s.Committed = decodeOpt(d, c.t.LogID, "committed")
	s.Purged = decodeOpt(d, c.t.LogID, "purged")
	s.UserData = decodeOpt(d, c.t.UserData, "user data")
	return s
}

// decoder walks a record body; the first error sticks.
type decoder struct {
	src []byte
	off int
	err error
}

func decodeField[T any](d *decoder, c codec.Codec[T], what string) T {
	var zero T
	if d.err != nil {
		return zero
	}
	v, n, err := c.Decode(d.src[d.off:])
	if err != nil {
		d.err = fmt.Errorf("%s: %w", what, err)
		return zero
	}
	d.off += n
	return v
}

func decodeOpt[T any](d *decoder, c codec.Codec[T], what string) Option[T] {
	if d.err != nil {
		return Option[T]{}
	}
	if d.off >= len(d.src) {
		d.err = fmt.Errorf("%w: %s option tag missing", codec.ErrInvalid, what)
		return Option[T]{}
	}
	tag := d.src[d.off]
	d.off++
	switch tag {
	case 0:
		return Option[T]{}
	case 1:
		v := decodeField(d, c, what)
		return Option[T]{v: v, ok: d.err == nil}
	}
	d.err = fmt.Errorf("%w: %s option tag %d", codec.ErrInvalid, what, tag)
	return Option[T]{}
}
