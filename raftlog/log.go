package raftlog

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// Log is a Raft log: its entries, its vote, commit and purge points, and the
// caller's user data, stored in a write-ahead log on disk.
//
// A Log is safe for concurrent use. Writers (SaveVote, Append, Commit,
// Truncate, Purge, SaveUserData, UpdateState) are serialised; each validates
// the operation against the Raft rules, buffers one record and updates the
// in-memory state, and returns without waiting for I/O. A rejected operation
// writes nothing and changes nothing. Readers (Read, State, Stat) run in
// parallel with writers and with each other and never wait for an fsync.
// Durability comes from Flush with sync (or Sync): see the package doc.
type Log[L, P, V, U any] struct {
	t   Types[L, P, V, U]
	cfg Config
	dir string
	wal *wal.WAL[record[L, P, V, U]]

	// writeMu serialises writers; they read state without mu, as only
	// they change it.
	writeMu sync.Mutex
	closed  bool // under writeMu and mu
	recs    []record[L, P, V, U]
	poss    []wal.Position

	// mu guards state, idx and cache for readers; writers hold it only to
	// apply a record.
	mu        sync.RWMutex
	state     State[L, V, U]
	idx       index[L]
	cache     cache[P]
	replaying bool // Open is replaying: every record is durable
}

// DefaultLog is a Log of the default types (see DefaultTypes).
type DefaultLog = Log[LogID, []byte, Vote, []byte]

// Open opens the log in dir with the default types, creating dir if it does
// not exist. See OpenWith.
func Open(dir string, cfg Config) (*DefaultLog, error) {
	return OpenWith(dir, DefaultTypes, cfg)
}

// OpenWith opens the log in dir, creating dir if it does not exist, with the
// caller's types. It takes the directory's lock (a second Open of the same
// directory fails with fs.ErrLocked), replays the log, repairs a torn tail
// left by a crash (cutting only what was never durable), and starts the
// flush worker.
//
// Errors: *ConfigError; a lock error; *CorruptionError when data that was
// durable is damaged (it names the first entry index affected and wraps the
// *wal.CorruptionError naming the file and offset); *wal.GapError,
// *wal.MissingChunkError or *wal.VersionError for a broken set of chunk
// files; or the file system's error.
func OpenWith[L, P, V, U any](dir string, t Types[L, P, V, U], cfg Config) (*Log[L, P, V, U], error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := ensureDir(cfg.FS, dir); err != nil {
		return nil, err
	}
	l := &Log[L, P, V, U]{t: t, cfg: cfg, dir: dir}
	l.idx.withIndex = t.WithIndex
	l.idx.same = func(a, b L) bool { return t.CompareLogID(a, b) == 0 }
	l.cache = cache[P]{sizeOf: t.PayloadSize, maxItems: cfg.CacheMaxItems, maxBytes: cfg.CacheMaxBytes}

	l.replaying = true
	w, err := wal.Open(cfg.wal(dir), recordCodec[L, P, V, U]{t: &l.t}, machine[L, P, V, U]{l})
	l.replaying = false
	if err != nil {
		if errors.Is(err, wal.ErrCorrupt) {
			return nil, &CorruptionError{Index: l.idx.end(), Err: err}
		}
		return nil, err
	}
	l.wal = w
	// Chunks that the purge point made obsolete before a crash interrupted
	// their removal go now.
	if err := l.removeObsoleteChunks(); err != nil {
		w.Close()
		return nil, err
	}
	return l, nil
}

// ensureDir creates dir if it is missing and makes its entry durable.
func ensureDir(fsys fs.FS, dir string) error {
	if _, err := fsys.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(filepath.Clean(dir)))
}

// machine adapts a Log to wal.StateMachine without exporting the methods.
type machine[L, P, V, U any] struct{ l *Log[L, P, V, U] }

func (m machine[L, P, V, U]) Apply(r record[L, P, V, U], pos wal.Position) error {
	m.l.apply(r, pos)
	return nil
}

func (m machine[L, P, V, U]) Checkpoint(pending []record[L, P, V, U]) record[L, P, V, U] {
	st := m.l.state
	for _, r := range pending {
		m.l.applyState(&st, r)
	}
	return record[L, P, V, U]{op: opState, state: st}
}

// begin takes the writer lock, failing once the log is closed.
func (l *Log[L, P, V, U]) begin() error {
	l.writeMu.Lock()
	if l.closed {
		l.writeMu.Unlock()
		return ErrClosed
	}
	return nil
}

// write buffers one validated record and applies it.
func (l *Log[L, P, V, U]) write(r record[L, P, V, U]) (wal.Position, error) {
	pos, err := l.wal.Append(r)
	if err != nil {
		return pos, err
	}
	l.mu.Lock()
	l.apply(r, pos)
	l.mu.Unlock()
	return pos, nil
}

