package wal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// StateMachine is what a WAL replays into and what supplies the checkpoint
// that starts every new chunk.
type StateMachine[R any] interface {
	// Apply is called by Open for every caller record and checkpoint, in
	// log order, with the position it was found at. An error aborts Open.
	Apply(rec R, pos Position) error
	// Checkpoint returns a record that, replayed on its own, rebuilds the
	// state as of now, including the effect of pending: the records of the
	// current AppendBatch buffered so far, which the caller applies only
	// once the whole batch is accepted. The WAL calls it while appending,
	// when it starts a new chunk, on the appending goroutine.
	Checkpoint(pending []R) R
}

// Position locates a record: one ReadAt of Size bytes at Offset-Chunk in the
// chunk's file reads it back.
type Position struct {
	// Chunk is the chunk's id: the global offset of its first byte.
	Chunk uint64
	// Offset is the global offset of the record's first byte.
	Offset uint64
	// Size is the record's framed size.
	Size uint32
}

// End is the global offset just past the record.
func (p Position) End() uint64 { return p.Offset + uint64(p.Size) }

// WAL is a chunked write-ahead log of records of type R.
//
// Append, Flush, RemoveBefore and the other writers may be called from any
// goroutine but are serialised by an internal mutex held only for in-memory
// work: they never wait for I/O. Load and Stat may run concurrently with
// them and with each other. Durability comes from Flush with sync, whose
// callback reports success only after an fsync covering every record
// appended before the Flush.
type WAL[R any] struct {
	cfg   Config
	fs    fs.FS
	codec codec.Codec[R]
	sm    StateMachine[R]
	lock  io.Closer

	// mu guards the appender's state, which the flush worker takes from.
	mu        sync.Mutex
	open      *chunk    // the chunk being appended to
	buf       []byte    // bytes of open not yet taken by the worker
	bufStart  uint64    // global offset of buf[0]
	marker    int       // offset in buf of the synced marker to patch, or -1
	sealed    []segment // data of chunks closed by rotation, not yet taken
	inflight  []segment // data the worker is writing; Load may copy from it
	reqs      []request
	spareReqs []request // the queue the worker gave back, reused
	removals  []removal
	failed    error // set once, by the first I/O failure
	closed    bool
	spare     []byte // an empty buffer to swap in for buf
	synced    uint64 // global offset made durable by the last fsync
	vouched   uint64 // global offset before which a written marker vouches for every byte
	kicked    bool   // a write-ahead kick is pending

	// chunksMu guards chunks, the live chunks in order (the last is open).
	// Readers search it; rotation appends, purge removes from the front.
	chunksMu sync.RWMutex
	chunks   []*chunk

	// stepMu serialises Step, whoever runs it.
	stepMu  sync.Mutex
	dirty   []*chunk // written since their last fsync (worker-owned)
	written uint64   // global offset written to files (worker-owned)

	durable  atomic.Uint64 // mirror of synced for lock-free readers
	isClosed atomic.Bool   // set by Close before it closes the files
	dropped  int64         // bytes truncated by Open
	stats    flushStats

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

type chunk struct {
	id   uint64
	path string

	// Appender state, under WAL.mu.
	records int    // caller records and checkpoints
	end     uint64 // global end, pending bytes included

	f       fs.File       // set before the chunk is published to readers
	onDisk  bool          // worker-owned: the file exists
	written atomic.Uint64 // global offset up to which the file holds data
	removed atomic.Bool
}

func (c *chunk) stat() ChunkStat {
	return ChunkStat{ID: c.id, Records: c.records, End: c.end}
}

type segment struct {
	c      *chunk
	data   []byte
	start  uint64 // global offset of data[0]
	marker int    // offset of the synced marker to patch, or -1
}

type request struct {
	sync bool
	cb   func(error)
}

type removal struct {
	chunks []*chunk
	after  uint64 // remove once everything before this offset is durable
}

// Open opens the WAL in cfg.Dir: it takes the directory lock, replays every
// chunk into sm, repairs a torn tail of the last chunk (see Config.Recovery),
// and starts the flush worker. Errors: *ConfigError, a lock error matching
// fs.ErrLocked, *CorruptionError, *GapError, *MissingChunkError,
// *VersionError, *ApplyError, or the file system's error.
func Open[R any](cfg Config, c codec.Codec[R], sm StateMachine[R]) (*WAL[R], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	lock, err := cfg.FS.Lock(cfg.Dir)
	if err != nil {
		return nil, err
	}
	w := &WAL[R]{
		cfg: cfg, fs: cfg.FS, codec: c, sm: sm, lock: lock, marker: -1,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if err := w.recover(); err != nil {
		w.closeFiles()
		lock.Close()
		return nil, err
	}
	if !cfg.ManualWorker {
		go w.run()
	} else {
		close(w.done)
	}
	return w, nil
}

func (w *WAL[R]) chunkPath(id uint64) string { return filepath.Join(w.cfg.Dir, ChunkName(id)) }

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
	pos, err := w.appendRotatingLocked(rec, nil)
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
	for i, rec := range recs {
		pos, err := w.appendRotatingLocked(rec, recs[:i])
		if err != nil {
			w.restoreLocked(undo)
			return dst[:n], err
		}
		dst = append(dst, pos)
	}
	w.writeAheadLocked()
	return dst, nil
}

func (w *WAL[R]) appendRotatingLocked(rec R, pending []R) (Position, error) {
	if w.fullLocked() {
		if err := w.rotateLocked(pending); err != nil {
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
	sealed, chunks int
}

func (w *WAL[R]) saveLocked() undoState {
	w.chunksMu.RLock()
	defer w.chunksMu.RUnlock()
	return undoState{open: w.open, records: w.open.records, end: w.open.end, buf: w.buf, bufLen: len(w.buf),
		bufStart: w.bufStart, marker: w.marker, sealed: len(w.sealed), chunks: len(w.chunks)}
}

func (w *WAL[R]) restoreLocked(u undoState) {
	buf := u.buf
	if w.open != u.open && len(w.sealed) > u.sealed {
		// A rotation sealed the old buffer; take it back.
		buf = w.sealed[u.sealed].data
	} else if w.open == u.open {
		buf = w.buf
	}
	w.open, w.buf, w.bufStart, w.marker = u.open, buf[:u.bufLen], u.bufStart, u.marker
	w.open.records, w.open.end = u.records, u.end
	w.sealed = w.sealed[:u.sealed]
	w.chunksMu.Lock()
	w.chunks = w.chunks[:u.chunks]
	w.chunksMu.Unlock()
}

func (w *WAL[R]) usableLocked() error {
	if w.closed {
		return ErrClosed
	}
	return w.failed
}

func (w *WAL[R]) fullLocked() bool {
	o := w.open
	return o.records >= w.cfg.ChunkMaxRecords || int64(o.end-o.id) >= w.cfg.ChunkMaxBytes
}

// appendLocked frames rec into buf, behind a synced marker if buf has none
// yet (the worker fills in its value when it takes the buffer).
func (w *WAL[R]) appendLocked(kind codec.Kind, rec R) (Position, error) {
	mark, marker := len(w.buf), w.marker
	buf := w.buf
	if w.marker < 0 {
		w.marker = len(buf)
		buf = appendMarker(buf, kindSynced, 0, w.bufStart+uint64(len(buf)))
	}
	buf, start := codec.StartRecord(buf, kind)
	buf, err := w.codec.Append(buf, rec)
	limit := w.cfg.MaxRecordBytes
	if kind == kindCheckpoint {
		limit = readLimit // a refused checkpoint would refuse every later write
	}
	if err == nil && codec.BodyLen(buf, start) > limit {
		err = fmt.Errorf("%w: body of %d bytes, limit %d", ErrRecordTooLarge, codec.BodyLen(buf, start), limit)
	}
	if err != nil {
		w.buf, w.marker = buf[:mark], marker
		return Position{}, err
	}
	w.buf = codec.FinishRecord(buf, start)
	w.open.records++
	w.open.end = w.bufStart + uint64(len(w.buf))
	return Position{Chunk: w.open.id, Offset: w.bufStart + uint64(start), Size: uint32(len(w.buf) - start)}, nil
}

// rotateLocked closes the open chunk and starts the next one, in memory: the
// worker creates the file when it writes the new chunk's first bytes.
func (w *WAL[R]) rotateLocked(pending []R) error {
	old := w.open
	next := &chunk{id: old.end, path: w.chunkPath(old.end), end: old.end}
	prevBuf, prevStart, prevMarker := w.buf, w.bufStart, w.marker

	w.open, w.bufStart, w.marker = next, next.id, -1
	w.buf = appendHeader(w.takeSpareLocked(), next.id)
	if _, err := w.appendLocked(kindCheckpoint, w.sm.Checkpoint(pending)); err != nil {
		w.spare = w.buf[:0]
		w.open, w.buf, w.bufStart, w.marker = old, prevBuf, prevStart, prevMarker
		return fmt.Errorf("wal: encoding the checkpoint for a new chunk: %w", err)
	}
	if len(prevBuf) > 0 {
		w.sealed = append(w.sealed, segment{c: old, data: prevBuf, start: prevStart, marker: prevMarker})
	}
	w.chunksMu.Lock()
	w.chunks = append(w.chunks, next)
	w.chunksMu.Unlock()
	return nil
}

func (w *WAL[R]) takeSpareLocked() []byte {
	b := w.spare
	w.spare = nil
	return b[:0]
}

// Flush hands everything appended so far to the flush worker. With sync, the
// worker writes it and fsyncs (once for every flush request that arrived
// meanwhile); without, it only writes. Then it calls cb, if not nil, with
// the result, on the worker's goroutine, in request order. A nil result with
// sync means every record appended before this Flush survives any crash.
//
// If Flush returns an error (closed, or poisoned by an earlier failure) cb is
// not called; otherwise it is called exactly once.
func (w *WAL[R]) Flush(sync bool, cb func(error)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	return w.enqueueLocked(sync, cb)
}

// enqueueLocked queues a flush request, unless the WAL is poisoned.
func (w *WAL[R]) enqueueLocked(sync bool, cb func(error)) error {
	if w.failed != nil {
		return w.failed
	}
	w.reqs = append(w.reqs, request{sync: sync, cb: cb})
	w.kickWorker()
	return nil
}

// Sync flushes with sync and waits for the result.
func (w *WAL[R]) Sync() error { return w.flushWait(true, true) }

// WaitIdle waits until the worker has written everything appended so far and
// run every callback queued before it. It returns the worker's error if the
// WAL is poisoned, ErrClosed if it is closed, and never hangs.
func (w *WAL[R]) WaitIdle() error { return w.flushWait(false, true) }

// flushWait queues a flush and waits for its result; public says whether a
// closed WAL refuses it (Close itself flushes after closing the door).
func (w *WAL[R]) flushWait(sync, public bool) error {
	wt := waiters.Get().(*waiter)
	defer waiters.Put(wt)
	w.mu.Lock()
	err := ErrClosed
	if !public || !w.closed {
		err = w.enqueueLocked(sync, wt.cb)
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if w.cfg.ManualWorker {
		w.Step()
	}
	return <-wt.done
}

// waiter is a reusable callback that hands its result to a blocked caller,
// so that Sync allocates nothing.
type waiter struct {
	done chan error
	cb   func(error)
}

var waiters = sync.Pool{New: func() any {
	wt := &waiter{done: make(chan error, 1)}
	wt.cb = func(err error) { wt.done <- err }
	return wt
}}

func (w *WAL[R]) kickWorker() {
	if w.cfg.ManualWorker {
		return
	}
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// RemoveBefore schedules the removal of every closed chunk that ends at or
// before offset, the caller having made all their records obsolete. It
// appends a trim record stating the new start of the log; the files are
// removed (and the directory synced) by the flush worker only after a
// synced flush has made that record durable, so a crash can never leave the
// log without them and without the record that obsoleted them. The chunks
// leave Stat and Load at once. It returns the ids of the chunks scheduled.
func (w *WAL[R]) RemoveBefore(offset uint64) ([]uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return nil, err
	}
	w.chunksMu.RLock()
	n := 0
	for n < len(w.chunks)-1 && w.chunks[n].end <= offset {
		n++
	}
	gone := append([]*chunk(nil), w.chunks[:n]...)
	w.chunksMu.RUnlock()
	if n == 0 {
		return nil, nil
	}
	boundary := w.chunks[n].id
	if w.marker < 0 {
		w.marker = len(w.buf)
		w.buf = appendMarker(w.buf, kindSynced, 0, w.bufStart+uint64(len(w.buf)))
	}
	w.buf = appendMarker(w.buf, kindTrim, boundary, w.bufStart+uint64(len(w.buf)))
	w.open.end = w.bufStart + uint64(len(w.buf))
	w.removals = append(w.removals, removal{chunks: gone, after: w.open.end})

	w.chunksMu.Lock()
	w.chunks = append(w.chunks[:0:0], w.chunks[n:]...)
	w.chunksMu.Unlock()
	ids := make([]uint64, len(gone))
	for i, c := range gone {
		ids[i] = c.id
	}
	return ids, nil
}

// End returns the global offset just past the last record appended.
func (w *WAL[R]) End() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open.end
}

// Durable returns the global offset before which every record is known to
// be durable. It never decreases while the WAL is open.
func (w *WAL[R]) Durable() uint64 { return w.durable.Load() }

// Err returns the error that poisoned the WAL, or nil.
func (w *WAL[R]) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// Close flushes with sync, records that the whole log is durable (so a later
// Open can tell any damage in it from a torn write; skipped when a previous
// Close already did and nothing was written since), stops the worker,
// closes the files and releases the directory lock. Later calls fail with
// ErrClosed. It releases the lock even when the WAL is poisoned, and then
// returns the poisoning error.
func (w *WAL[R]) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true // from here on every public call fails with ErrClosed
	w.isClosed.Store(true)
	w.mu.Unlock()

	err := w.flushWait(true, false)
	if err == nil {
		w.mu.Lock()
		// Seal the log with a marker vouching for every byte, unless one
		// already does (a reopen that wrote nothing adds nothing).
		if w.failed == nil && w.synced == w.open.end && w.synced > w.vouched {
			w.buf = appendMarker(w.buf, kindSynced, w.synced, w.bufStart+uint64(len(w.buf)))
			w.open.end = w.bufStart + uint64(len(w.buf))
		}
		w.mu.Unlock()
		err = w.flushWait(true, false)
	}
	if !w.cfg.ManualWorker {
		close(w.stop)
	}
	<-w.done
	w.closeFiles()
	if lerr := w.lock.Close(); err == nil {
		err = lerr
	}
	return err
}

// closeFiles closes every chunk file still open: the live chunks' and those
// of chunks awaiting a removal that a poisoned WAL will never perform.
func (w *WAL[R]) closeFiles() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.chunksMu.Lock()
	defer w.chunksMu.Unlock()
	for _, c := range w.chunks {
		if c.f != nil {
			c.f.Close()
		}
	}
	for _, r := range w.removals {
		for _, c := range r.chunks {
			if c.f != nil && !c.removed.Load() {
				c.f.Close()
			}
		}
	}
}

// chunkAt returns the live chunk holding global offset off, or nil.
func (w *WAL[R]) chunkAt(off uint64) *chunk {
	w.chunksMu.RLock()
	defer w.chunksMu.RUnlock()
	i := sort.Search(len(w.chunks), func(i int) bool { return w.chunks[i].id > off })
	if i == 0 {
		return nil
	}
	return w.chunks[i-1]
}

// openChunkFile opens an existing chunk for appending (the open chunk) or for
// reading.
func (w *WAL[R]) openChunkFile(c *chunk, write bool) error {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR | os.O_APPEND
	}
	f, err := w.fs.OpenFile(c.path, flag, 0)
	if err != nil {
		return err
	}
	c.f = f
	c.onDisk = true
	return nil
}
