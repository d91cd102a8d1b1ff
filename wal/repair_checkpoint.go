package wal

import (
	"fmt"
	"slices"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// A chunk's checkpoint restates the state that the chunk before it ends
// with (chunk 0's, the empty state of a new log). When that chunk is whole
// and sealed naming this one, a damaged checkpoint (version 2, behind an
// intact marker) holds nothing the log lacks: Repair rewrites it from the
// state replayed up to it rather than cutting the chunk, and every later
// one, with their intact entries.

// rebuild is a damaged checkpoint to rewrite: file offsets [at, end) in its
// chunk, end being where the next record starts.
type rebuild struct{ at, end int64 }

// checkpointAt is the file offset of a version 2 chunk's checkpoint: after
// the header and the synced marker in front of it.
const checkpointAt = ChunkHeaderSize + markerSize

// damagedCheckpoint reports whether chunk i of files (res as peek found
// them) has a checkpoint Repair can rewrite, and its extent: the chunk is
// of version 2 with an intact header and marker, its first damage is the
// checkpoint, and either the chunk before it is whole and its seal names
// this chunk and its salt, or it is the log's first chunk, 0; and an
// intact record starts where the checkpoint ends: want bytes after its
// start when want is known (not negative), else where checkpointEnd says.
func (w *WAL[R]) damagedCheckpoint(files []chunkFile, res []replayed, i int, want int64) (rebuild, bool, error) {
	r := res[i]
	switch {
	case r.version < 2 || r.checkpoint || r.damage == nil || r.damage.at != checkpointAt:
		return rebuild{}, false, nil
	case files[i].id == 0:
	case i == 0:
		return rebuild{}, false, nil
	default:
		if p := res[i-1]; p.damage != nil || p.seal == nil || p.seal.next != files[i].id || p.seal.salt != r.salt {
			return rebuild{}, false, nil
		}
	}
	c, err := w.openRead(files[i])
	if err != nil {
		return rebuild{}, false, err
	}
	defer c.f.Close()
	sc := newChunkScan(c.f, c.id, files[i].size, readLimit)
	sc.h = header{version: r.version, salt: r.salt}
	if want >= 0 {
		ok, err := recordStartsAt(sc, checkpointAt+want)
		return rebuild{at: checkpointAt, end: checkpointAt + want}, ok, err
	}
	end, ok, err := checkpointEnd(sc, checkpointAt)
	return rebuild{at: checkpointAt, end: end}, ok, err
}

// checkpointEnd finds where the damaged record at file offset at ends: at
// the length it states, or at one of the 1,020 lengths one damaged byte of
// that field could hide, the nearest at which an intact record starts
// (a farther one is a later record's start). Records of version 2 are
// bound to their position, so a stray one does not verify inside the
// checkpoint (odds 2^-32 a length); a wrong end also fails the rewrite's
// own check, that the state encodes to exactly its length.
func checkpointEnd(sc *chunkScan, at int64) (int64, bool, error) {
	nearest, found := int64(0), false
	err := eachLength(sc, at, func(n uint32, _ byte, _ bool) (bool, error) {
		end := at + int64(n) + codec.Overhead
		if found && end >= nearest {
			return false, nil
		}
		ok, err := recordStartsAt(sc, end)
		if ok {
			nearest, found = end, true
		}
		return false, err
	})
	return nearest, found, err
}

// rebuildCheckpoint rewrites chunk c's damaged checkpoint e with the state
// machine's checkpoint of the state replayed so far, the state the chunk
// before it ends with, after a durable copy of the file; the rewrite is
// reported as a Cut that Rewritten marks. A checkpoint that does not encode
// to exactly e's length is not written (*CheckpointRewriteError): the
// damage reaches past the checkpoint, where damagedCheckpoint could not
// see it.
func (w *WAL[R]) rebuildCheckpoint(c *chunk, e rebuild) error {
	buf, err := w.encodeCheckpoint(c.seed(c.id + uint64(e.at)))
	if err != nil {
		return fmt.Errorf("wal: encoding the checkpoint to rewrite in %s: %w", c.path, err)
	}
	if int64(len(buf)) != e.end-e.at {
		return &CheckpointRewriteError{File: c.path, Chunk: c.id, Offset: e.at, Held: e.end - e.at, Encoded: int64(len(buf)),
			Cuts: slices.Clone(w.report.Cuts)}
	}
	backup, err := w.changeWithBackup(c.path, func(f fs.File) error {
		_, err := f.WriteAt(buf, e.at)
		return err
	}, fmt.Sprintf("rewriting the checkpoint of %s at offset %d", c.path, e.at))
	if backup != "" {
		w.cut(Cut{File: c.path, Chunk: c.id, Offset: e.at, Bytes: e.end - e.at, Durable: true, Backup: backup, Rewritten: true,
			Reason: "the chunk's checkpoint was damaged: rewritten from the state the sealed chunk before it ends with"})
	}
	return err
}

// encodeCheckpoint frames the state machine's checkpoint of its state now
// as a checkpoint record with the given seed.
func (w *WAL[R]) encodeCheckpoint(seed uint32) ([]byte, error) {
	buf, start := codec.StartRecord(nil, kindCheckpoint)
	buf, err := w.codec.Append(buf, w.sm.Checkpoint(nil))
	if err != nil {
		return nil, err
	}
	return codec.FinishRecordSeed(buf, start, seed), nil
}

// checkpointLen is the framed length of the state machine's checkpoint of
// its state now: before recovery applies anything, the empty state that
// chunk 0 of every log starts with.
func (w *WAL[R]) checkpointLen() (int64, error) {
	buf, err := w.encodeCheckpoint(0)
	return int64(len(buf)), err
}