// SaveVote saves the vote. It must be >= the saved one in the vote's partial
// order: a smaller or incomparable vote is a *VoteReversalError.
func (l *Log[L, P, V, U]) SaveVote(v V) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if cur, ok := l.state.Vote.Get(); ok {
		if c, ok := l.t.CompareVote(v, cur); !ok || c < 0 {
			return wal.Position{}, &VoteReversalError[V]{Current: cur, Attempted: v}
		}
	}
	return l.write(record[L, P, V, U]{op: opVote, vote: v})
}

// Append appends entries and returns the position of the last one. Each id
// must be above the last id and, when there is a last id, at the next index
// (*LogIDReversalError, *NonConsecutiveError); with no last id the first
// entry may have any index. The batch is all or nothing: every entry is
// validated, and the WAL accepts all or none, before any is applied.
//
// The log keeps each payload in its cache until the entry is durable and
// evicted: the caller must not modify a payload after passing it.
func (l *Log[L, P, V, U]) Append(entries ...Entry[L, P]) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if len(entries) == 0 {
		return wal.Position{}, nil
	}
	last := l.state.Last
	for _, e := range entries {
		if l.t.Index(e.ID) == maxIndex {
			return wal.Position{}, &IndexLimitError{Index: maxIndex}
		}
		if lid, ok := last.Get(); ok {
			if l.t.CompareLogID(e.ID, lid) <= 0 {
				return wal.Position{}, &LogIDReversalError[L]{When: "append", Current: lid, Attempted: e.ID}
			}
			if l.t.Index(e.ID) != l.t.Index(lid)+1 {
				return wal.Position{}, &NonConsecutiveError[L]{Last: lid, Attempted: e.ID}
			}
		}
		last = Some(e.ID)
	}
	recs := l.recs[:0]
	for _, e := range entries {
		recs = append(recs, record[L, P, V, U]{op: opAppend, id: e.ID, payload: e.Payload})
	}
	poss, err := l.wal.AppendBatch(recs, l.poss[:0])
	clear(recs) // drop the payload references
	l.recs, l.poss = recs[:0], poss[:0]
	if err != nil {
		return wal.Position{}, err
	}
	l.mu.Lock()
	for i, e := range entries {
		l.apply(record[L, P, V, U]{op: opAppend, id: e.ID, payload: e.Payload}, poss[i])
	}
	l.mu.Unlock()
	return poss[len(poss)-1], nil
}

// Commit saves the commit point. It must not go below the saved one
// (*LogIDReversalError); like the seed, it is not bounded by the last id.
func (l *Log[L, P, V, U]) Commit(id L) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if cur, ok := l.state.Committed.Get(); ok && l.t.CompareLogID(id, cur) < 0 {
		return wal.Position{}, &LogIDReversalError[L]{When: "commit", Current: cur, Attempted: id}
	}
	return l.write(record[L, P, V, U]{op: opCommit, id: id})
}

// Truncate removes the entries from index at on, keeping those before it.
// at must be just past the purge point (which removes every entry the log
// holds) or have its predecessor in the log; anything else, including 0 or
// any index at or below a purge point, is an *IndexNotFoundError. Truncating
// below the commit point is allowed, as in the seed; Raft never asks for it.
func (l *Log[L, P, V, U]) Truncate(at uint64) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	var after Option[L]
	next := l.nextIndex(l.state.Purged)
	switch {
	case at == next:
		after = l.state.Purged
	case at < next:
		return wal.Position{}, &IndexNotFoundError{At: at, Reason: fmt.Sprintf("entries up to index %d are purged", next-1)}
	default:
		id, ok := l.idx.lookup(at - 1)
		if !ok {
			return wal.Position{}, &IndexNotFoundError{At: at, Reason: fmt.Sprintf("the log holds no entry at index %d", at-1)}
		}
		after = Some(id)
	}
	return l.write(record[L, P, V, U]{op: opTruncate, after: after})
}

