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
//	  offsets: n × u32, each record's offset in the chunk, increasing
//	  uvarint g, then g pairs (uvarint k, uvarint size), k increasing:
//	    the framed size of entry k's record (0-based in the chunk) when
//	    another record (a vote, a commit) lies between it and the next
//	    entry's; any other entry's size is the distance to the next offset
//	  uvarint: the last entry's framed size
//
// Version 1, which the first logs of format 2 hold, had every entry's size
// as well (n × u32 after the offsets); Open still applies it. Version 2
// keeps a size only where the offsets do not give it, as the index does in
// memory: half the size (a summary is what a reopen reads, and a seal holds
// one in memory until it is written).
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

	// The index's entries are read a block at a time and its runs and gaps
	// as it keeps them: a seal runs this under the WAL's lock, in the
	// Append that fills the chunk, for every entry of the chunk.
	codecID := l.t.LogID
	if l.t.WithIndex != nil {
		var runs []idRun[L]
		if n > 0 {
			k := sort.Search(len(x.runs), func(k int) bool { return x.runs[k].start > first }) - 1
			runs = append(runs, idRun[L]{start: first, id: x.id(first)})
			for _, r := range x.runs[k+1:] {
				runs = append(runs, r) // the index keeps a run only where the term changes
			}
		}
		for _, r := range pending {
			i := l.t.Index(r.id)
			if len(runs) == 0 || l.t.CompareLogID(l.t.WithIndex(runs[len(runs)-1].id, i), r.id) != 0 {
				runs = append(runs, idRun[L]{start: i, id: r.id})
			}
		}
		dst = binary.AppendUvarint(dst, uint64(len(runs)))
		for _, r := range runs {
			dst = binary.LittleEndian.AppendUint64(dst, r.start)
			if dst, err = appendSized(dst, codecID, r.id); err != nil {
				return dst[:base]
			}
		}
	} else {
		for i := first; i < first+n; i++ {
			if dst, err = appendSized(dst, codecID, x.id(i)); err != nil {
				return dst[:base]
			}
		}
		for _, r := range pending {
			if dst, err = appendSized(dst, codecID, r.id); err != nil {
				return dst[:base]
			}
		}
	}
	if total == 0 {
		return dst
	}
	s0 := 0
	var gaps []uint64 // pairs: entry number, size of its record
	last := wal.Position{}
	if n > 0 {
		s0 = x.slot(first)
		gaps = x.positions.appendGaps(gaps, s0, int(n))
		last = x.pos(first + n - 1) // the index's last entry
	}
	for k, p := range pendingPos {
		if (n > 0 || k > 0) && last.End() != p.Offset {
			gaps = append(gaps, n+uint64(k)-1, uint64(last.Size))
		}
		last = p
	}
	// The offsets are most of a summary: grow once, to its size, not by
	// doubling, which would leave garbage the size of the summary behind.
	dst = slices.Grow(dst, 4*int(total)+(len(gaps)+2)*binary.MaxVarintLen64)
	dst = x.positions.appendOffsets(dst, s0, int(n), chunk)
	for _, p := range pendingPos {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(p.Offset-chunk))
	}
	dst = binary.AppendUvarint(dst, uint64(len(gaps)/2))
	for _, v := range gaps {
		dst = binary.AppendUvarint(dst, v)
	}
	return binary.AppendUvarint(dst, uint64(last.Size))
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
	offsets     []byte     // n × u32, increasing
	// The sizes the offsets do not give (see chunkPositions).
	gaps     []summaryGap
	lastSize uint32
}

// summaryGap is the size of entry k's record in a version 2 summary, where
// another record follows it.
type summaryGap struct {
	k    uint64
	size uint32
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
	x.pushSummary(s.first, chunkPositions{chunk: chunk, offsets: s.offsets, gaps: s.gaps, last: s.lastSize}, s.ids, s.runs)
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
	s.state = *r.state
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
		return s, decodeSizes(&s, b, bad)
	}
	return s, decodePositions(&s, b, bad)
}

// decodeSizes decodes and checks a version 1 summary's positions, n
// offsets then n sizes (u32 each), into s in version 2's form, with version
// 2's checks: offsets increasing, every size above 0 and ending at or before
// the next entry's offset, the last within 32 bits.
func decodeSizes[L, V, U any](s *summary[L, V, U], b []byte, bad func(string) error) error {
	if uint64(len(b)) != 8*s.n {
		return bad("positions")
	}
	offsets, sizes := b[:4*s.n], b[4*s.n:]
	if !increasing(offsets) {
		return bad("offsets")
	}
	at := func(k uint64) uint64 { return uint64(binary.LittleEndian.Uint32(offsets[4*k:])) }
	for k := uint64(0); k < s.n; k++ {
		size := uint64(binary.LittleEndian.Uint32(sizes[4*k:]))
		switch {
		case size == 0:
			return bad("record size")
		case k+1 == s.n:
			if size > math.MaxUint32-at(k) {
				return bad("last size")
			}
			s.lastSize = uint32(size)
		case size > at(k+1)-at(k):
			return bad("record size")
		case size < at(k+1)-at(k):
			s.gaps = append(s.gaps, summaryGap{k: k, size: uint32(size)})
		}
	}
	s.offsets = offsets
	return nil
}

// increasing reports whether the u32 little-endian offsets increase.
func increasing(offsets []byte) bool {
	for k := 4; k+4 <= len(offsets); k += 4 {
		if binary.LittleEndian.Uint32(offsets[k:]) <= binary.LittleEndian.Uint32(offsets[k-4:]) {
			return false
		}
	}
	return true
}

// decodePositions decodes and checks a version 2 summary's positions, the
// rest of the summary, into s: offsets increasing, every record ending
// within 32 bits of the chunk's start and before the next entry's, nothing
// left over.
func decodePositions[L, V, U any](s *summary[L, V, U], b []byte, bad func(string) error) error {
	if s.n == 0 {
		if len(b) != 0 {
			return bad("positions of no entry")
		}
		return nil
	}
	if uint64(len(b)) < 4*s.n {
		return bad("offsets")
	}
	offsets, b := b[:4*s.n], b[4*s.n:]
	at := func(k uint64) uint64 { return uint64(binary.LittleEndian.Uint32(offsets[4*k:])) }
	if !increasing(offsets) {
		return bad("offsets")
	}
	g, k := binary.Uvarint(b)
	if k <= 0 || g >= s.n {
		return bad("gap count")
	}
	b = b[k:]
	gaps := make([]summaryGap, 0, g)
	for range g {
		e, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return bad("gap")
		}
		size, k2 := binary.Uvarint(b[k1:])
		// Sizes are compared, not added to offsets: a sum could wrap.
		if k2 <= 0 || e+1 >= s.n || len(gaps) > 0 && e <= gaps[len(gaps)-1].k || size == 0 || size > at(e+1)-at(e) {
			return bad("gap")
		}
		gaps = append(gaps, summaryGap{k: e, size: uint32(size)})
		b = b[k1+k2:]
	}
	last, k := binary.Uvarint(b)
	if k <= 0 || k != len(b) || last == 0 || last > math.MaxUint32-at(s.n-1) {
		return bad("last size")
	}
	s.offsets, s.gaps, s.lastSize = offsets, gaps, uint32(last)
	return nil
}
