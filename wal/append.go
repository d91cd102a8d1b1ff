package wal

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
)

// Append buffers rec and returns where it will be on disk. It does no I/O;
// the record is durable once a later Flush with sync reports success. A
// record whose body is over Config.MaxRecordBytes, or that the codec fails to
// encode, is refused and nothing is buffered. When the open chunk is full,
// Append first starts a new one with a checkpoint from the state machine.
func (w *WAL[R]) Append(rec R) (Position, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return Position{}, err
	}
	undo := w.saveLocked()
	pos, err := w.appendRotatingLocked(&rec)
	if err != nil {
		w.restoreLocked(undo) // the rotation it may have begun, too
		return Position{}, err
	}
	w.writeAheadLocked()
	return pos, nil
}

// AppendBatch appends recs all or nothing: if one is refused (too large, or
// the codec fails), none is buffered and the WAL is as before the call. The
// positions are appended to dst, which is returned.
func (w *WAL[R]) AppendBatch(recs []R, dst []Position) ([]Position, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return dst, err
	}
	undo := w.saveLocked()
	n := len(dst)
	for i := range recs {
		// For the checkpoint (and summary) of a chunk started mid-batch.
		w.pending, w.pendPos = recs[:i], dst[n:]
		pos, err := w.appendRotatingLocked(&recs[i])
		if err != nil {
			w.pending, w.pendPos = nil, nil
			w.restoreLocked(undo)
			return dst[:n], err
		}
		dst = append(dst, pos)
	}
	w.pending, w.pendPos = nil, nil
	w.writeAheadLocked()
	return dst, nil
}

func (w *WAL[R]) appendRotatingLocked(rec *R) (Position, error) {
	if w.fullLocked() {
		if err := w.rotateLocked(); err != nil {
			return Position{}, err
		}
	}
	return w.appendLocked(kindRecord, rec)
}

// writeAheadLocked wakes the worker to write (not sync) once enough bytes
// are pending, so memory stays bounded between flushes.
func (w *WAL[R]) writeAheadLocked() {
	if !w.cfg.ManualWorker && w.cfg.WriteAhead > 0 && len(w.buf) >= w.cfg.WriteAhead && !w.kicked {
		w.kicked = true
		w.kickWorker()
	}
}

// undoState is what AppendBatch restores when a record is refused. Nothing
// appended under the same hold of mu has reached the worker, so the undo is
// purely in memory.
type undoState struct {
	open           *chunk
	records        int
	end            uint64
	buf            []byte
	bufLen         int
	bufStart       uint64
	marker         int
	headOf         *chunk
	head           int
	sealed, chunks int
}

func (w *WAL[R]) saveLocked() undoState {
	w.chunksMu.RLock()
	defer w.chunksMu.RUnlock()
	return undoState{open: w.open, records: w.open.records, end: w.open.end, buf: w.buf, bufLen: len(w.buf),
		bufStart: w.bufStart, marker: w.marker, headOf: w.headOf, head: w.head, sealed: len(w.sealed), chunks: len(w.chunks)}
}

func (w *WAL[R]) restoreLocked(u undoState) {
	buf := u.buf
	if w.open != u.open && len(w.sealed) > u.sealed {
		// A rotation sealed the old buffer; take it back (its seal too).
		buf = w.sealed[u.sealed].data
	} else if w.open == u.open {
		buf = w.buf
	}
	w.open, w.buf, w.bufStart, w.marker = u.open, buf[:u.bufLen], u.bufStart, u.marker
	w.headOf, w.head = u.headOf, u.head
	w.open.records, w.open.end = u.records, u.end
	w.sealed = w.sealed[:u.sealed]
	w.chunksMu.Lock()
	w.chunks = w.chunks[:u.chunks]
	w.chunksMu.Unlock()
}

func (w *WAL[R]) fullLocked() bool {
	o := w.open
	return o.records >= w.cfg.ChunkMaxRecords || int64(o.end-o.id) >= w.cfg.ChunkMaxBytes
}

