package wal

import (
	"errors"
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

// RawApplier is an optional extension of a StateMachine: when the state
// machine implements it, Open hands it each caller record's body (not
// checkpoints) as it is on disk, checksum verified, before decoding it. If
// ApplyRaw reports done, the record is not decoded with the codec: a
// state machine can then replay what it keeps in memory without decoding
// what it does not (a Raft log's payloads). An error is damage: the body
// does not decode.
type RawApplier interface {
	ApplyRaw(body []byte, pos Position) (done bool, err error)
}

// StartKeeper is an optional extension of a StateMachine. In Repair mode,
// a cut can take with it the log's only record of where it starts: the
// trim of a purge (or of any operation that left the first chunks holding
// nothing the caller needed), past the damage, whose chunk removals had
// begun. The repair writes the trim again where it cuts, so the log starts
// at its first live chunk as before; but the caller's own record of that
// operation was among the bytes cut, and the state replayed from the first
// live chunk's checkpoint may still expect what the removed chunks held.
//
// KeepStart is called once the records cut have been shown to the
// DropObserver, before anything changes: the records it returns are
// written where the cut ends the log, in order, and the trim after them,
// in the same change, before any later chunk is moved aside. They come
// from a later state of the log than the one the cut leaves, so the state
// machine must replay them as it would check them when written, ignoring
// those that no longer fit. raftlog returns the purges among the records
// cut. KeptStart is called after the log is replayed and before anything
// is written (the checkpoint that starts recovery's new chunk records
// what it does then), in every Open that wrote the start again and in
// every repair that follows one whose report may have been lost (see
// InterruptedRepairError): raftlog reports the entries missing before the
// first one held that its purge point does not cover.
type StartKeeper[R any] interface {
	KeepStart() []R
	KeptStart()
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
	raw   RawApplier    // sm, if it implements it
	sum   Summarizer[R] // sm, if it implements it
	lock  io.Closer

	// mu guards the appender's state, which the flush worker takes from.
	mu        sync.Mutex
	open      *chunk     // the chunk being appended to
	buf       []byte     // bytes of open not yet taken by the worker
	bufStart  uint64     // global offset of buf[0]
	marker    int        // offset in buf of the synced marker to patch, or -1
	headOf    *chunk     // a new chunk none of whose bytes the worker took yet
	head      int        // the length of headOf's header, marker and checkpoint
	pending   []R        // the records of the AppendBatch under way
	pendPos   []Position // and their positions
	start     uint64     // the log's first offset: the largest trim stated
	sealed    []segment  // data of chunks closed by rotation, not yet taken
	inflight  []segment  // data the worker is writing; Load may copy from it
	reqs      []request
	spareReqs []request // the queue the worker gave back, reused
	removals  []removal
	failed    error // set once, by the first I/O failure
	closed    bool
	spare     []byte // an empty buffer to swap in for buf
	synced    uint64 // global offset made durable by the last fsync
	vouched   uint64 // global offset before which a written marker vouches for every byte
	kicked    bool   // a write-ahead kick is pending

	// poisonedBy points at failed once it is set, for Err, which the
	// writers of the layers above call before every write: read without mu.
	poisonedBy atomic.Pointer[error]

	// chunksMu guards chunks, the live chunks in order (the last is open).
	// Readers search it; rotation appends, purge removes from the front.
	chunksMu sync.RWMutex
	chunks   []*chunk

	// stepMu serialises Step, whoever runs it.
	stepMu  sync.Mutex
	dirty   []*chunk     // written since their last fsync (worker-owned)
	indexes []*indexFile // of chunks sealed this round, written after its callbacks
	// deferRemoval: this round runs on a Sync's goroutine, which leaves
	// chunk removals to the worker goroutine.
	deferRemoval bool
	written      uint64 // global offset written to files (worker-owned)

	// meta is what the META file says. fresh: the log has no chunk file
	// yet, so the first chunk's creation comes before META. Both are the
	// worker's while the log is open, Close's once the worker is idle.
	meta  metaState
	fresh bool

	durable  atomic.Uint64 // mirror of synced for lock-free readers
	isClosed atomic.Bool   // set by Close before it closes the files
	report   Report        // what Open cut; set by Open, read-only after
	stats    flushStats
	// observing: Open is reading records it will not keep, to tell the
	// state machine's DropObserver about them.
	observing bool
	// repaired: a Repair cut the log, so recovery starts a new chunk.
	repaired bool
	// appended: a record was appended since Open (under mu): what ends a
	// repair's META (see InterruptedRepairError).
	appended bool
	// keptStart: that cut wrote the log's start again, or META says an
	// earlier repair's report may have been lost (see StartKeeper).
	keptStart bool
	// indexTemps are the NAME.idx.tmp files the last listChunks found:
	// what removeIndexTemps removes once recovery has opened the log.
	indexTemps []string
	// rebuilds are the damaged checkpoints a Repair rewrites, by chunk id:
	// replay reads on past them, and recovery rewrites them.
	rebuilds map[uint64]rebuild
	// inCallback knows the goroutine running flush callbacks.
	inCallback callbackGoroutine
	// closeDone is closed once Close has released everything.
	closeDone chan struct{}
	// gathering lets a round wait for the requests of a group to queue.
	gathering gatherState

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

type chunk struct {
	id      uint64
	path    string
	version uint16 // format version of the file
	salt    uint64 // seeds its records' checksums (version 2)

	// Appender state, under WAL.mu.
	records int    // caller records and checkpoints
	end     uint64 // global end, pending bytes included

	f      fs.File // set before the chunk is published to readers
	onDisk bool    // worker-owned: the file exists
	// size is the file's size as the worker left it: where its records
	// end, or past them where zeros were written ahead (worker-owned).
	size    int64
	written atomic.Uint64 // global offset up to which the file holds data
	removed atomic.Bool
}

// seed is the checksum seed of the record at global offset at.
func (c *chunk) seed(at uint64) uint32 { return recordSeed(c.version, c.salt, at) }

func (c *chunk) stat() ChunkStat {
	return ChunkStat{ID: c.id, Records: c.records, End: c.end}
}

type segment struct {
	c      *chunk
	data   []byte
	start  uint64 // global offset of data[0]
	marker int    // offset of the synced marker to patch, or -1
	// head is, for a chunk's first segment, the length of its header,
	// marker and checkpoint: what the worker writes and fsyncs when it
	// creates the file, before sealing the chunk before it.
	head int
	// seal is the offset of the chunk's seal in data, or -1: the seal is
	// written only once the next chunk exists durably.
	seal int
	// index is the sealed chunk's index file, written after its seal.
	index *indexFile
}

// request is one flush: a caller's callback (Flush), a blocked caller's
// waiter (Sync, WaitIdle, Close), or neither.
type request struct {
	sync bool
	cb   func(error)
	wt   *waiter
}

type removal struct {
	chunks []*chunk
	after  uint64 // remove once everything before this offset is durable
}

// Open opens the WAL in cfg.Dir: it takes the directory lock, replays every
// chunk into sm, repairs a torn tail of the last chunk (see Config.Recovery),
// and starts the flush worker. Errors: *ConfigError, a lock error matching
// fs.ErrLocked, *CorruptionError, *GapError, *MissingChunkError,
// *InterruptedRepairError or *StrayChunkError (outside Repair mode),
// *VersionError,
// *ApplyError; in Repair mode *RepairFailedError (the repair had cut the
// log first) or *CheckpointRewriteError; or the file system's error.
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
		report: Report{Mode: cfg.Recovery}, closeDone: make(chan struct{}),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.raw, _ = sm.(RawApplier)
	w.sum, _ = sm.(Summarizer[R])
	w.gathering.ready = make(chan struct{}, 1)
	if err := w.recover(); err != nil {
		w.closeFiles()
		lock.Close()
		return nil, w.failedAfterCuts(err)
	}
	if !cfg.ManualWorker {
		go w.run()
	} else {
		close(w.done)
	}
	return w, nil
}

// failedAfterCuts returns err, the failure of recovery, as a
// *RepairFailedError when a repair had cut the log first: the cuts stay
// made, and the caller must learn of them from this error. Those are the
// durable ones: a repair's, each reported once its change may have landed.
// The cut of a torn tail or of an interrupted rotation's head is reported
// before the file is cut, and a failure before then leaves it for the next
// Open to find and report again.
func (w *WAL[R]) failedAfterCuts(err error) error {
	var rw *CheckpointRewriteError
	if w.cfg.Recovery != Repair || errors.As(err, &rw) {
		return err // a CheckpointRewriteError carries its cuts itself
	}
	var made []Cut
	for _, c := range w.report.Cuts {
		if c.Durable {
			made = append(made, c)
		}
	}
	if len(made) == 0 {
		return err
	}
	return &RepairFailedError{Dir: w.cfg.Dir, Cuts: made, Err: err}
}

func (w *WAL[R]) chunkPath(id uint64) string { return filepath.Join(w.cfg.Dir, ChunkName(id)) }

func (w *WAL[R]) usableLocked() error {
	if w.closed {
		return ErrClosed
	}
	return w.failed
}

// End returns the global offset just past the last record appended.
func (w *WAL[R]) End() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open.end
}

