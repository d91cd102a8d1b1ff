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
	c, buf, err := w.fetch(pos)
	if err != nil {
		var zero R
		return zero, err
	}
	return w.decodeAt(c, buf, pos)
}

// fetch returns the bytes at pos (exactly pos.Size of them, in a new
// buffer) and the chunk they are in.
func (w *WAL[R]) fetch(pos Position) (*chunk, []byte, error) {
	c := w.chunkAt(pos.Offset)
	if c == nil {
		return nil, nil, fmt.Errorf("%w: the record at offset %d was in a removed chunk", ErrChunkRemoved, pos.Offset)
	}
	if pos.Size < codec.Overhead {
		return nil, nil, fmt.Errorf("wal: invalid position %+v", pos)
	}
	buf := make([]byte, pos.Size)
	inFile := pos.End() <= c.written.Load()
	if !inFile && !w.copyPending(pos, buf) {
		// Written by the worker between the two checks, or never appended.
		if inFile = pos.End() <= c.written.Load(); !inFile {
			return nil, nil, fmt.Errorf("wal: position %+v is past the end of the log", pos)
		}
	}
	if inFile {
		if err := w.readAt(c, buf, pos.Offset); err != nil {
			return nil, nil, err
		}
	}
	return c, buf, nil
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
	body, err := w.bodyAt(c, buf, pos)
	if err != nil {
		return zero, err
	}
	rec, used, err := w.codec.Decode(body)
	if err = bodyDecoded(used, len(body), err); err != nil {
		return zero, corruptAt(c, pos, "record body does not decode", err)
	}
	return rec, nil
}

// decodeWith is decodeAt with decode in place of the codec.
func (w *WAL[R]) decodeWith(c *chunk, buf []byte, pos Position, decode func(body []byte) (int, error)) error {
	body, err := w.bodyAt(c, buf, pos)
	if err != nil {
		return err
	}
	used, err := decode(body)
	if err = bodyDecoded(used, len(body), err); err != nil {
		return corruptAt(c, pos, "record body does not decode", err)
	}
	return nil
}

// bodyAt verifies the record at pos, whose bytes are buf, and returns its
// body: no byte of a damaged record reaches a decoder.
func (w *WAL[R]) bodyAt(c *chunk, buf []byte, pos Position) ([]byte, error) {
	kind, body, n, err := codec.DecodeRecordSeed(buf, readLimit, c.seed(pos.Offset))
	switch {
	case err != nil:
		return nil, corruptAt(c, pos, "damaged record", err)
	case n != len(buf):
		return nil, corruptAt(c, pos, fmt.Sprintf("record is %d bytes, the position says %d", n, len(buf)), nil)
	case kind != kindRecord && kind != kindCheckpoint:
		return nil, corruptAt(c, pos, fmt.Sprintf("not a caller's record (kind %d)", kind), nil)
	}
	return body, nil
}

func bodyDecoded(used, size int, err error) error {
	if err == nil && used != size {
		return errors.New("trailing bytes after the record")
	}
	return err
}

func corruptAt(c *chunk, pos Position, reason string, err error) error {
	return &CorruptionError{File: c.path, Chunk: c.id, Offset: int64(pos.Offset - c.id), Reason: reason, Err: err}
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
