package wal

import (
	"errors"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/internal/bugs"
)

// recover rebuilds the WAL from the chunk files in the directory.
//
// Closed chunks were fsynced in full before the next chunk was created, so
// any damage in them is corruption. The last chunk may end in a torn write:
// damage past the last durable point recorded in it (a synced marker) is cut
// off; damage before it is corruption. Recovery modifies only the last chunk
// (truncating it, or removing it when it holds no checkpoint), so a crash
// during recovery followed by another recovery ends in the same state.
func (w *WAL[R]) recover() error {
	files, err := w.listChunks()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return w.startFresh()
	}
	// Replay the run of contiguous chunks that ends with the last one;
	// anything before a gap must be obsolete, which the trim records tell.
	r := len(files) - 1
	for r > 0 && files[r-1].id+uint64(files[r-1].size) == files[r].id {
		r--
	}
	var live []*chunk
	var results []replayResult
	var trim uint64
	for i := r; i < len(files); i++ {
		c := &chunk{id: files[i].id, path: w.chunkPath(files[i].id), end: files[i].id}
		live = append(live, c)
		res, err := w.replay(c, files[i].size, i == len(files)-1)
		if err != nil {
			closeChunks(live)
			return err
		}
		trim = max(trim, res.trim)
		results = append(results, res)
	}
	last := results[len(results)-1]
	if trim < files[r].id {
		closeChunks(live)
		if r > 0 {
			return &GapError{Prev: w.chunkPath(files[r-1].id), Next: w.chunkPath(files[r].id),
				PrevEnd: files[r-1].id + uint64(files[r-1].size), NextStart: files[r].id}
		}
		return &MissingChunkError{Dir: w.cfg.Dir, Want: trim, First: files[r].id}
	}

	open := live[len(live)-1]
	if !last.checkpoint {
		if w.cfg.Recovery == Strict {
			closeChunks(live)
			return fmt.Errorf("%w: the last chunk %s holds no intact checkpoint", ErrTornTail, open.path)
		}
		if len(live) == 1 && (open.id != 0 || r > 0) {
			closeChunks(live)
			return &CorruptionError{File: open.path, Chunk: open.id, Offset: last.valid,
				Reason: "the log's only chunk has no intact checkpoint, and the chunks before it are gone"}
		}
		// A crash right after the chunk was created: it holds nothing
		// that was ever acknowledged. Drop it; the previous chunk, fully
		// durable, becomes the open one again.
		if err := w.dropLastChunk(open); err != nil {
			closeChunks(live)
			return err
		}
		w.dropped = files[len(files)-1].size
		live, results = live[:len(live)-1], results[:len(results)-1]
		if len(live) == 0 {
			return w.startFresh()
		}
		open, last = live[len(live)-1], results[len(results)-1]
		open.f.Close()
		if err := w.openChunkFile(open, true); err != nil {
			closeChunks(live)
			return err
		}
	} else if size := files[len(files)-1].size; last.valid < size {
		if err := open.f.Truncate(last.valid); err != nil {
			closeChunks(live)
			return fmt.Errorf("wal: truncating the torn tail of %s: %w", open.path, err)
		}
		w.dropped = size - last.valid
		w.cfg.Logger.Warn("wal: truncated a torn tail", "file", open.path,
			"offset", last.valid, "bytes_dropped", w.dropped, "reason", last.torn)
	}
	// Make the recovered content durable before any marker claims it is,
	// and the names of the chunks with it.
	if err := open.f.Sync(); err != nil {
		closeChunks(live)
		return fmt.Errorf("wal: syncing %s after recovery: %w", open.path, err)
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		closeChunks(live)
		return fmt.Errorf("wal: syncing directory after recovery: %w", err)
	}

	// Chunks wholly before the trim point were obsolete before the crash;
	// finish their removal.
	var stale []*chunk
	for _, f := range files[:r] {
		stale = append(stale, &chunk{id: f.id, path: w.chunkPath(f.id)})
	}
	for len(live) > 1 && live[0].end <= trim {
		stale = append(stale, live[0])
		live = live[1:]
	}
	if len(stale) > 0 {
		w.removals = append(w.removals, removal{chunks: stale})
		w.kickWorker()
	}

	w.chunks = live
	w.open = open
	w.bufStart = open.end
	w.written, w.synced, w.vouched = open.end, open.end, min(last.vouched, open.end)
	w.durable.Store(open.end)
	for _, c := range live {
		c.written.Store(c.end)
	}
	return nil
}

type chunkFile struct {
	id   uint64
	size int64
}

// listChunks returns the chunk files in the directory, in offset order.
// Other names are ignored: the LOCK file, and anything a user left there.
func (w *WAL[R]) listChunks() ([]chunkFile, error) {
	names, err := w.fs.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, err
	}
	var files []chunkFile
	for _, n := range names {
		id, ok := ParseChunkName(n)
		if !ok {
			if n != fs.LockFileName {
				w.cfg.Logger.Debug("wal: ignoring a file that is not a chunk", "dir", w.cfg.Dir, "name", n)
			}
			continue
		}
		fi, err := w.fs.Stat(w.chunkPath(id))
		if err != nil {
			return nil, err
		}
		files = append(files, chunkFile{id: id, size: fi.Size()})
	}
	return files, nil // ReadDir sorts, and zero-padded names sort as ids
}

