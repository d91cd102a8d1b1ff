package raftlog

import (
	"encoding/binary"
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
// the last entry's (lastSize), and those of entries followed by another record
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
		p.follow(s-1, pos.Offset)
	}
	for s>>blockBits >= len(p.blocks) {
		p.blocks = append(p.blocks, &posBlock{base: pos.Offset, off: new([blockSize]uint32)})
	}
	p.blocks[s>>blockBits].setOffset(s&blockMask, pos.Offset)
	p.lastSize = pos.Size
}

// follow is the entry in slot last (the last one) being followed by one
// whose record starts at next: a record in between makes last a gap.
func (p *positions) follow(last int, next uint64) {
	if p.offset(last)+uint64(p.lastSize) != next {
		p.addGap(last, p.lastSize)
	}
}

// addGap keeps size as the size of slot s, whose record the next entry's
// does not follow; slots are added in increasing order.
func (p *positions) addGap(s int, size uint32) {
	b := p.blocks[s>>blockBits]
	b.gaps = append(b.gaps, gap{slot: uint16(s & blockMask), size: size})
}

// chunkPositions are the positions of n consecutive entries whose records
// lie in one chunk, as a summary gives them: their offsets in the chunk
// (n × u32 little-endian, increasing) and the sizes those do not give.
type chunkPositions struct {
	chunk   uint64 // the chunk's global offset
	offsets []byte
	gaps    []summaryGap // by k, increasing: entries another record follows
	last    uint32       // the last entry's size
}

func (c chunkPositions) offset(k int) uint64 {
	return c.chunk + uint64(binary.LittleEndian.Uint32(c.offsets[4*k:]))
}

// pushChunk pushes c's positions into slots s0 on, as push would one by
// one; follows says whether slot s0-1 holds the entry before. It is the
// loop Open runs for a chunk's summary: the offsets are copied a block at a
// time, and the sizes are the summary's gaps, already in the index's form.
func (p *positions) pushChunk(s0 int, c chunkPositions, follows bool) {
	n := len(c.offsets) / 4
	if n == 0 {
		return
	}
	if follows {
		p.follow(s0-1, c.offset(0))
	}
	for k := 0; k < n; {
		s := s0 + k
		j := s & blockMask
		m := min(blockSize-j, n-k)
		if s>>blockBits >= len(p.blocks) {
			p.blocks = append(p.blocks, &posBlock{base: c.offset(k), off: new([blockSize]uint32)})
		}
		b := p.blocks[s>>blockBits]
		// The offsets increase: the segment fits the block's 32 bits if
		// its ends do.
		if lo, hi := c.offset(k), c.offset(k+m-1); b.wide == nil && lo >= b.base && hi-b.base <= math.MaxUint32 {
			d := uint32(c.chunk - b.base) // wraps as needed: every sum below fits
			src, dst := c.offsets[4*k:4*(k+m)], b.off[j:j+m]
			for t := range dst {
				dst[t] = binary.LittleEndian.Uint32(src[4*t:]) + d
			}
		} else {
			for t := range m {
				b.setOffset(j+t, c.offset(k+t))
			}
		}
		k += m
	}
	for _, g := range c.gaps {
		p.addGap(s0+int(g.k), g.size)
	}
	p.lastSize = c.last
}

// appendOffsets appends the offsets of the n slots from s0 on, less chunk,
// as u32 little-endian: a summary's form, copied a block at a time (the
// reverse of pushChunk).
func (p *positions) appendOffsets(dst []byte, s0, n int, chunk uint64) []byte {
	for k := 0; k < n; {
		s := s0 + k
		b, j := p.blocks[s>>blockBits], s&blockMask
		m := min(blockSize-j, n-k)
		if b.wide == nil {
			d := uint32(b.base - chunk) // wraps as needed, as in pushChunk
			for _, o := range b.off[j : j+m] {
				dst = binary.LittleEndian.AppendUint32(dst, o+d)
			}
		} else {
			for _, o := range b.wide[j : j+m] {
				dst = binary.LittleEndian.AppendUint32(dst, uint32(o-chunk))
			}
		}
		k += m
	}
	return dst
}

// appendGaps appends a pair (k, size) for each of the n slots from s0 on
// but the last whose record the next entry's does not follow: slot s0+k,
// with its record's size. These are the slots kept as gaps.
func (p *positions) appendGaps(dst []uint64, s0, n int) []uint64 {
	end := s0 + n - 1 // the last slot's follower is not among the n
	for bi := s0 >> blockBits; bi < len(p.blocks) && bi<<blockBits < end; bi++ {
		for _, g := range p.blocks[bi].gaps {
			if s := bi<<blockBits + int(g.slot); s >= s0 && s < end {
				dst = append(dst, uint64(s-s0), uint64(g.size))
			}
		}
	}
	return dst
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
