package raftlog

import (
	"math"
	"sort"

	"github.com/raftlog/raftlog/wal"
)

// positions is the index's column of record positions, 4 bytes per entry
// where a plain column of offsets and sizes takes 12: the index is most of
// what an open log keeps in memory. The entries of a batch are written back
// to back, so an entry's record nearly always ends where the next entry's
// begins and its size is the distance between their offsets. A block stores
// offsets as 32 bits above the block's base (64 bits when a block spans
// more than 4 GiB), and sizes only where the distance does not give them:
// the last entry's (last), and those of entries followed by another record
// (a vote, a commit, a chunk's seal), in the block's gaps.
type positions struct {
	blocks   []*posBlock
	lastSize uint32 // the framed size of the last entry's record
}

type posBlock struct {
	base uint64             // the offset off is relative to: the first one set
	off  *[blockSize]uint32 // offset - base; nil once the block is wide
	wide *[blockSize]uint64 // offsets, when one does not fit off
	gaps []gap              // by slot: entries whose record the next entry's does not follow
}

type gap struct {
	slot uint16 // within the block
	size uint32
}

func (b *posBlock) offset(j int) uint64 {
	if b.wide != nil {
		return b.wide[j]
	}
	return b.base + uint64(b.off[j])
}

func (b *posBlock) setOffset(j int, o uint64) {
	if b.wide == nil && o >= b.base && o-b.base <= math.MaxUint32 {
		b.off[j] = uint32(o - b.base)
		return
	}
	if b.wide == nil {
		b.wide = new([blockSize]uint64)
		for k, d := range b.off {
			b.wide[k] = b.base + uint64(d)
		}
		b.off = nil
	}
	b.wide[j] = o
}

// gapAt returns the size kept for slot j, if any.
func (b *posBlock) gapAt(j int) (uint32, bool) {
	k := sort.Search(len(b.gaps), func(k int) bool { return int(b.gaps[k].slot) >= j })
	if k < len(b.gaps) && int(b.gaps[k].slot) == j {
		return b.gaps[k].size, true
	}
	return 0, false
}

func (p *positions) offset(s int) uint64 { return p.blocks[s>>blockBits].offset(s & blockMask) }

// at returns the position in slot s; last is the last entry's slot.
func (p *positions) at(s, last int) wal.Position {
	b := p.blocks[s>>blockBits]
	o := b.offset(s & blockMask)
	if s == last {
		return wal.Position{Offset: o, Size: p.lastSize}
	}
	if len(b.gaps) > 0 {
		if size, ok := b.gapAt(s & blockMask); ok {
			return wal.Position{Offset: o, Size: size}
		}
	}
	return wal.Position{Offset: o, Size: uint32(p.offset(s+1) - o)}
}

// push sets slot s, the new last entry; follows says whether slot s-1 holds
// the entry before it (false when s is the index's first).
func (p *positions) push(s int, pos wal.Position, follows bool) {
	if follows {
		prev := s - 1
		if p.offset(prev)+uint64(p.lastSize) != pos.Offset {
			b := p.blocks[prev>>blockBits]
			b.gaps = append(b.gaps, gap{slot: uint16(prev & blockMask), size: p.lastSize})
		}
	}
	for s>>blockBits >= len(p.blocks) {
		p.blocks = append(p.blocks, &posBlock{base: pos.Offset, off: new([blockSize]uint32)})
	}
	p.blocks[s>>blockBits].setOffset(s&blockMask, pos.Offset)
	p.lastSize = pos.Size
}

// pushChunk pushes n positions into slots s0 on, as push would one by one:
// r yields each record's offset in the chunk starting at global offset
// chunk, and its size. It is the loop Open runs for a chunk's summary: a
// block's worth of positions decoded at a time, then stored, without a call
// per entry.
func (p *positions) pushChunk(s0, n int, chunk uint64, r *posReader, follows bool) {
	var offs, sizes [blockSize]uint32
	prev, lastSize := s0-1, p.lastSize
	var prevEnd uint64
	if follows {
		prevEnd = p.offset(prev) + uint64(lastSize)
	}
	for k := 0; k < n; {
		s := s0 + k
		j := s & blockMask
		m := min(blockSize-j, n-k)
		r.fill(offs[:m], sizes[:m])
		if s>>blockBits >= len(p.blocks) {
			p.blocks = append(p.blocks, &posBlock{base: chunk + uint64(offs[0]), off: new([blockSize]uint32)})
		}
		b := p.blocks[s>>blockBits]
		for t, rel := range offs[:m] {
			o := chunk + uint64(rel)
			if (follows || k+t > 0) && prevEnd != o {
				pb := p.blocks[prev>>blockBits]
				pb.gaps = append(pb.gaps, gap{slot: uint16(prev & blockMask), size: lastSize})
			}
			if b.wide == nil && o >= b.base && o-b.base <= math.MaxUint32 {
				b.off[j+t] = uint32(o - b.base)
			} else {
				b.setOffset(j+t, o)
			}
			lastSize = sizes[t]
			prev, prevEnd = s+t, o+uint64(lastSize)
		}
		k += m
	}
	p.lastSize = lastSize
}

// cut makes slot last the last entry, dropping what follows it (oldLast is
// the last entry's slot before); the blocks past it are freed by keep.
func (p *positions) cut(last, oldLast int) {
	p.lastSize = p.at(last, oldLast).Size
	b := p.blocks[last>>blockBits]
	k := sort.Search(len(b.gaps), func(k int) bool { return int(b.gaps[k].slot) >= last&blockMask })
	b.gaps = b.gaps[:k]
}

// keep drops blocks before block from and from block to on.
func (p *positions) keep(from, to int) {
	clear(p.blocks[to:])
	p.blocks = p.blocks[:to]
	if from > 0 {
		clear(p.blocks[:from])
		p.blocks = p.blocks[from:]
	}
}

// memBytes estimates the column's memory.
func (p *positions) memBytes() int64 {
	var n int64
	for _, b := range p.blocks {
		n += blockSize*4 + int64(cap(b.gaps))*8
		if b.wide != nil {
			n += blockSize * 4
		}
	}
	return n
}
