package wal

import (
	"errors"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
)

// Load reads back the record at pos, which Append returned: from the file
// with one ReadAt once the worker has written it, from memory before that.
// It verifies the checksum and the framing; damage is a *CorruptionError
// naming the chunk and offset, and no bytes of a damaged record are ever
// decoded. A record of a chunk that purging removed is ErrChunkRemoved, and
// a read cut short by Close is ErrClosed. Load
// never waits for an fsync and may run concurrently with everything else.
func (w *WAL[R]) Load(pos Position) (R, error) {
	var zero R
	c := w.chunkAt(pos.Offset)
	if c == nil {
		return zero, fmt.Errorf("%w: the record at offset %d was in a removed chunk", ErrChunkRemoved, pos.Offset)
	}
	if pos.Size < codec.Overhead {
		return zero, fmt.Errorf("wal: invalid position %+v", pos)
	}
	buf := make([]byte, pos.Size)
	inFile := pos.End() <= c.written.Load()
	if !inFile && !w.copyPending(pos, buf) {
		// Written by the worker between the two checks, or never appended.
		if inFile = pos.End() <= c.written.Load(); !inFile {
			return zero, fmt.Errorf("wal: position %+v is past the end of the log", pos)
		}
	}
	if inFile {
		if err := w.readAt(c, buf, pos.Offset); err != nil {
			return zero, err
		}
	}
	return w.decodeAt(c, buf, pos)
}

// readAt fills buf from chunk c's file at global offset at, which the
// worker has written.
func (w *WAL[R]) readAt(c *chunk, buf []byte, at uint64) error {
	n, err := c.f.ReadAt(buf, int64(at-c.id))
	switch {
	case n == len(buf):
		return nil
	case w.isClosed.Load():
		return ErrClosed
	case c.removed.Load():
		return fmt.Errorf("%w: %s", ErrChunkRemoved, c.path)
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("wal: reading %s at offset %d: %w", c.path, at-c.id, err)
	}
	return &CorruptionError{File: c.path, Chunk: c.id, Offset: int64(at - c.id),
		Reason: fmt.Sprintf("the file ends %d bytes into the record", n), Err: err}
}

// decodeAt verifies and decodes the record at pos, whose bytes (exactly
// pos.Size of them) are buf.
func (w *WAL[R]) decodeAt(c *chunk, buf []byte, pos Position) (R, error) {
	var zero R
	kind, body, n, err := codec.DecodeRecordSeed(buf, readLimit, c.seed(pos.Offset))
	corrupt := func(reason string, err error) error {
		return &CorruptionError{File: c.path, Chunk: c.id, Offset: int64(pos.Offset - c.id), Reason: reason, Err: err}
	}
	switch {
	case err != nil:
		return zero, corrupt("damaged record", err)
	case n != len(buf):
		return zero, corrupt(fmt.Sprintf("record is %d bytes, the position says %d", n, len(buf)), nil)
	case kind != kindRecord && kind != kindCheckpoint:
		return zero, corrupt(fmt.Sprintf("not a caller's record (kind %d)", kind), nil)
	}
	rec, used, err := w.codec.Decode(body)
	if err == nil && used != len(body) {
		err = errors.New("trailing bytes after the record")
	}
	if err != nil {
		return zero, corrupt("record body does not decode", err)
	}
	return rec, nil
}

// copyPending copies the bytes at pos from the buffers not yet written: the
// worker's in-flight segments, sealed chunks, and the open buffer.
func (w *WAL[R]) copyPending(pos Position, dst []byte) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	try := func(s segment) bool {
		if pos.Offset >= s.start && pos.End() <= s.start+uint64(len(s.data)) {
			copy(dst, s.data[pos.Offset-s.start:])
			return true
		}
		return false
	}
	for _, s := range w.inflight {
		if try(s) {
			return true
		}
	}
	for _, s := range w.sealed {
		if try(s) {
			return true
		}
	}
	return try(segment{c: w.open, data: w.buf, start: w.bufStart})
}
