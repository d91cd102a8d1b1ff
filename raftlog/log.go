package raftlog

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"
	"slices"
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

	// dropped lists the entries Open found in bytes it cut or could not
	// reach (see wal.DropObserver); report is what Open cut. Both are set
	// by Open and read-only after.
	dropped []droppedEntry
	report  RecoveryReport[L, V, U]
	// beforeFirst is the last id before the first entry of the index, as
	// the replay found it; droppedPurges the purges among the records
	// Open cut, in log order; lostFront the entries before the first one held
	// that a repair which wrote the log's start again found gone with no
	// record of their discarding (see KeptStart). Set by Open.
	beforeFirst   Option[L]
	droppedPurges []L
	droppedLow    uint64 // a mark (see CutMark) of the truncations among them
	lostFront     *Cut
}

// DefaultLog is a Log of the default types (see DefaultTypes).
type DefaultLog = Log[LogID, []byte, Vote, []byte]

// Open opens the log in dir with the default types, creating dir if it does
// not exist. See OpenWith.
func Open(dir string, cfg Config) (*DefaultLog, error) {
	return OpenWith(dir, DefaultTypes, cfg)
}

// OpenWith opens the log in dir, creating dir if it does not exist (unless
// Config.MustExist), with the caller's types. It checks the whole Config and
// Types first, so a refused one touches nothing. It then makes dir and every
// directory above it durable (a power loss after Open must not lose the
// directory, whoever created it), takes the directory's lock (a second Open
// of the same directory fails with fs.ErrLocked), replays the log, cuts a
// torn tail left by a crash (only what was never durable; see Recovery), and
// starts the flush worker.
//
// Errors: *ConfigError; *NoLogError (Config.MustExist); a lock error;
// *CorruptionError when data that was durable is damaged or missing (it
// names the entries affected and wraps the wal's error naming the file and
// offset: *wal.CorruptionError, *wal.GapError or *wal.MissingChunkError);
// *wal.InterruptedRepairError (matching ErrCorrupt) for a log that a repair
// cut and that was neither written nor closed since, whose report may have
// reached no one: open it with wal.Repair; *wal.StrayChunkError (matching
// ErrCorrupt) for a chunk file past the last chunk of a log that was
// closed cleanly; *wal.VersionError for a file of an
// unknown format; with Config.Recovery set to wal.Strict, an error matching
// ErrTornTail; with wal.Repair, *RepairFailedError when the repair had cut
// the log before the open failed; or the file system's error.
func OpenWith[L, P, V, U any](dir string, t Types[L, P, V, U], cfg Config) (*Log[L, P, V, U], error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if err := cfg.validate(dir); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := ensureDir(cfg.FS, dir, cfg.MustExist); err != nil {
		return nil, err
	}
	l, err := replay(dir, t, cfg, false)
	var earlier []Cut
	var rw *wal.CheckpointRewriteError
	if errors.As(err, &rw) {
		// A repair found a damaged checkpoint that does not take the state
		// before it: open again, cutting the log there. What the first
		// repair cut or replaced stays so, and is reported with the rest.
		earlier = l.recoveryReport(wal.Report{Cuts: rw.Cuts}).Cuts
		if l, err = replay(dir, t, cfg, true); err == nil {
			l.report.Cuts = append(earlier, l.report.Cuts...)
		}
	}
	if err != nil {
		return nil, l.openError(err, earlier)
	}
	w := l.wal
	for _, c := range l.report.Cuts {
		if f, ok := c.First.Get(); ok {
			cfg.Logger.Warn("raftlog: recovery cut entries", "file", c.File, "offset", c.Offset,
				"first", f, "last", c.Last.Value(), "durable", c.Durable)
		}
	}
	// Chunks that the purge point made obsolete before a crash interrupted
	// their removal go now.
	if err := l.removeObsoleteChunks(); err != nil {
		w.Close()
		return nil, l.openError(err, l.report.Cuts)
	}
	return l, nil
}

// openError is what Open returns for err, the failure of the replay that
// left l (earlier: the cuts a first repair had made): a refused log's
// *CorruptionError naming the entries it makes unreadable, inside a
// *RepairFailedError when a repair had cut the log before it failed.
func (l *Log[L, P, V, U]) openError(err error, earlier []Cut) error {
	cuts := earlier
	var rf *wal.RepairFailedError
	if errors.As(err, &rf) {
		cuts = append(slices.Clip(cuts), l.recoveryReport(wal.Report{Cuts: rf.Cuts}).Cuts...)
		err = rf.Err
	}
	var interrupted *wal.InterruptedRepairError
	var stray *wal.StrayChunkError
	if errors.Is(err, wal.ErrCorrupt) && !errors.As(err, &interrupted) && !errors.As(err, &stray) {
		// (Those two refuse the log before any entry is read, and say
		// why themselves: no entry is known to be damaged.)
		err = l.corruption(err)
	}
	if len(cuts) == 0 || l.cfg.Recovery != wal.Repair {
		return err
	}
	return &RepairFailedError{Dir: l.dir, Cuts: cuts, Err: err}
}

