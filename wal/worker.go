package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/internal/bugs"
	"github.com/raftlog/raftlog/internal/failpoint"
)

// run is the flush worker's goroutine: it steps whenever kicked, and until a
// step finds nothing to do, so requests that arrive during an fsync are
// served together by the next one (group commit).
func (w *WAL[R]) run() {
	defer close(w.done)
	for {
		select {
		case <-w.kick:
		case <-w.stop:
			for w.Step() {
			}
			return
		}
		for w.Step() {
		}
	}
}

// Step does one round of the flush worker's work: it takes everything
// appended and every flush request queued so far, writes the data (creating
// new chunk files and syncing the directory), fsyncs once if any request
// asked for it, removes purged chunks whose removal is now safe, and runs the
// callbacks in request order. It reports whether there was anything to do.
//
// The worker goroutine calls it; so does a Sync (or WaitIdle) that finds no
// round under way, on its own goroutine, to save two handoffs; with
// Config.ManualWorker only the caller does, which makes every I/O happen at
// a point the caller chose. Called from a flush callback, it does nothing
// and returns false: the worker is busy running that callback.
func (w *WAL[R]) Step() bool {
	if w.inCallback.current() {
		return false // this goroutine is the worker, running a callback
	}
	w.stepMu.Lock()
	defer w.stepMu.Unlock()
	return w.step()
}

// step is Step's round, with stepMu held.
func (w *WAL[R]) step() bool {
	w.gather()
	if w.Err() != nil {
		return w.refuseQueued()
	}
	w.mu.Lock()
	segs := append(w.inflight[:0], w.sealed...)
	w.sealed = w.sealed[:0]
	if len(w.buf) > 0 {
		seg := segment{c: w.open, data: w.buf, start: w.bufStart, marker: w.marker, seal: -1}
		if w.headOf == w.open {
			seg.head, w.headOf = w.head, nil
		}
		segs = append(segs, seg)
		w.bufStart += uint64(len(w.buf))
		w.buf, w.marker = w.takeSpareLocked(), -1
	}
	for _, s := range segs {
		if s.marker >= 0 {
			at := s.start + uint64(s.marker)
			patchMarker(s.data[s.marker:], w.synced, s.c.seed(at))
			w.vouched = max(w.vouched, w.synced)
		}
	}
	w.inflight = segs
	reqs := w.reqs
	w.reqs, w.spareReqs = w.spareReqs[:0], nil
	w.kicked = false
	removable := len(w.removals) > 0 && (w.removals[0].after <= w.synced || bugs.On(bugs.EarlyChunkRemove))
	appended := w.appended
	w.mu.Unlock()

	if len(segs) == 0 && len(reqs) == 0 && !removable {
		return false
	}
	syncWanted := false
	for _, r := range reqs {
		syncWanted = syncWanted || r.sync
	}

	var err error
	// A repair's META stays until the caller appends a record: markers
	// and removals alone (a trim that Open schedules, a Sync with nothing
	// written) leave it, or a crash before the caller had the report would
	// leave a shorter log that opens without a word.
	if !w.fresh && (len(segs) > 0 || removable) && (w.meta != metaRepair || appended) {
		err = w.markOpen()
	}
	if err == nil {
		err = w.writeSegments(segs)
	}
	var fsyncTime time.Duration
	if err == nil && syncWanted {
		start := time.Now()
		err = w.syncDirty()
		fsyncTime = time.Since(start)
	}
	w.mu.Lock()
	w.roundServed(len(reqs), len(w.reqs), syncWanted && err == nil, fsyncTime)
	w.inflight = w.inflight[:0]
	if len(segs) > 0 && w.spare == nil {
		w.spare = segs[len(segs)-1].data[:0]
	}
	if err == nil && syncWanted {
		w.synced = w.written
		w.durable.Store(w.synced)
	}
	var remove []*chunk
	for err == nil && len(w.removals) > 0 && (w.removals[0].after <= w.synced || bugs.On(bugs.EarlyChunkRemove)) {
		remove = append(remove, w.removals[0].chunks...)
		w.removals = w.removals[1:]
	}
	w.mu.Unlock()

	if err == nil && len(remove) > 0 {
		if w.deferRemoval {
			// A Sync running this round on its own goroutine: the purges
			// these files held are durable (their trim records are), and
			// unlinking a large file takes tens of milliseconds, so the
			// worker goroutine removes them after the Sync returns.
			w.mu.Lock()
			w.removals = append([]removal{{chunks: remove}}, w.removals...)
			w.mu.Unlock()
			w.kickWorker()
		} else {
			err = w.removeChunks(remove)
		}
	}
	if err != nil {
		err = w.poison(err)
		if bugs.On(bugs.AckFailedFsync) {
			err = nil
		}
	}
	w.stats.step(len(reqs))
	w.callback(reqs, err)
	if w.Err() != nil {
		// Requests queued while this round did its I/O came before the
		// poisoning, so their Flush returned nil and promised an answer;
		// no later round need ever run (a ManualWorker's caller may only
		// Close), so this one gives it.
		w.refuseQueued()
	}
	w.writeIndexes()
	w.mu.Lock()
	w.spareReqs = reqs[:0] // the next step's queue: no allocation per flush
	w.mu.Unlock()
	return true
}

