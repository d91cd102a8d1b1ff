package fs

import (
	"math/rand/v2"
	"slices"
)

// SectorSize is the unit in which CrashReordered lets volatile data land.
const SectorSize = 512

// CrashMode says what a crash loses.
type CrashMode int

const (
	// CrashProcess is a process crash (kill -9): the machine stays up, so
	// every write and directory change already made survives.
	CrashProcess CrashMode = iota
	// CrashOrdered is a power loss on a file system that keeps each file's
	// writes in order (ext4 data=ordered): every file keeps its durable
	// content plus a prefix of its volatile operations, the last kept write
	// torn at any byte.
	//
	// It never shows stale bytes: data=ordered writes a block's data before
	// it commits the metadata that gives the block to the file, and here a
	// file always ends at the last byte kept, so every byte of it was
	// written, except holes (made by an extending truncation or a write past
	// the end), which read as zeros as on every file system.
	CrashOrdered
	// CrashReordered is a power loss where pages reach the disk in any order
	// and a file's size and blocks may reach it before its data (ext4
	// data=writeback): every file keeps its durable content plus any subset
	// of the 512-byte sectors that its volatile operations touched (a
	// landed sector reads as the current content there, zero-filled past the
	// current end). Its length is one the file had at some point since its
	// last sync, so it may cover sectors that hold no data: no durable byte
	// and no landed byte. Such a sector
	//   - reads as zeros if it is inside the durable length (the truncation
	//     that emptied it landed), or if no volatile write covered it (a hole:
	//     no block was ever given to the file there);
	//   - otherwise its block may have been given to the file without being
	//     written, so it shows what the block held before. The crash's rng
	//     picks one of three, with equal odds: zeros; the bytes that a
	//     remembered truncation of this same file cut off at this offset (a
	//     random one of them if several did; zeros if none did); or one
	//     sector of a random freed extent of any file (see [Mem]), the one
	//     at this offset with odds 1/2 when the extent held bytes there,
	//     else a random one of its sectors (zeros if nothing was freed).
	//     Bytes an extent did not hold read as zeros.
	//
	// A sector holding durable or landed bytes is never replaced: stale
	// bytes appear only where the file's content is undefined after a crash.
	CrashReordered
)

// String names the value for logs and traces.
func (c CrashMode) String() string {
	switch c {
	case CrashProcess:
		return "process"
	case CrashOrdered:
		return "ordered"
	case CrashReordered:
		return "reordered"
	}
	return "unknown"
}

// Crash returns the file system that a machine would find after a crash of
// the given mode at this instant. Durable content and durable directory
// entries are always kept. In the power-loss modes every volatile directory
// change (a creation, a removal, either half of a rename) survives or is lost
// independently, and every file keeps what its mode allows (see CrashMode).
//
// The same rng state and the same history give byte-identical results
// (freed content included). The returned Mem is fully durable, holds no locks
// and has no crash point; it keeps m's freed content, to which it adds, in
// the order of a walk of sorted names, the content of every file that had a
// name before the crash and has none after it (an unsynced creation or rename
// undone). m itself is left as it was, so a test can crash the same instant
// many times.
func (m *Mem) Crash(rng *rand.Rand, mode CrashMode) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &crasher{rng: rng, mode: mode, done: map[*memNode]*memNode{}, freed: m.freed}
	r := &Mem{
		root:       c.node(m.root),
		locks:      map[string]bool{},
		lastID:     m.lastID,
		freed:      slices.Clone(m.freed),
		freedBytes: m.freedBytes,
	}
	for _, n := range lostFiles(m.root, c.done) {
		r.free(n.id, 0, n.data)
	}
	return r
}

// lostFiles returns the files that have a live name in the tree under root
// but were not kept by a crash (absent from kept), in the order of a walk of
// sorted names over live and durable entries.
func lostFiles(root *memNode, kept map[*memNode]*memNode) []*memNode {
	var lost []*memNode
	seen := map[*memNode]bool{}
	var walk func(d *memNode)
	walk = func(d *memNode) {
		for _, name := range entryNames(d) {
			for _, n := range []*memNode{d.live[name], d.durable[name]} {
				if n == nil || seen[n] {
					continue
				}
				seen[n] = true
				if n.dir {
					walk(n)
				} else if _, ok := kept[n]; !ok && n.nlink > 0 {
					lost = append(lost, n)
				}
			}
		}
	}
	seen[root] = true
	walk(root)
	return lost
}

