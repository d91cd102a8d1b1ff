package wal

import (
	"fmt"
	"os"

	"github.com/raftlog/raftlog/codec"
)

// rotateAtRecovery seals the newest chunk where recovery ended it and starts
// a new chunk, before Open returns. Open does this when it cut a torn tail,
// removed the chunk of an interrupted rotation, or found the newest chunk in
// format version 1.
//
// Why not append on in the same chunk after a cut: the bytes that were cut
// checksum under that chunk's salt at their own offsets, and a file system
// can hand a file's freed blocks back to it, so after a later power loss
// those stale bytes could reappear past the durable point and replay as if
// written there. A new chunk has a new salt, under which they fail.
//
// The order makes every crash recoverable to the same log: the old chunk is
// fsynced as it is (its kept bytes are what the new chunk's marker vouches
// for), the new chunk's head (header, that marker, a checkpoint of the
// recovered state) is made durable; only then is the old chunk cut and
// sealed. A crash before
// the seal is durable leaves an unsealed chunk and a head-only successor,
// which the next recovery removes (an interrupted rotation) before doing
// all of this again.
func (w *WAL[R]) rotateAtRecovery() error {
	if w.meta != metaRepair { // a repair's META stays until its caller writes
		if err := w.markOpen(); err != nil {
			return err
		}
	}
	old := w.open
	salt, err := w.newSalt()
	if err != nil {
		return err
	}
	at := old.end
	next := &chunk{id: at + sealSize, path: w.chunkPath(at + sealSize), version: FormatVersion, salt: salt}
	head := appendHeader(nil, FormatVersion, next.id, salt)
	mark := next.id + uint64(len(head))
	head = appendMarker(head, kindSynced, at, mark, next.seed(mark))
	ckptAt := next.id + uint64(len(head))
	head, start := codec.StartRecord(head, kindCheckpoint)
	head, err = w.codec.Append(head, w.sm.Checkpoint(nil))
	if err != nil {
		return fmt.Errorf("wal: encoding the checkpoint for a new chunk: %w", err)
	}
	head = codec.FinishRecordSeed(head, start, next.seed(ckptAt))
	next.records = 1
	next.end = next.id + uint64(len(head))

	// The new chunk's marker vouches for the old chunk's bytes before at,
	// which may be in the page cache only (a process crash keeps them):
	// make them durable first.
	if err := w.fsync(old); err != nil {
		return err
	}
	f, err := w.fs.OpenFile(next.path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("wal: creating chunk: %w", err)
	}
	next.f, next.onDisk = f, true
	if err := w.writeData(next, head, next.id); err != nil {
		f.Close()
		return err
	}
	if err := w.fsync(next); err != nil {
		f.Close()
		return err
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		f.Close()
		return fmt.Errorf("wal: syncing directory after creating %s: %w", next.path, err)
	}

	if old.size > int64(at-old.id) {
		if err := w.truncateChunk(old, int64(at-old.id)); err != nil {
			f.Close()
			return err
		}
	}
	sealed := appendSeal(nil, seal{next: next.id, salt: salt, start: w.start, records: uint32(old.records)}, old.seed(at))
	if err := w.writeAt(old, sealed, at); err != nil {
		f.Close()
		return err
	}
	if err := w.fsync(old); err != nil {
		f.Close()
		return err
	}
	w.dirty = w.dirty[:0]
	old.end = next.id
	old.written.Store(old.end)
	next.written.Store(next.end)
	w.chunks = append(w.chunks, next)
	w.open = next
	w.bufStart = next.end
	w.written, w.synced, w.vouched = next.end, next.end, at
	w.durable.Store(next.end)
	return nil
}