// refuseQueued answers every queued request of a poisoned WAL with the
// poisoning error, in request order, and reports whether there was one.
// Called with stepMu held, so that it runs after the callbacks of the round
// under way, which came first.
func (w *WAL[R]) refuseQueued() bool {
	w.mu.Lock()
	if w.failed == nil {
		w.mu.Unlock()
		return false
	}
	reqs, err := w.reqs, w.failed
	w.reqs = nil
	w.mu.Unlock()
	w.callback(reqs, err)
	return len(reqs) > 0
}

// callback runs the callbacks and hands the waiters their result, in
// request order, then drops them so the reused queue keeps no closures
// alive. Only callbacks, which run the caller's code, mark this goroutine as
// running callbacks (see callbackGoroutine): that costs a stack read.
func (w *WAL[R]) callback(reqs []request, err error) {
	called := false
	for i, r := range reqs {
		switch {
		case r.wt != nil:
			r.wt.done <- err
		case r.cb != nil:
			if !called {
				called = true
				w.inCallback.enter()
				defer w.inCallback.leave()
			}
			r.cb(err)
		}
		reqs[i] = request{}
	}
}

// poison records the first I/O failure; from then on every write and flush
// fails with it and no fsync is retried (after a failed fsync the kernel may
// have dropped the dirty pages, so a later "successful" fsync proves
// nothing). It returns the error callers get.
func (w *WAL[R]) poison(cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed == nil {
		w.failed = poisoned(cause)
		w.poisonedBy.Store(&w.failed)
		w.cfg.Logger.Error("wal: poisoned: refusing writes until reopened", "dir", w.cfg.Dir, "err", cause)
	}
	return w.failed
}

// writeSegments writes the taken segments in order. A segment of a chunk
// whose file does not exist yet creates it with its head (header, marker,
// checkpoint) made durable; only then is the seal of the chunk before it
// written and fsynced, so that a sealed chunk always has a successor on disk
// and a crash in between leaves a successor that recovery can drop.
func (w *WAL[R]) writeSegments(segs []segment) error {
	var unsealed *segment // a chunk whose seal waits for its successor
	for i := range segs {
		s := &segs[i]
		from, to := 0, len(s.data)
		if s.seal >= 0 {
			to = s.seal
		}
		if !s.c.onDisk {
			if err := w.vouchForPredecessor(s, unsealed); err != nil {
				return err
			}
			if err := w.createChunk(s.c, s.data[:s.head], s.start); err != nil {
				return err
			}
			from = s.head
			if unsealed != nil {
				if err := w.writeSeal(unsealed); err != nil {
					return err
				}
				if unsealed.index != nil {
					w.indexes = append(w.indexes, unsealed.index)
				}
				unsealed = nil
			}
		}
		if err := w.writeData(s.c, s.data[from:to], s.start+uint64(from)); err != nil {
			return err
		}
		if s.seal >= 0 {
			unsealed = s
		}
		w.written = s.start + uint64(len(s.data))
	}
	if unsealed != nil {
		return fmt.Errorf("wal: internal error: chunk %s sealed without a successor", unsealed.c.path)
	}
	return nil
}