// Purge removes every entry up to and including upto, typically after a
// snapshot covers them, and schedules the removal of the chunk files that
// held only those; the files go once the purge is durable. Purging at or
// below the current purge point does nothing and returns a zero Position.
// Purging beyond the last entry empties the log and makes upto the last id
// (installing a snapshot); such an id must not sort below the last id
// (*LogIDReversalError). An id that differs from the entry the log holds at
// that index, or that sorts above the last id while its index is not beyond
// the last index, is a *PurgeMismatchError (the seed accepts all of these and
// corrupts its log). The index 2^64-1 is refused (*IndexLimitError).
func (l *Log[L, P, V, U]) Purge(upto L) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	i := l.t.Index(upto)
	if i == maxIndex {
		return wal.Position{}, &IndexLimitError{Index: i}
	}
	if i < l.nextIndex(l.state.Purged) {
		return wal.Position{}, nil
	}
	if id, ok := l.idx.lookup(i); ok && l.t.CompareLogID(id, upto) != 0 {
		return wal.Position{}, &PurgeMismatchError[L]{Attempted: upto, Existing: id}
	}
	if last, ok := l.state.Last.Get(); ok {
		switch li := l.t.Index(last); {
		case i <= li && l.t.CompareLogID(upto, last) > 0:
			// At or below the last index, an id above the last id
			// cannot be one of the log's entries.
			return wal.Position{}, &PurgeMismatchError[L]{Attempted: upto, Existing: last}
		case li == i && l.t.CompareLogID(last, upto) != 0:
			return wal.Position{}, &PurgeMismatchError[L]{Attempted: upto, Existing: last}
		case i > li && l.t.CompareLogID(upto, last) < 0:
			// Beyond the end, upto becomes the last id: it must not
			// sort below the current one.
			return wal.Position{}, &LogIDReversalError[L]{When: "purge", Current: last, Attempted: upto}
		}
	}
	pos, err := l.write(record[L, P, V, U]{op: opPurge, id: upto})
	if err != nil {
		return pos, err
	}
	l.removeObsoleteChunks()
	return pos, nil
}

// removeObsoleteChunks schedules the removal of closed chunks that hold no
// entry the log still has: those before the first entry's record. Called
// with writeMu held (or before the log is shared). It fails only when the
// WAL is closed or poisoned; then the operation that made the chunks
// obsolete has been applied all the same, and the next Open schedules them
// again, so its caller reports no error.
func (l *Log[L, P, V, U]) removeObsoleteChunks() error {
	before := l.wal.End()
	if l.idx.n > 0 {
		before = l.idx.pos(l.idx.first).Offset
	}
	_, err := l.wal.RemoveBefore(before)
	return err
}

// SaveUserData replaces the user data (None removes it).
func (l *Log[L, P, V, U]) SaveUserData(u Option[U]) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	s := l.state
	s.UserData = u
	return l.write(record[L, P, V, U]{op: opState, state: s})
}

// UpdateState replaces the whole state. Entries that no longer fit are
// dropped: those after the new last id, those at or before the new purge
// point, and all of them when the log holds no entry equal to the new last
// id (so the entries always end at the last id). Purged must be at or below
// Last, in id order and by index (*InvalidStateError). The seed replaces the state without touching
// its entries, which lets an index be appended twice; this does not.
func (l *Log[L, P, V, U]) UpdateState(s State[L, V, U]) (wal.Position, error) {
	if err := l.begin(); err != nil {
		return wal.Position{}, err
	}
	defer l.writeMu.Unlock()
	if err := l.checkState(s); err != nil {
		return wal.Position{}, err
	}
	pos, err := l.write(record[L, P, V, U]{op: opState, state: s})
	if err != nil {
		return pos, err
	}
	l.removeObsoleteChunks()
	return pos, nil
}

// checkState rejects a state whose purge point is not at or below its last
// id (in id order and by index, and the same id at the same index), or whose
// last index leaves no room for a next one.
func (l *Log[L, P, V, U]) checkState(s State[L, V, U]) error {
	last, hasLast := s.Last.Get()
	if hasLast && l.t.Index(last) == maxIndex {
		return &IndexLimitError{Index: maxIndex}
	}
	p, hasPurged := s.Purged.Get()
	switch {
	case !hasPurged:
		return nil
	case !hasLast, l.t.CompareLogID(p, last) > 0, l.t.Index(p) > l.t.Index(last),
		l.t.Index(p) == l.t.Index(last) && l.t.CompareLogID(p, last) != 0:
		return &InvalidStateError{Reason: fmt.Sprintf("purged %v is not at or below last %v", s.Purged, s.Last)}
	}
	return nil
}

// maxIndex is refused as a log index: the index after it would wrap to 0.
const maxIndex = 1<<64 - 1

// nextIndex is the index after id, or 0 for none.
func (l *Log[L, P, V, U]) nextIndex(id Option[L]) uint64 {
	if v, ok := id.Get(); ok {
		return l.t.Index(v) + 1
	}
	return 0
}

// apply updates the in-memory state with a record that the WAL holds, live
// or replayed. Called with mu held for writing (or during Open).
func (l *Log[L, P, V, U]) apply(r record[L, P, V, U], pos wal.Position) {
	l.applyState(&l.state, r)
	switch r.op {
	case opAppend:
		i := l.t.Index(r.id)
		if l.idx.n > 0 && i != l.idx.end() {
			l.idx.reset(i) // defensive: the entries always end at the last id
		}
		l.idx.push(i, r.id, pos)
		l.cache.push(i, r.payload)
		l.evict(false)
	case opTruncate:
		keep := l.nextIndex(r.after)
		l.idx.truncate(keep)
		l.cache.truncate(keep)
	case opPurge:
		l.idx.purge(l.t.Index(r.id))
		l.cache.purge(l.t.Index(r.id))
	case opState:
		l.fitEntries()
	}
}

