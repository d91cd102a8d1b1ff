package raftlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/wal"
)

// A chunk's summary (wal.Summarizer) is what Open needs of the chunk in
// place of its records: the state at the chunk's end, the range of indexes
// the log held then, and, for every entry whose record lies in the chunk
// and that the log held then, its index, log id and position. Entries are a
// suffix of the log when the chunk ends (positions grow with indexes). A
// summary applies as a replay would: the chunk's head checkpoint (whose
// state is the one the previous chunk ended with) fits the entries to the
// state; the entries from the chunk's first on are replaced by the
// summary's; the held range is cut to what it was at the chunk's end; the
// state becomes the chunk's. Layout, integers little-endian:
//
//	version u8 (2)
//	uvarint length, state record (op 6, as a checkpoint)
//	held u64, count u64: the log held [held, held+count)
//	first u64, n u64: the chunk's entries [first, first+n)
//	ids: with Types.WithIndex, uvarint k, then k runs of (start u64,
//	     uvarint length, log id); else n times (uvarint length, log id)
//	positions, when n > 0:
//	  offset u32: the first entry's record offset in the chunk
//	  sizes: n × uvarint, each record's framed size
//	  uvarint g, then g gaps (uvarint k, uvarint bytes), k increasing:
//	    bytes of other records (a vote, a commit) lie between entry k's
//	    record (0-based in the chunk) and the next entry's
//
// Version 1, which the first logs of format 2 hold, had every entry's
// offset and size as n × u32 each; Open still applies it. Version 2 is a
// quarter of its size for small entries (a summary is most of what a
// reopen reads, and a seal holds one in memory until it is written).
const summaryVersion = 2

// Summarize implements wal.Summarizer. pending are appends (AppendBatch is
// used for Append only); any other record yields no summary, and the chunk
// is then replayed at Open.
func (m machine[L, P, V, U]) Summarize(dst []byte, chunk, end uint64, pending []record[L, P, V, U], pendingPos []wal.Position) []byte {
	l := m.l
	for _, r := range pending {
		if r.op != opAppend {
			return dst
		}
	}
	base := len(dst)
	dst = append(dst, summaryVersion)
	st, err := recordCodec[L, P, V, U]{t: &l.t}.Append(nil, m.Checkpoint(pending))
	if err != nil {
		return dst[:base]
	}
	dst = binary.AppendUvarint(dst, uint64(len(st)))
	dst = append(dst, st...)

	// The entries at the chunk's end are the index's, then the batch's,
	// which follow them or, as indexEntry applies them, start afresh;
	// those in this chunk are a suffix, found by position.
	x := &l.idx
	held, count, keep := x.first, uint64(x.n), x.n
	if len(pending) > 0 {
		if pi := l.t.Index(pending[0].id); x.n == 0 || pi != x.end() {
			held, count, keep = pi, 0, 0
		}
		count += uint64(len(pending))
	}
	dst = binary.LittleEndian.AppendUint64(dst, held)
	dst = binary.LittleEndian.AppendUint64(dst, count)
	a := sort.Search(keep, func(k int) bool { return x.pos(x.first+uint64(k)).Offset >= chunk })
	first, n := x.first+uint64(a), uint64(keep-a)
	if n == 0 {
		j := sort.Search(len(pending), func(k int) bool { return pendingPos[k].Offset >= chunk })
		pending, pendingPos = pending[j:], pendingPos[j:]
		if len(pending) > 0 {
			first = l.t.Index(pending[0].id)
		}
	}
	total := n + uint64(len(pending))
	dst = binary.LittleEndian.AppendUint64(dst, first)
	dst = binary.LittleEndian.AppendUint64(dst, total)

	id := func(k uint64) L {
		if k < n {
			return x.id(first + k)
		}
		return pending[k-n].id
	}
	pos := func(k uint64) wal.Position {
		if k < n {
			return x.pos(first + k)
		}
		return pendingPos[k-n]
	}
	codecID := l.t.LogID
	if l.t.WithIndex != nil {
		var runs []uint64 // entry numbers where a run starts
		for k := uint64(0); k < total; k++ {
			if k == 0 || l.t.CompareLogID(l.t.WithIndex(id(runs[len(runs)-1]), first+k), id(k)) != 0 {
				runs = append(runs, k)
			}
		}
		dst = binary.AppendUvarint(dst, uint64(len(runs)))
		for _, k := range runs {
			dst = binary.LittleEndian.AppendUint64(dst, first+k)
			if dst, err = appendSized(dst, codecID, id(k)); err != nil {
				return dst[:base]
			}
		}
	} else {
		for k := uint64(0); k < total; k++ {
			if dst, err = appendSized(dst, codecID, id(k)); err != nil {
				return dst[:base]
			}
		}
	}
	if total == 0 {
		return dst
	}
	// The sizes are most of a summary: grow once, not by doubling, which
	// would leave garbage the size of the summary behind.
	dst = slices.Grow(dst, 4+2*int(total)+binary.MaxVarintLen64)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(pos(0).Offset-chunk))
	var gaps []uint64 // pairs: entry number, bytes after its record
	for k := uint64(0); k < total; k++ {
		p := pos(k)
		dst = binary.AppendUvarint(dst, uint64(p.Size))
		if k+1 < total {
			if skip := pos(k+1).Offset - p.End(); skip != 0 {
				gaps = append(gaps, k, skip)
			}
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(gaps)/2))
	for _, v := range gaps {
		dst = binary.AppendUvarint(dst, v)
	}
	return dst
}

