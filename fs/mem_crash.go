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
	CrashOrdered
	// CrashReordered is a power loss where pages reach the disk in any order
	// (ext4 data=writeback): every file keeps its durable content plus any
	// subset of the 512-byte sectors that its volatile operations touched.
	// Its length is one the file had at some point since its last sync, so
	// it may cover sectors that never landed, which read as zeros.
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
// The same rng state and the same history give byte-identical results. The
// returned Mem is fully durable, holds no locks and has no crash point; m
// itself is left as it was, so a test can crash the same instant many times.
func (m *Mem) Crash(rng *rand.Rand, mode CrashMode) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &crasher{rng: rng, mode: mode, done: map[*memNode]*memNode{}}
	return &Mem{root: c.node(m.root), locks: map[string]bool{}}
}

type crasher struct {
	rng  *rand.Rand
	mode CrashMode
	done map[*memNode]*memNode // a node reached by two names stays one node
}

func (c *crasher) node(n *memNode) *memNode {
	if r, ok := c.done[n]; ok {
		return r
	}
	if n.dir {
		return c.dir(n)
	}
	r := &memNode{data: c.content(n)}
	r.synced = slices.Clone(r.data)
	c.done[n] = r
	return r
}

// dir keeps each entry that is the same now and as of the last SyncDir, and
// picks one of the two versions of every other entry. Names are visited in
// sorted order so that the rng draws are deterministic.
func (c *crasher) dir(n *memNode) *memNode {
	r := newDirNode()
	c.done[n] = r // before recursing: a half-applied rename can make a cycle
	names := make([]string, 0, len(n.live)+len(n.durable))
	for k := range n.live {
		names = append(names, k)
	}
	for k := range n.durable {
		if _, ok := n.live[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		pick := n.live[name]
		if d := n.durable[name]; d != pick && c.mode != CrashProcess && c.rng.IntN(2) == 0 {
			pick = d
		}
		if pick != nil {
			r.live[name] = c.node(pick)
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
// (durable bytes, zeros past the durable length).
func (c *crasher) reordered(n *memNode) []byte {
	lengths := []int64{int64(len(n.synced))}
	var touched []bool
	mark := func(from, to int64) { // sectors covering [from, to)
		if to <= from {
			return
		}
		last := (to - 1) / SectorSize
		for int64(len(touched)) <= last {
			touched = append(touched, false)
		}
		for s := from / SectorSize; s <= last; s++ {
			touched[s] = true
		}
	}
	cur := int64(len(n.synced))
	for _, op := range n.pending {
		if op.truncate {
			mark(min(cur, op.size), max(cur, op.size))
			cur = op.size
		} else {
			end := op.off + int64(len(op.data))
			mark(min(cur, op.off), end)
			cur = max(cur, end)
		}
		lengths = append(lengths, cur)
	}
	size := lengths[c.rng.IntN(len(lengths))]
	b := make([]byte, size)
	for s := int64(0); s*SectorSize < size; s++ {
		lo, hi := s*SectorSize, min((s+1)*SectorSize, size)
		src := n.synced
		if s < int64(len(touched)) && touched[s] && c.rng.IntN(2) == 0 {
			src = n.data
		}
		if lo < int64(len(src)) {
			copy(b[lo:hi], src[lo:min(hi, int64(len(src)))])
		}
	}
	return b
}
