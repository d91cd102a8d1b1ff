package raftlog

import (
	"sync/atomic"
	"unsafe"

	"github.com/raftlog/raftlog/wal"
)

// The index maps every entry the log holds to where its record is. Entries
// are consecutive, so it is a deque addressed by index-first, stored in fixed
// blocks (no slack from slice doubling, and purging frees whole blocks). A
// position costs about 4 bytes (see positions). Log ids are stored as runs
// when Types.WithIndex is set (a new run only when the term changes),
// otherwise one per entry.
const (
	blockBits = 12
	blockSize = 1 << blockBits
	blockMask = blockSize - 1
)

// column is one field of the index, in blocks of blockSize slots.
type column[T any] struct{ blocks []*[blockSize]T }

func (c *column[T]) at(slot int) *T { return &c.blocks[slot>>blockBits][slot&blockMask] }

// ensure makes slot addressable.
func (c *column[T]) ensure(slot int) {
	for slot>>blockBits >= len(c.blocks) {
		c.blocks = append(c.blocks, new([blockSize]T))
	}
}

// keep drops blocks before block from and from block to on.
func (c *column[T]) keep(from, to int) {
	clear(c.blocks[to:])
	c.blocks = c.blocks[:to]
	if from > 0 {
		clear(c.blocks[:from])
		c.blocks = c.blocks[from:]
	}
}

type idRun[L any] struct {
	start uint64 // log index of the run's first entry
	id    L      // its log id
}

type index[L any] struct {
	withIndex func(L, uint64) L
	same      func(a, b L) bool

	first     uint64 // log index of the first entry
	n         int    // number of entries
	skip      int    // slots of blocks[0] before the first entry
	positions positions
	ids       column[L]  // without withIndex
	runs      []idRun[L] // with withIndex

	// edits counts the changes that remove or replace entries held
	// (truncate, purge, reset) and the log's Close. A Read takes a batch of
	// entries under the lock and yields them, without it, while edits is
	// unchanged.
	edits atomic.Uint64
}

// end is one past the last entry's index (first when empty).
func (x *index[L]) end() uint64 { return x.first + uint64(x.n) }

func (x *index[L]) has(i uint64) bool { return i >= x.first && i < x.end() }

func (x *index[L]) slot(i uint64) int { return x.skip + int(i-x.first) }

// push adds entry i, which must be end() unless the index is empty.
func (x *index[L]) push(i uint64, id L, pos wal.Position) {
	if x.n == 0 {
		x.reset(i)
	}
	s := x.slot(i)
	x.positions.push(s, pos, x.n > 0)
	if x.withIndex == nil {
		x.ids.ensure(s)
		*x.ids.at(s) = id
	} else if len(x.runs) == 0 || !x.same(x.withIndex(x.runs[len(x.runs)-1].id, i), id) {
		x.runs = append(x.runs, idRun[L]{start: i, id: id})
	}
	x.n++
}

// pushSummary adds the entries from first on whose positions are c, as
// push would one by one; their ids are ids (without withIndex) or the runs
// (with it). It copies a block at a time: Open applies a million entries
// this way in a few milliseconds.
func (x *index[L]) pushSummary(first uint64, c chunkPositions, ids []L, runs []idRun[L]) {
	n := len(c.offsets) / 4
	if n == 0 {
		return
	}
	if x.n == 0 {
		x.reset(first)
	}
	s0 := x.slot(first)
	x.positions.pushChunk(s0, c, x.n > 0)
	if x.withIndex == nil {
		x.ids.ensure(s0 + n - 1)
		for k := 0; k < n; {
			slot := s0 + k
			b, j := slot>>blockBits, slot&blockMask
			m := min(blockSize-j, n-k)
			copy(x.ids.blocks[b][j:j+m], ids[k:k+m])
			k += m
		}
	}
	for _, r := range runs {
		if len(x.runs) > 0 && x.same(x.withIndex(x.runs[len(x.runs)-1].id, r.start), r.id) {
			continue
		}
		x.runs = append(x.runs, r)
	}
	x.n += n
}

func (x *index[L]) id(i uint64) L {
	if x.withIndex == nil {
		return *x.ids.at(x.slot(i))
	}
	// The run holding i is the last one starting at or before it.
	lo, hi := 0, len(x.runs)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x.runs[mid].start <= i {
			lo = mid
		} else {
			hi = mid
		}
	}
	return x.withIndex(x.runs[lo].id, i)
}

func (x *index[L]) pos(i uint64) wal.Position {
	return x.positions.at(x.slot(i), x.slot(x.end()-1))
}

// lookup returns the id at i, if the index holds i.
func (x *index[L]) lookup(i uint64) (L, bool) {
	if !x.has(i) {
		var zero L
		return zero, false
	}
	return x.id(i), true
}

// truncate drops the entries from index i on.
func (x *index[L]) truncate(i uint64) {
	if i >= x.end() {
		return
	}
	x.edits.Add(1)
	if i <= x.first {
		x.reset(i)
		return
	}
	x.positions.cut(x.slot(i-1), x.slot(x.end()-1))
	x.n = int(i - x.first)
	x.trimColumns()
	for len(x.runs) > 0 && x.runs[len(x.runs)-1].start >= i {
		x.runs = x.runs[:len(x.runs)-1]
	}
}

// purge drops the entries up to and including index i.
func (x *index[L]) purge(i uint64) {
	if i < x.first {
		return
	}
	x.edits.Add(1)
	if i+1 >= x.end() {
		x.reset(i + 1)
		return
	}
	drop := int(i + 1 - x.first)
	x.first, x.n, x.skip = i+1, x.n-drop, x.skip+drop
	x.trimColumns()
	// Keep the run covering the new first entry, drop those before it.
	k := 0
	for k+1 < len(x.runs) && x.runs[k+1].start <= x.first {
		k++
	}
	x.runs = x.runs[k:]
}

// trimColumns frees the blocks no entry uses.
func (x *index[L]) trimColumns() {
	from := x.skip >> blockBits
	to := (x.skip + x.n + blockSize - 1) >> blockBits
	x.skip -= from << blockBits
	x.positions.keep(from, to)
	if x.withIndex == nil {
		x.ids.keep(from, to)
	}
}

// reset empties the index; the next entry pushed must be at next.
func (x *index[L]) reset(next uint64) {
	x.edits.Add(1)
	x.first, x.n, x.skip = next, 0, 0
	x.positions.keep(0, 0)
	x.ids.keep(0, 0)
	x.runs = x.runs[:0]
}

// memBytes estimates the index's memory.
func (x *index[L]) memBytes() int64 {
	var id L
	b := x.positions.memBytes()
	b += int64(len(x.ids.blocks)) * blockSize * int64(unsafe.Sizeof(id))
	return b + int64(cap(x.runs))*int64(unsafe.Sizeof(idRun[L]{}))
}