// appendSized appends a uvarint length and v's encoding.
func appendSized[T any](dst []byte, c codec.Codec[T], v T) ([]byte, error) {
	enc, err := c.Append(nil, v)
	if err != nil {
		return dst, err
	}
	dst = binary.AppendUvarint(dst, uint64(len(enc)))
	return append(dst, enc...), nil
}

// errSummary is a summary that does not decode.
var errSummary = errors.New("raftlog: summary does not decode")

// summary is a decoded chunk summary.
type summary[L, V, U any] struct {
	state       State[L, V, U]
	held, count uint64
	first, n    uint64
	ids         []L        // without WithIndex: one per entry
	runs        []idRun[L] // with WithIndex
	// Version 1: n × u32 each.
	offsets, sizes []byte
	// Version 2: the first offset, n uvarint sizes, the gaps.
	offset0  uint32
	sizesVar []byte
	gaps     []summaryGap
}

// uvarint is binary.Uvarint with the sizes of most records, one or two
// bytes, decoded without its loop.
func uvarint(b []byte) (uint64, int) {
	if len(b) >= 2 {
		if b[0] < 0x80 {
			return uint64(b[0]), 1
		}
		if b[1] < 0x80 {
			return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
		}
	}
	return binary.Uvarint(b)
}

// summaryGap is a gap of a version 2 summary: bytes of other records after
// entry k's.
type summaryGap struct{ k, bytes uint64 }

// positions returns a reader of the summary's n positions.
func (s *summary[L, V, U]) positions() posReader {
	return posReader{offsets: s.offsets, sizes: s.sizes, off: s.offset0, sizesVar: s.sizesVar, gaps: s.gaps}
}

// posReader yields a summary's positions in turn: each record's offset in
// the chunk and its size. A concrete type rather than a closure, so that
// Open's loop over a million entries keeps it on the stack, and moving
// through it writes integers, not slices (no write barriers).
type posReader struct {
	offsets, sizes []byte // version 1
	k              int    // entries read
	off            uint32 // version 2: the next record's offset
	sizesVar       []byte
	at             int // in sizesVar
	gaps           []summaryGap
	gap            int // the next gap
}

// fill sets the next len(off) positions: offsets in off, sizes in size.
func (r *posReader) fill(off, size []uint32) {
	size = size[:len(off)]
	if r.offsets != nil {
		for t := range off {
			off[t] = binary.LittleEndian.Uint32(r.offsets[4*(r.k+t):])
			size[t] = binary.LittleEndian.Uint32(r.sizes[4*(r.k+t):])
		}
		r.k += len(off)
		return
	}
	// decodeSummary checked every varint and that every record ends
	// within 32 bits.
	b, at, o, k := r.sizesVar, r.at, r.off, r.k
	for t := range off {
		v, n := uvarint(b[at:])
		at += n
		off[t], size[t] = o, uint32(v)
		o += uint32(v)
		if r.gap < len(r.gaps) && r.gaps[r.gap].k == uint64(k) {
			o += uint32(r.gaps[r.gap].bytes)
			r.gap++
		}
		k++
	}
	r.at, r.off, r.k = at, o, k
}

// ApplySummary implements wal.Summarizer: it decodes the whole summary
// first, so that a bad one changes nothing.
func (m machine[L, P, V, U]) ApplySummary(b []byte, chunk uint64) error {
	l := m.l
	s, err := decodeSummary(l, b)
	if err != nil {
		return err
	}
	l.fitEntries() // the chunk's head checkpoint: the state so far
	x := &l.idx
	if s.n > 0 && x.n > 0 && s.first != x.end() {
		if s.first > x.first && s.first < x.end() {
			x.truncate(s.first)
		} else {
			x.reset(s.first)
		}
	}
	pr := s.positions()
	x.pushSummary(s.first, int(s.n), chunk, &pr, s.ids, s.runs)
	// The range held at the chunk's end: purges and truncations by index
	// that the state does not show (a purge below the purge point's id)
	// are in it.
	if s.count == 0 {
		x.reset(s.held)
	} else {
		x.truncate(s.held + s.count)
		if s.held > 0 {
			x.purge(s.held - 1)
		}
	}
	l.state = s.state
	return nil
}

