package wal

import (
	"fmt"

	"github.com/raftlog/raftlog/codec"
)

// Reader loads records in the order of their positions with one ReadAt per
// block of the file rather than one per record: a sequential read of a
// range that the cache no longer holds (after a reopen, say) then costs a
// system call per block. Its first read fetches the record alone (a read
// of one entry reads nothing more); later ones fetch a block. Each record is verified as Load verifies it; a
// record that is not in the block (written since, not written yet, or
// behind) is read as Load reads it. A Reader reuses its block, so it must
// not be used by two goroutines at once; it may run concurrently with
// everything else.
type Reader[R any] struct {
	w     *WAL[R]
	block int
	used  bool // a record was read: read ahead from now on
	c     *chunk
	buf   []byte // the file's bytes [at, at+len(buf)) of chunk c
	at    uint64
}

// DefaultReadBlock is the block size NewReader uses when given 0: large
// enough to amortise the system call over hundreds of small records, small
// enough to stay in the CPU's caches.
const DefaultReadBlock = 256 << 10

// NewReader returns a Reader that reads blocks of up to block bytes (0:
// DefaultReadBlock); a record larger than a block is read whole.
func (w *WAL[R]) NewReader(block int) *Reader[R] {
	if block <= 0 {
		block = DefaultReadBlock
	}
	return &Reader[R]{w: w, block: block}
}

// Load reads back the record at pos, from the Reader's block when the block
// holds it, else from a new block that starts at pos; errors are Load's.
func (r *Reader[R]) Load(pos Position) (R, error) {
	c, buf, err := r.fetch(pos)
	if err != nil {
		var zero R
		return zero, err
	}
	return r.w.decodeAt(c, buf, pos)
}

// LoadWith is Load with decode in place of the WAL's codec, for a caller
// that needs only part of a record: decode gets the record's verified
// body, valid only during the call, and returns how many bytes it used. Its
// error, or bytes it left unused, are a *CorruptionError as Load's.
func (r *Reader[R]) LoadWith(pos Position, decode func(body []byte) (int, error)) error {
	c, buf, err := r.fetch(pos)
	if err != nil {
		return err
	}
	return r.w.decodeWith(c, buf, pos, decode)
}

// fetch returns the bytes at pos and their chunk: a slice of the block,
// valid until the next call.
func (r *Reader[R]) fetch(pos Position) (*chunk, []byte, error) {
	w := r.w
	if c := r.c; c != nil && pos.Size >= codec.Overhead && pos.Offset >= r.at && pos.End() <= r.at+uint64(len(r.buf)) {
		// In the block: its chunk is c, as a chunk's offsets are never
		// reused, and its bytes were written when the block was read.
		return r.inBlock(c, pos)
	}
	c := w.chunkAt(pos.Offset)
	if c == nil || pos.Size < codec.Overhead || pos.End() > c.written.Load() {
		return w.fetch(pos) // removed, invalid, or not written yet: Load says which
	}
	// Not in the block (the check above): a new block, from pos to at most
	// the end of what is written.
	block := uint64(pos.Size)
	if r.used {
		block = max(uint64(r.block), block)
	}
	r.used = true
	n := min(block, c.written.Load()-pos.Offset)
	if uint64(cap(r.buf)) < n {
		r.buf = make([]byte, n)
	}
	r.c, r.at, r.buf = nil, 0, r.buf[:n]
	if err := w.readAt(c, r.buf, pos.Offset); err != nil {
		return nil, nil, err
	}
	r.c, r.at = c, pos.Offset
	return r.inBlock(c, pos)
}

// inBlock returns the bytes at pos from the block, which holds them, unless
// their chunk c has been removed since.
func (r *Reader[R]) inBlock(c *chunk, pos Position) (*chunk, []byte, error) {
	if c.removed.Load() {
		return nil, nil, fmt.Errorf("%w: %s", ErrChunkRemoved, c.path)
	}
	off := pos.Offset - r.at
	return c, r.buf[off : off+uint64(pos.Size)], nil
}