// applyState is a record's effect on a State: the rules of SPEC 2.2, for a
// record that has passed validation.
func (l *Log[L, P, V, U]) applyState(st *State[L, V, U], r record[L, P, V, U]) {
	cmp := l.t.CompareLogID
	switch r.op {
	case opVote:
		st.Vote = Some(r.vote)
	case opAppend:
		st.Last = Some(r.id)
	case opCommit:
		st.Committed = Some(r.id)
	case opTruncate:
		if compareOpt(st.Last, r.after, cmp) > 0 {
			st.Last = r.after
		}
	case opPurge:
		upto := Some(r.id)
		if compareOpt(upto, st.Purged, cmp) > 0 {
			st.Purged = upto
		}
		if compareOpt(upto, st.Last, cmp) > 0 {
			st.Last = upto
		}
	case opState:
		*st = r.state
	}
}

// fitEntries drops the entries that the state rules out (see UpdateState).
func (l *Log[L, P, V, U]) fitEntries() {
	last, ok := l.state.Last.Get()
	if !ok {
		l.idx.reset(0)
		l.cache.reset(0)
		return
	}
	i := l.t.Index(last)
	if id, ok := l.idx.lookup(i); !ok || l.t.CompareLogID(id, last) != 0 {
		l.idx.reset(i + 1)
		l.cache.reset(i + 1)
	} else {
		l.idx.truncate(i + 1)
		l.cache.truncate(i + 1)
	}
	if p, ok := l.state.Purged.Get(); ok {
		l.idx.purge(l.t.Index(p))
		l.cache.purge(l.t.Index(p))
	}
}

// durable reports whether entry i's record is known durable.
func (l *Log[L, P, V, U]) durable(i uint64) bool {
	if l.replaying {
		return true
	}
	return l.idx.has(i) && l.idx.pos(i).End() <= l.wal.Durable()
}

// evict applies the cache limits. Called with mu held for writing.
func (l *Log[L, P, V, U]) evict(all bool) { l.cache.evict(all, l.durable) }

// Flush hands everything written so far to the flush worker. With sync it
// is written and fsynced (one fsync serving every flush waiting meanwhile);
// without, only written. Then cb, if not nil, gets the result on the
// worker's goroutine, in call order. A nil result with sync means every
// operation before this Flush survives any crash. If Flush itself returns an
// error (closed, or poisoned by an earlier I/O failure), cb is not called.
//
// cb runs on the flush worker: it should return quickly, and it must not
// call Sync, WaitIdle, Dump or Close of the same log, which wait for the
// worker and would wait forever. Writers and Flush are fine in a callback.
func (l *Log[L, P, V, U]) Flush(sync bool, cb func(error)) error {
	if err := l.begin(); err != nil {
		return err
	}
	defer l.writeMu.Unlock()
	return l.wal.Flush(sync, cb)
}

// Sync flushes with sync and waits: when it returns nil, every operation
// before it is durable.
func (l *Log[L, P, V, U]) Sync() error {
	if err := l.begin(); err != nil {
		return err
	}
	l.writeMu.Unlock()
	return l.wal.Sync()
}

// WaitIdle waits until the flush worker has written everything written so
// far and run every callback queued before it (it does not sync). It returns
// the error that poisoned the log, if any, and never hangs.
func (l *Log[L, P, V, U]) WaitIdle() error {
	if err := l.begin(); err != nil {
		return err
	}
	l.writeMu.Unlock()
	return l.wal.WaitIdle()
}

// Step runs one round of the flush worker when the log was opened with
// Config.ManualFlush, and reports whether there was work. See wal.WAL.Step.
func (l *Log[L, P, V, U]) Step() bool { return l.wal.Step() }

// Err returns the error that poisoned the log, or nil.
func (l *Log[L, P, V, U]) Err() error { return l.wal.Err() }

// Close flushes with sync, stops the flush worker, closes the files and
// releases the directory lock. Every later call fails with ErrClosed. A
// poisoned log still releases its lock, and Close returns the poisoning
// error.
func (l *Log[L, P, V, U]) Close() error {
	if err := l.begin(); err != nil {
		return err
	}
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	// Not holding writeMu while the WAL flushes: a flush callback that
	// writes must get ErrClosed, not wait for Close to finish.
	l.writeMu.Unlock()
	return l.wal.Close()
}

// Dir is the log's directory.
func (l *Log[L, P, V, U]) Dir() string { return l.dir }