func decodeSummary[L, P, V, U any](l *Log[L, P, V, U], b []byte) (summary[L, V, U], error) {
	var s summary[L, V, U]
	bad := func(what string) error { return fmt.Errorf("%w: %s", errSummary, what) }
	if len(b) == 0 || b[0] != 1 && b[0] != summaryVersion {
		return s, bad("unknown version")
	}
	version := b[0]
	b = b[1:]
	sl, k := binary.Uvarint(b)
	if k <= 0 || sl > uint64(len(b)-k) {
		return s, bad("state length")
	}
	r, used, err := recordCodec[L, P, V, U]{t: &l.t}.Decode(b[k : k+int(sl)])
	if err != nil || used != int(sl) || r.op != opState {
		return s, bad("state")
	}
	s.state = r.state
	b = b[k+int(sl):]
	if len(b) < 32 {
		return s, bad("entry count")
	}
	s.held, s.count = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	s.first, s.n = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	if s.n > uint64(len(b)) || s.first+s.n < s.first {
		return s, bad("entry count")
	}
	readID := func() (L, error) {
		var id L
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return id, bad("log id length")
		}
		id, used, err := l.t.LogID.Decode(b[k : k+int(n)])
		if err != nil || used != int(n) {
			return id, bad("log id")
		}
		b = b[k+int(n):]
		return id, nil
	}
	if l.t.WithIndex != nil {
		runs, k := binary.Uvarint(b)
		if k <= 0 || runs > uint64(len(b)) || (runs == 0) != (s.n == 0) {
			return s, bad("runs")
		}
		b = b[k:]
		for range runs {
			if len(b) < 8 {
				return s, bad("run")
			}
			start := binary.LittleEndian.Uint64(b)
			b = b[8:]
			id, err := readID()
			if err != nil {
				return s, err
			}
			if start < s.first || start >= s.first+s.n || len(s.runs) > 0 && start <= s.runs[len(s.runs)-1].start ||
				len(s.runs) == 0 && start != s.first || l.t.Index(id) != start {
				return s, bad("run start")
			}
			s.runs = append(s.runs, idRun[L]{start: start, id: id})
		}
	} else {
		s.ids = make([]L, 0, s.n)
		for k := uint64(0); k < s.n; k++ {
			id, err := readID()
			if err != nil {
				return s, err
			}
			if l.t.Index(id) != s.first+k {
				return s, bad("log id index")
			}
			s.ids = append(s.ids, id)
		}
	}
	if version == 1 {
		if uint64(len(b)) != 8*s.n {
			return s, bad("positions")
		}
		s.offsets, s.sizes = b[:4*s.n], b[4*s.n:]
		return s, nil
	}
	return s, decodePositions(&s, b, bad)
}

// decodePositions decodes and checks a version 2 summary's positions, the
// rest of the summary, into s: every size and gap a varint, every record
// ending within 32 bits of the chunk's start, nothing left over.
func decodePositions[L, V, U any](s *summary[L, V, U], b []byte, bad func(string) error) error {
	if s.n == 0 {
		if len(b) != 0 {
			return bad("positions of no entry")
		}
		return nil
	}
	if len(b) < 4 {
		return bad("first offset")
	}
	end := uint64(binary.LittleEndian.Uint32(b))
	s.offset0, b = uint32(end), b[4:]
	sizes := b
	for range s.n {
		size, k := uvarint(b)
		if k <= 0 || size == 0 || size > math.MaxUint32 {
			return bad("record size")
		}
		end += size
		b = b[k:]
	}
	s.sizesVar = sizes[:len(sizes)-len(b)]
	g, k := binary.Uvarint(b)
	if k <= 0 || g >= s.n {
		return bad("gap count")
	}
	b = b[k:]
	s.gaps = make([]summaryGap, 0, g)
	for range g {
		e, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return bad("gap")
		}
		n, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 || n == 0 || n > math.MaxUint32 || e+1 >= s.n || len(s.gaps) > 0 && e <= s.gaps[len(s.gaps)-1].k {
			return bad("gap")
		}
		end += n
		s.gaps = append(s.gaps, summaryGap{k: e, bytes: n})
		b = b[k1+k2:]
	}
	if len(b) != 0 || end > math.MaxUint32 {
		return bad("positions")
	}
	return nil
}