// entryNames returns the names of d's live and durable entries, sorted.
func entryNames(d *memNode) []string {
	names := make([]string, 0, len(d.live)+len(d.durable))
	for k := range d.live {
		names = append(names, k)
	}
	for k := range d.durable {
		if _, ok := d.live[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

type crasher struct {
	rng   *rand.Rand
	mode  CrashMode
	done  map[*memNode]*memNode // a node reached by two names stays one node
	freed []freedExtent         // the crashing Mem's freed content
}

func (c *crasher) node(n *memNode) *memNode {
	if r, ok := c.done[n]; ok {
		return r
	}
	if n.dir {
		return c.dir(n)
	}
	r := &memNode{id: n.id, data: c.content(n)}
	r.synced = slices.Clone(r.data)
	c.done[n] = r
	return r
}

// dir keeps each entry that is the same now and as of the last SyncDir, and
// picks one of the two versions of every other entry. Names are visited in
// sorted order so that the rng draws are deterministic.
func (c *crasher) dir(n *memNode) *memNode {
	r := newDirNode(n.id)
	c.done[n] = r // before recursing: a half-applied rename can make a cycle
	for _, name := range entryNames(n) {
		pick := n.live[name]
		if d := n.durable[name]; d != pick && c.mode != CrashProcess && c.rng.IntN(2) == 0 {
			pick = d
		}
		if pick != nil {
			child := c.node(pick)
			r.live[name] = child
			child.nlink++
		}
	}
	r.durable = cloneEntries(r.live)
	return r
}

func (c *crasher) content(n *memNode) []byte {
	switch {
	case c.mode == CrashProcess || len(n.pending) == 0:
		return slices.Clone(n.data)
	case c.mode == CrashOrdered:
		return c.ordered(n)
	default:
		return c.reordered(n)
	}
}

// ordered replays a prefix of the volatile operations over the durable
// content; the last one kept, if a write, is torn at a random byte.
func (c *crasher) ordered(n *memNode) []byte {
	b := slices.Clone(n.synced)
	k := c.rng.IntN(len(n.pending) + 1)
	for i, op := range n.pending[:k] {
		if i == k-1 && !op.truncate {
			op.data = op.data[:c.rng.IntN(len(op.data)+1)]
		}
		b = op.apply(b)
	}
	return b
}

// reordered picks a length the file had since its last sync, then lets each
// sector touched by a volatile operation either land (current bytes) or not
// (durable bytes). A sector left with no bytes at all, past the durable
// length and covered by a volatile write, may show stale bytes (see
// CrashReordered); any other byte without content reads as zero.
func (c *crasher) reordered(n *memNode) []byte {
	lengths := []int64{int64(len(n.synced))}
	var touched, written sectorSet
	cur := int64(len(n.synced))
	for _, op := range n.pending {
		if op.truncate {
			touched.mark(min(cur, op.size), max(cur, op.size))
			cur = op.size
		} else {
			end := op.off + int64(len(op.data))
			touched.mark(min(cur, op.off), end)
			written.mark(op.off, end)
			cur = max(cur, end)
		}
		lengths = append(lengths, cur)
	}
	size := lengths[c.rng.IntN(len(lengths))]
	b := make([]byte, size)
	var own []freedExtent // n's own freed content, gathered on first need
	ownDone := false
	for s := int64(0); s*SectorSize < size; s++ {
		lo, hi := s*SectorSize, min((s+1)*SectorSize, size)
		src := n.synced
		if touched.has(s) && c.rng.IntN(2) == 0 {
			src = n.data
		}
		if lo < int64(len(src)) {
			copy(b[lo:hi], src[lo:min(hi, int64(len(src)))])
			continue
		}
		if lo < int64(len(n.synced)) || !written.has(s) {
			continue
		}
		if !ownDone {
			own, ownDone = c.own(n.id), true
		}
		c.stale(b[lo:hi], s, own)
	}
	return b
}

// own returns the freed extents of the file with the given id, oldest first.
func (c *crasher) own(id uint64) []freedExtent {
	var own []freedExtent
	for _, e := range c.freed {
		if e.owner == id {
			own = append(own, e)
		}
	}
	return own
}

// stale fills dst, sector s of a file whose own freed extents are own, with
// what an allocated but unwritten block may hold: zeros, the file's own
// freed bytes at that offset, or a sector of any freed extent. dst is all
// zeros on entry and may be shorter than a sector (the file's last one).
func (c *crasher) stale(dst []byte, s int64, own []freedExtent) {
	switch c.rng.IntN(3) {
	case 1:
		var at []freedExtent
		for _, e := range own {
			if e.covers(s) {
				at = append(at, e)
			}
		}
		if len(at) > 0 {
			at[c.rng.IntN(len(at))].readSector(dst, s)
		}
	case 2:
		if len(c.freed) == 0 {
			return
		}
		e := c.freed[c.rng.IntN(len(c.freed))]
		first, last := e.sectors()
		k := first + c.rng.Int64N(last-first+1)
		if e.covers(s) && c.rng.IntN(2) == 0 {
			k = s
		}
		e.readSector(dst, k)
	}
}

// sectorSet is a set of sector numbers, as flags indexed by sector.
type sectorSet []bool

// mark adds the sectors holding any of the bytes [from, to).
func (ss *sectorSet) mark(from, to int64) {
	if to <= from {
		return
	}
	last := (to - 1) / SectorSize
	for int64(len(*ss)) <= last {
		*ss = append(*ss, false)
	}
	for s := from / SectorSize; s <= last; s++ {
		(*ss)[s] = true
	}
}

func (ss sectorSet) has(s int64) bool { return s < int64(len(ss)) && ss[s] }

// The bounds of a Mem's freed content (see Mem).
const (
	memFreedMaxExtents = 256
	memFreedMaxBytes   = 1 << 20
)

// freedExtent is freed content: bytes that file owner held at [off,
// off+len(data)) when they were freed. data is a copy, never modified.
type freedExtent struct {
	owner uint64
	off   int64
	data  []byte
}

// sectors returns the first and last file sectors that e holds bytes of.
// e.data is never empty.
func (e freedExtent) sectors() (first, last int64) {
	return e.off / SectorSize, (e.off + int64(len(e.data)) - 1) / SectorSize
}

// covers reports whether e holds bytes of file sector s.
func (e freedExtent) covers(s int64) bool {
	first, last := e.sectors()
	return first <= s && s <= last
}

// readSector copies into dst what e held of file sector k (dst is all zeros
// and at most a sector long; bytes e did not hold stay zero).
func (e freedExtent) readSector(dst []byte, k int64) {
	lo := k * SectorSize
	from := max(lo, e.off)
	to := min(lo+int64(len(dst)), e.off+int64(len(e.data)))
	if from < to {
		copy(dst[from-lo:to-lo], e.data[from-e.off:to-e.off])
	}
}

// free remembers data, which file owner held at off, as freed content,
// forgetting the oldest extents to stay within memFreedMaxExtents and
// memFreedMaxBytes. It copies data (the caller's slice lives on in the
// file), keeping at most its first memFreedMaxBytes bytes. Called with m.mu
// held.
func (m *Mem) free(owner uint64, off int64, data []byte) {
	if len(data) == 0 {
		return
	}
	e := freedExtent{owner: owner, off: off, data: slices.Clone(data[:min(len(data), memFreedMaxBytes)])}
	drop, total := 0, m.freedBytes+len(e.data)
	for total > memFreedMaxBytes || len(m.freed)-drop >= memFreedMaxExtents {
		total -= len(m.freed[drop].data)
		drop++
	}
	m.freed = append(slices.Delete(m.freed, 0, drop), e)
	m.freedBytes = total
}