// startFresh begins an empty log: chunk 0 with a checkpoint, in memory until
// the first flush writes it.
func (w *WAL[R]) startFresh() error {
	c := &chunk{id: 0, path: w.chunkPath(0)}
	w.chunks = []*chunk{c}
	w.open, w.bufStart = c, 0
	w.buf = appendHeader(nil, 0)
	if _, err := w.appendLocked(kindCheckpoint, w.sm.Checkpoint(nil)); err != nil {
		return fmt.Errorf("wal: encoding the first checkpoint: %w", err)
	}
	return nil
}

func (w *WAL[R]) dropLastChunk(c *chunk) error {
	c.f.Close()
	c.f = nil
	if err := w.fs.Remove(c.path); err != nil {
		return fmt.Errorf("wal: removing %s, which holds no checkpoint: %w", c.path, err)
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return fmt.Errorf("wal: syncing directory after removing %s: %w", c.path, err)
	}
	w.cfg.Logger.Warn("wal: removed a last chunk that holds no checkpoint", "file", c.path)
	return nil
}

func closeChunks(cs []*chunk) {
	for _, c := range cs {
		if c.f != nil {
			c.f.Close()
			c.f = nil
		}
	}
}

type replayResult struct {
	valid      int64  // file offset where the intact records end
	torn       string // why the rest was cut, if it was
	checkpoint bool   // the chunk holds an intact checkpoint
	trim       uint64 // largest trim record found
	vouched    uint64 // global offset before which synced markers vouch for every byte
}

// replay reads chunk c (size bytes) and applies its records to the state
// machine. For the last chunk it classifies damage as a torn tail (reported
// in the result) or corruption (an error); in any other chunk all damage is
// corruption.
func (w *WAL[R]) replay(c *chunk, size int64, last bool) (replayResult, error) {
	var res replayResult
	if err := w.openChunkFile(c, last); err != nil {
		return res, err
	}
	sc := newChunkScan(c.f, size, readLimit)
	h, err := sc.header()
	if err != nil {
		return res, fmt.Errorf("wal: reading the header of %s: %w", c.path, err)
	}
	if herr := parseHeader(h, c.id); herr != nil {
		if herr.badVersion {
			return res, &VersionError{File: c.path, Version: herr.version}
		}
		err := w.damaged(c, last, 0, size, herr.reason, nil, &res)
		return res, err
	}
	corrupt := func(at int64, reason string, err error) error {
		return &CorruptionError{File: c.path, Chunk: c.id, Offset: at, Reason: reason, Err: err}
	}
	for {
		kind, body, at, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !isFramingError(err) {
				return res, fmt.Errorf("wal: reading %s at offset %d: %w", c.path, at, err)
			}
			var ok bool
			if bugs.On(bugs.AcceptTornRecord) && errors.Is(err, codec.ErrChecksum) {
				kind, body, ok = sc.rawBody()
			}
			if !ok {
				err := w.damaged(c, last, at, size, "damaged record", err, &res)
				return res, err
			}
		}
		switch kind {
		case kindSynced:
			v, err := markerValue(body, c.id+uint64(at))
			if err != nil {
				return res, corrupt(at, "bad synced marker", err)
			}
			if v == c.id+uint64(at) { // a closing marker: it seals itself too
				v += markerSize
			}
			res.vouched = max(res.vouched, v)
		case kindTrim:
			v, err := markerValue(body, c.id+uint64(at))
			if err != nil {
				return res, corrupt(at, "bad trim record", err)
			}
			res.trim = max(res.trim, v)
		case kindRecord, kindCheckpoint:
			if !res.checkpoint && kind != kindCheckpoint {
				return res, corrupt(at, "the chunk's first record is not a checkpoint", nil)
			}
			res.checkpoint = true
			rec, n, err := w.codec.Decode(body)
			if err == nil && n != len(body) {
				err = fmt.Errorf("codec used %d of %d bytes", n, len(body))
			}
			if err != nil {
				return res, corrupt(at, "record body does not decode", err)
			}
			pos := Position{Chunk: c.id, Offset: c.id + uint64(at), Size: uint32(sc.off - at)}
			if err := w.sm.Apply(rec, pos); err != nil {
				return res, &ApplyError{File: c.path, Offset: at, Err: err}
			}
			c.records++
		default:
			return res, corrupt(at, fmt.Sprintf("unknown record kind %d", kind), nil)
		}
		c.end = c.id + uint64(sc.off)
	}
	res.valid = sc.off
	c.end = c.id + uint64(res.valid)
	return res, nil
}

// damaged decides what damage at file offset at means.
func (w *WAL[R]) damaged(c *chunk, last bool, at, size int64, reason string, cause error, res *replayResult) error {
	if !last {
		return &CorruptionError{File: c.path, Chunk: c.id, Offset: at,
			Reason: reason + " in a closed chunk, which was durable in full", Err: cause}
	}
	claim, err := durableClaim(c.f, c.id, at, size)
	if err != nil {
		return fmt.Errorf("wal: reading %s past offset %d: %w", c.path, at, err)
	}
	if claim > c.id+uint64(at) {
		return &CorruptionError{File: c.path, Chunk: c.id, Offset: at,
			Reason: fmt.Sprintf("%s before the durable point %d recorded later in the chunk", reason, claim-c.id), Err: cause}
	}
	if w.cfg.Recovery == Strict {
		return fmt.Errorf("%w: %s at offset %d of %s (%d bytes to drop)", ErrTornTail, reason, at, c.path, size-at)
	}
	res.valid = at
	res.torn = reason
	if cause != nil {
		res.torn += ": " + cause.Error()
	}
	c.end = c.id + uint64(at)
	return nil
}

func isFramingError(err error) bool {
	return errors.Is(err, codec.ErrIncomplete) || errors.Is(err, codec.ErrChecksum) || errors.Is(err, codec.ErrTooLarge)
}
