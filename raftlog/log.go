package raftlog

import (
	"errors"
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

// Dir is the log's directory.
func (l *Log[L, P, V, U]) Dir() string { return l.dir }