// vouchForPredecessor makes everything written so far durable before new
// chunk s is created, the predecessor's records included (all but its
// seal, which waits for s), and patches s's first marker to say so. The
// marker then vouches for the whole predecessor: should the predecessor
// lose its tail and seal at rest while s holds nothing else yet, recovery
// knows those bytes had been durable and refuses, rather than taking s for
// the leftover of a rotation that a crash interrupted.
func (w *WAL[R]) vouchForPredecessor(s, unsealed *segment) error {
	if unsealed == nil {
		return nil // the log's first chunk, or a predecessor sealed earlier
	}
	// Cut the zeros written ahead where the seal goes, durably with the
	// records: a chunk's size is final once its successor exists.
	if c, at := unsealed.c, int64(unsealed.start+uint64(unsealed.seal)-unsealed.c.id); c.size > at {
		if err := w.truncateChunk(c, at); err != nil {
			return err
		}
	}
	if err := w.syncDirty(); err != nil {
		return err
	}
	durable := unsealed.start + uint64(unsealed.seal)
	w.mu.Lock()
	w.synced = max(w.synced, durable)
	w.durable.Store(w.synced)
	w.vouched = max(w.vouched, durable)
	w.mu.Unlock()
	if s.marker >= 0 && s.marker < s.head {
		patchMarker(s.data[s.marker:], durable, s.c.seed(s.start+uint64(s.marker)))
	}
	return nil
}

// writeData writes data, which belongs at global offset at, to chunk c,
// first extending the file with zeros ahead of it if data would pass them
// (Config.PreallocateBytes), unless data is a large write.
func (w *WAL[R]) writeData(c *chunk, data []byte, at uint64) error {
	if len(data) == 0 {
		return nil
	}
	if len(data) < largeWrite {
		if err := w.zeroFill(c, int64(at-c.id)+int64(len(data))); err != nil {
			return err
		}
	}
	return w.writeAt(c, data, at)
}

// largeWrite is the size from which a round's write grows the file itself
// rather than zeros being written ahead of it: the fsync's cost of a new
// file size is then shared by many bytes, while writing the zeros first
// would double the bytes written (4 KiB entries in batches of 64 ran at
// 0.65 of the disk's bandwidth with zeros ahead).
const largeWrite = 64 << 10

// writeAt writes data to chunk c at global offset at, as it is.
func (w *WAL[R]) writeAt(c *chunk, data []byte, at uint64) error {
	if err := failpoint.Inject("wal/beforeWrite"); err != nil {
		return err
	}
	off := int64(at - c.id)
	n, err := c.f.WriteAt(data, off)
	w.stats.wrote(n)
	if err == nil && n < len(data) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("wal: writing %d bytes to %s at offset %d: %w", len(data), c.path, off, err)
	}
	if err := failpoint.Inject("wal/afterWrite"); err != nil {
		return err
	}
	c.size = max(c.size, off+int64(n))
	c.written.Store(at + uint64(len(data)))
	w.markDirty(c)
	return nil
}

// zeros is what zeroFill writes from: never written to.
var zeros [256 << 10]byte

// minZeroFill is the first step of zeros ahead in a chunk: later steps
// double with the chunk's size, so that a chunk closed early (by
// ChunkMaxRecords, or a log that stays small) costs little extra writing.
const minZeroFill = 16 << 10

// zeroFill extends chunk c's file with zeros past end (a file offset) when
// end passes the zeros already there: by as many bytes as the chunk holds,
// at least minZeroFill and at most Config.PreallocateBytes, never past
// ChunkMaxBytes. The zeros become durable with the records of the same
// round: from then on an fsync of records written over them flushes data
// alone, with no change of the file's size or blocks to commit.
func (w *WAL[R]) zeroFill(c *chunk, end int64) error {
	limit := w.cfg.PreallocateBytes
	if limit <= 0 || end <= c.size {
		return nil
	}
	target := min(end+min(limit, max(minZeroFill, end)), w.cfg.ChunkMaxBytes)
	for off := max(c.size, end); off < target; {
		n := min(target-off, int64(len(zeros)))
		if err := failpoint.Inject("wal/beforeWrite"); err != nil {
			return err
		}
		m, err := c.f.WriteAt(zeros[:n], off)
		w.stats.zeroFilled(m)
		if err == nil && int64(m) < n {
			err = io.ErrShortWrite
		}
		if err != nil {
			return fmt.Errorf("wal: writing %d zeros ahead to %s at offset %d: %w", n, c.path, off, err)
		}
		off += n
		c.size = off
	}
	w.markDirty(c)
	return nil
}