// replay builds a Log over dir's WAL, replaying it, with Repair cutting
// at damaged checkpoints rather than rewriting them if cutCheckpoints. On
// an error it returns the Log as the replay left it, which says what the
// error makes unreadable.
func replay[L, P, V, U any](dir string, t Types[L, P, V, U], cfg Config, cutCheckpoints bool) (*Log[L, P, V, U], error) {
	l := &Log[L, P, V, U]{t: t, cfg: cfg, dir: dir}
	l.idx.withIndex = t.WithIndex
	l.idx.same = func(a, b L) bool { return t.CompareLogID(a, b) == 0 }
	l.cache = cache[P]{sizeOf: t.PayloadSize, maxItems: cfg.CacheMaxItems, maxBytes: cfg.CacheMaxBytes}
	wcfg := cfg.wal(dir)
	wcfg.CutDamagedCheckpoints = cutCheckpoints
	l.replaying = true
	w, err := wal.Open(wcfg, recordCodec[L, P, V, U]{t: &l.t}, machine[L, P, V, U]{l})
	l.replaying = false
	if err != nil {
		return l, err
	}
	l.wal = w
	l.report = l.recoveryReport(w.Report())
	l.dropped = nil
	return l, nil
}

// ensureDir makes dir exist and makes its entry, and that of every
// directory above it, durable. It does so on every Open, not only when it
// creates dir: an earlier Open may have created it and failed before
// syncing, and a log whose directory vanishes in a power loss would open as
// a new, empty log. A directory above dir that cannot be opened for lack
// of permission is skipped: it was not created by this process.
func ensureDir(fsys fs.FS, dir string, mustExist bool) error {
	dir = filepath.Clean(dir)
	if _, err := fsys.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if mustExist {
			return &NoLogError{Dir: dir}
		}
		if err := fsys.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if mustExist {
		ok, err := wal.Exists(fsys, dir)
		if err != nil {
			return err
		}
		if !ok {
			return &NoLogError{Dir: dir}
		}
	}
	for d := dir; ; {
		parent := filepath.Dir(d)
		if parent == d {
			return nil
		}
		if err := fsys.SyncDir(parent); err != nil && !(errors.Is(err, iofs.ErrPermission) && d != dir) {
			return fmt.Errorf("raftlog: making the entry of %s in %s durable: %w", d, parent, err)
		}
		d = parent
	}
}

// machine adapts a Log to wal.StateMachine without exporting the methods.
type machine[L, P, V, U any] struct{ l *Log[L, P, V, U] }

func (m machine[L, P, V, U]) Apply(r record[L, P, V, U], pos wal.Position) error {
	if r.op == opPurge {
		// A purge is checked when written, against this very state,
		// so every purge the log wrote fits here (and is no no-op,
		// which Purge does not write); one a repair wrote again from a
		// later state of the log (KeepStart) may not.
		noop, err := m.l.checkPurge(r.id)
		if err != nil {
			m.l.cfg.Logger.Warn("raftlog: ignoring a purge that a repair wrote again and that does not fit the log it kept",
				"purge", r.id, "offset", pos.Offset, "err", err)
		}
		if err != nil || noop {
			return nil
		}
	}
	m.l.apply(&r, pos)
	if r.op == opAppend {
		m.l.evict(false)
	}
	return nil
}

func (m machine[L, P, V, U]) Checkpoint(pending []record[L, P, V, U]) record[L, P, V, U] {
	st := m.l.state
	for i := range pending {
		m.l.applyState(&st, &pending[i])
	}
	return record[L, P, V, U]{op: opState, state: &st}
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

// beginWrite is begin for the operations that write a record: it also
// fails once the log is poisoned, before any rule is checked. The state in
// memory then holds the writes that failed, which never became durable:
// checked against it, a repeated Purge would find nothing to do and return
// nil, and a repeated Append would be refused as not following the last
// id, as if the first attempt had been stored.
func (l *Log[L, P, V, U]) beginWrite() error {
	if err := l.begin(); err != nil {
		return err
	}
	if err := l.wal.Err(); err != nil {
		l.writeMu.Unlock()
		return err
	}
	return nil
}

// write buffers one validated record and applies it.
func (l *Log[L, P, V, U]) write(r record[L, P, V, U]) (wal.Position, error) {
	pos, err := l.wal.Append(r)
	if err != nil {
		return pos, l.tooLarge(err, []record[L, P, V, U]{r})
	}
	l.mu.Lock()
	l.apply(&r, pos) // not an entry: the cache's limits hold as they did
	l.mu.Unlock()
	return pos, nil
}

// Dir is the log's directory.
func (l *Log[L, P, V, U]) Dir() string { return l.dir }