// Report says what Open cut from the log: every cut, a torn tail included.
func (w *WAL[R]) Report() Report { return w.report }

// Durable returns the global offset before which every record is known to
// be durable. It never decreases while the WAL is open.
func (w *WAL[R]) Durable() uint64 { return w.durable.Load() }

// Err returns the error that poisoned the WAL, or nil. It takes no lock.
func (w *WAL[R]) Err() error {
	if p := w.poisonedBy.Load(); p != nil {
		return *p
	}
	return nil
}

// Close flushes with sync, records that the whole log is durable (so a later
// Open can tell any damage in it from a torn write; skipped when a previous
// Close already did and nothing was written since), stops the worker,
// closes the files and releases the directory lock. It releases the lock
// even when the WAL is poisoned, and then returns the poisoning error. A
// Close while another is under way waits for it, then returns ErrClosed, as
// does every later call; when any Close returns, the lock is released.
// From a flush callback it fails with ErrInCallback.
func (w *WAL[R]) Close() error {
	if w.inCallback.current() {
		return ErrInCallback
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.closeDone // another Close is closing: return once it has
		return ErrClosed
	}
	defer close(w.closeDone)
	w.closed = true // from here on every public call fails with ErrClosed
	w.isClosed.Store(true)
	w.mu.Unlock()

	err := w.flushWait(true, false)
	if err == nil {
		w.mu.Lock()
		// End the log with a marker vouching for every byte, unless one
		// already does (a reopen that wrote nothing adds nothing).
		if w.failed == nil && w.synced == w.open.end && w.synced > w.vouched {
			at := w.bufStart + uint64(len(w.buf))
			w.buf = appendMarker(w.buf, kindSynced, w.synced, at, w.open.seed(at))
			w.open.end = w.bufStart + uint64(len(w.buf))
		}
		w.mu.Unlock()
		err = w.flushWait(true, false)
	}
	if err == nil {
		err = w.markClean()
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

// markClean records in the META file where the cleanly closed log ends,
// unless it already says so (a reopen that wrote nothing writes nothing).
// The zeros written ahead of the last chunk's records are cut off first,
// durably: a cleanly closed log ends exactly where its files do, so that
// anything found past that end later is damage. Called by Close once
// everything is durable and the worker is idle.
func (w *WAL[R]) markClean() error {
	if w.meta == metaClean || w.fresh {
		return nil // a new log that never wrote a chunk has nothing to vouch for
	}
	w.mu.Lock()
	m := meta{clean: true, last: w.open.id, salt: w.open.salt, end: w.open.end}
	w.mu.Unlock()
	if c := w.open; c.size > int64(m.end-c.id) {
		if err := w.truncateChunk(c, int64(m.end-c.id)); err != nil {
			return w.poison(err)
		}
		if err := w.syncDirty(); err != nil {
			return w.poison(err)
		}
	}
	if x := w.indexOf(w.open, m.end, nil, nil); x != nil {
		w.writeIndex(*x) // before META: it is used only once META says closed
	}
	if err := writeMeta(w.fs, w.cfg.Dir, m); err != nil {
		return w.poison(err)
	}
	w.meta = metaClean
	return nil
}

// markOpen records in the META file that the log may be written, before
// the first write to a chunk that existed when the log was opened (a clean
// META would otherwise make the next Open refuse the longer log). Worker
// only.
func (w *WAL[R]) markOpen() error {
	if w.meta == metaOpen {
		return nil
	}
	if err := writeMeta(w.fs, w.cfg.Dir, meta{}); err != nil {
		return err
	}
	w.meta = metaOpen
	return nil
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

// openChunkFile opens an existing chunk for writing (the open chunk and the
// one before it, which recovery may seal) or for reading. Writes go to
// explicit offsets (WriteAt), never O_APPEND: the file may hold zeros past
// its records.
func (w *WAL[R]) openChunkFile(c *chunk, write bool) error {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	f, err := w.fs.OpenFile(c.path, flag, 0)
	if err != nil {
		return err
	}
	c.f = f
	c.onDisk = true
	return nil
}