// truncateChunk cuts chunk c's file to size bytes; the next syncDirty makes
// the cut durable.
func (w *WAL[R]) truncateChunk(c *chunk, size int64) error {
	if err := c.f.Truncate(size); err != nil {
		return fmt.Errorf("wal: cutting %s to %d bytes: %w", c.path, size, err)
	}
	c.size = size
	w.markDirty(c)
	return nil
}

// markDirty notes that chunk c changed since its last fsync.
func (w *WAL[R]) markDirty(c *chunk) {
	if !slices.Contains(w.dirty, c) {
		w.dirty = append(w.dirty, c)
	}
}

// writeSeal writes the seal that ends segment s's chunk and fsyncs the
// chunk, which is then complete: no byte of it changes again.
func (w *WAL[R]) writeSeal(s *segment) error {
	if err := failpoint.Inject("wal/beforeSeal"); err != nil {
		return err
	}
	c := s.c
	if err := w.writeAt(c, s.data[s.seal:], s.start+uint64(s.seal)); err != nil {
		return err
	}
	if err := w.fsync(c); err != nil {
		return err
	}
	w.dirty = slices.DeleteFunc(w.dirty, func(d *chunk) bool { return d == c })
	return nil
}

// fsync makes chunk c's file durable.
func (w *WAL[R]) fsync(c *chunk) error {
	if err := failpoint.Inject("wal/beforeFsync"); err != nil {
		return err
	}
	start := time.Now()
	err := c.f.Sync()
	w.stats.fsynced(time.Since(start))
	if err != nil {
		return fmt.Errorf("wal: fsync of %s: %w", c.path, err)
	}
	return failpoint.Inject("wal/afterFsync")
}

// syncDirty fsyncs every chunk written since its last fsync, oldest first.
func (w *WAL[R]) syncDirty() error {
	for i, c := range w.dirty {
		if bugs.On(bugs.SkipFsync) && c == w.dirty[len(w.dirty)-1] {
			continue
		}
		if err := w.fsync(c); err != nil {
			w.dirty = w.dirty[i:]
			return err
		}
	}
	w.dirty = w.dirty[:0]
	return nil
}

// createChunk creates c's file holding head (its header, first marker and
// checkpoint, which sit at global offset at), makes it durable, and makes
// its name durable. The first chunk of a new log also writes the META file,
// which from then on vouches that the log exists.
func (w *WAL[R]) createChunk(c *chunk, head []byte, at uint64) error {
	f, err := w.fs.OpenFile(c.path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("wal: creating chunk: %w", err)
	}
	c.f, c.onDisk, c.size = f, true, 0
	if err := failpoint.Inject("wal/afterChunkCreate"); err != nil {
		return err
	}
	if err := w.writeData(c, head, at); err != nil {
		return err
	}
	if err := w.fsync(c); err != nil {
		return err
	}
	w.dirty = slices.DeleteFunc(w.dirty, func(d *chunk) bool { return d == c })
	if !bugs.On(bugs.SkipDirSyncOnCreate) {
		if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
			return fmt.Errorf("wal: syncing directory after creating %s: %w", c.path, err)
		}
	}
	if w.fresh {
		w.fresh = false
		return w.markOpen()
	}
	return nil
}

// removeChunks deletes purged chunk files, oldest first, then syncs the
// directory so the removals stick. A file already gone is fine: removal is
// idempotent, and Open schedules leftovers again after a crash.
func (w *WAL[R]) removeChunks(cs []*chunk) error {
	for _, c := range cs {
		if err := failpoint.Inject("wal/beforeChunkRemove"); err != nil {
			return err
		}
		c.removed.Store(true)
		if c.f != nil {
			c.f.Close()
		}
		if err := w.fs.Remove(c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wal: removing purged chunk: %w", err)
		}
		w.removeIndex(c.id)
		w.cfg.Logger.Debug("wal: removed purged chunk", "file", c.path)
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return fmt.Errorf("wal: syncing directory after removing chunks: %w", err)
	}
	return nil
}