// appendLocked frames rec into buf, behind a synced marker if buf has none
// yet (the worker fills in its value when it takes the buffer). rec is a
// pointer only to save copying a large record on the way to the codec.
func (w *WAL[R]) appendLocked(kind codec.Kind, rec *R) (Position, error) {
	mark, marker := len(w.buf), w.marker
	buf := w.buf
	if w.marker < 0 {
		w.marker = len(buf)
		at := w.bufStart + uint64(len(buf))
		buf = appendMarker(buf, kindSynced, 0, at, w.open.seed(at))
	}
	buf, start := codec.StartRecord(buf, kind)
	buf, err := w.codec.Append(buf, *rec)
	limit := w.cfg.MaxRecordBytes
	if kind == kindCheckpoint {
		limit = readLimit // a refused checkpoint would refuse every later write
	}
	if err == nil && codec.BodyLen(buf, start) > limit {
		err = &RecordTooLargeError{Record: len(w.pending), Size: codec.BodyLen(buf, start), Limit: limit}
	}
	if err != nil {
		w.buf, w.marker = buf[:mark], marker
		return Position{}, err
	}
	w.buf = codec.FinishRecordSeed(buf, start, w.open.seed(w.bufStart+uint64(start)))
	w.appended = true
	w.open.records++
	w.open.end = w.bufStart + uint64(len(w.buf))
	return Position{Chunk: w.open.id, Offset: w.bufStart + uint64(start), Size: uint32(len(w.buf) - start)}, nil
}

// rotateLocked seals the open chunk and starts the next one, in memory: the
// old chunk's buffer ends with a seal naming the new chunk, and the new
// chunk's buffer starts with its header and a checkpoint of the state
// (including w.pending, the records of the current batch appended so far).
// The worker creates the new file, makes its head durable, and only then
// writes the seal, so that a sealed chunk proves its successor exists.
func (w *WAL[R]) rotateLocked() error {
	old := w.open
	salt, err := w.newSalt()
	if err != nil {
		return err
	}
	prevBuf, prevStart, prevMarker, prevEnd := w.buf, w.bufStart, w.marker, old.end
	prevHeadOf, prevHead := w.headOf, w.head
	oldHead := w.prevHead(old)
	sealAt := len(prevBuf)
	at := old.end
	prevBuf = appendSeal(prevBuf, seal{next: at + sealSize, salt: salt, start: w.start, records: uint32(old.records)}, old.seed(at))
	old.end = at + sealSize

	next := &chunk{id: old.end, path: w.chunkPath(old.end), end: old.end, version: FormatVersion, salt: salt}
	w.open, w.bufStart, w.marker = next, next.id, -1
	w.buf = appendHeader(w.takeSpareLocked(), FormatVersion, next.id, salt)
	cp := w.sm.Checkpoint(w.pending)
	if _, err := w.appendLocked(kindCheckpoint, &cp); err != nil {
		w.spare = w.buf[:0]
		old.end = prevEnd
		w.open, w.buf, w.bufStart, w.marker = old, prevBuf[:sealAt], prevStart, prevMarker
		w.headOf, w.head = prevHeadOf, prevHead
		return fmt.Errorf("wal: encoding the checkpoint for a new chunk: %w", err)
	}
	w.headOf, w.head = next, len(w.buf)
	index := w.indexOf(old, at, w.pending, w.pendPos)
	w.sealed = append(w.sealed, segment{c: old, data: prevBuf, start: prevStart, marker: prevMarker, head: oldHead, seal: sealAt, index: index})
	w.chunksMu.Lock()
	w.chunks = append(w.chunks, next)
	w.chunksMu.Unlock()
	return nil
}

// prevHead is the head length to write with the chunk's segment being
// sealed: non-zero only if none of its bytes were taken by the worker yet.
func (w *WAL[R]) prevHead(c *chunk) int {
	if w.headOf == c {
		return w.head
	}
	return 0
}

// newSalt draws the salt of a new chunk.
func (w *WAL[R]) newSalt() (uint64, error) {
	var b [8]byte
	if _, err := io.ReadFull(w.cfg.Rand, b[:]); err != nil {
		return 0, fmt.Errorf("wal: drawing a chunk salt: %w", err)
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (w *WAL[R]) takeSpareLocked() []byte {
	b := w.spare
	w.spare = nil
	return b[:0]
}
