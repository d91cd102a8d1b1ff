package raftlog

import (
	"io"
	"log/slog"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// Defaults for the zero values of Config.
//
// The cache serves the entries a Raft node reads most: the newest, which a
// leader sends to followers that are catching up and a node applies soon
// after appending. The defaults hold a few seconds of a busy log, not the
// whole log (reads of older entries cost one positional read each), so
// memory stays small whatever the log's size.
const (
	DefaultCacheMaxItems = 8192
	DefaultCacheMaxBytes = 32 << 20
)

// Config configures a Log. The zero value is a sensible default everywhere.
type Config struct {
	// FS is the file system; nil means fs.OS().
	FS fs.FS
	// CacheMaxItems and CacheMaxBytes bound the payload cache. An entry
	// leaves the cache only once it is durable, so the cache may exceed
	// them by what is not yet synced. 0 means the default
	// (DefaultCacheMaxItems, DefaultCacheMaxBytes); negative means 0: only
	// entries not yet durable stay in memory.
	CacheMaxItems int
	CacheMaxBytes int64
	// ChunkMaxRecords, ChunkMaxBytes, MaxRecordBytes, PreallocateBytes
	// and Recovery are the WAL's (see wal.Config).
	ChunkMaxRecords  int
	ChunkMaxBytes    int64
	MaxRecordBytes   int
	PreallocateBytes int64
	Recovery         wal.RecoveryMode
	// Logger receives recovery reports and warnings; nil: silent.
	Logger *slog.Logger
	// Rand is where the random salts of new chunk files come from; nil
	// means crypto/rand. Pass a seeded reader only to make files
	// reproducible in tests.
	Rand io.Reader
	// MustExist makes Open fail with a *NoLogError (ErrNoLog) unless dir
	// already holds a log, instead of creating an empty one. Set it when
	// a node restarts: a mistyped path must not become a new log that has
	// forgotten the node's vote.
	MustExist bool
	// ReadAll makes Open read and verify every chunk file in full. By
	// default Open reads, for each chunk that has an index file (written
	// when the chunk was sealed, and for the last chunk by a clean Close),
	// only that file and the chunk's header and seal: a few bytes per entry
	// instead of the whole log. Damage inside such a chunk is then found by
	// the read of a damaged entry (a *CorruptionError), not by Open; set
	// ReadAll for a full check at Open (`raftlog verify` does). Repair mode
	// implies it.
	ReadAll bool
	// ManualFlush runs no flush goroutine: flushes wait until Step is
	// called (Sync, WaitIdle and Close call it themselves). For
	// deterministic simulation.
	ManualFlush bool
}

// validate checks every field, as Open does before it touches the disk.
func (c Config) validate(dir string) error {
	if dir == "" {
		return &ConfigError{Field: "dir", Value: `""`, Reason: "a directory is required"}
	}
	return c.withDefaults().wal(dir).Validate()
}

func (c Config) withDefaults() Config {
	if c.FS == nil {
		c.FS = fs.OS()
	}
	switch {
	case c.CacheMaxItems == 0:
		c.CacheMaxItems = DefaultCacheMaxItems
	case c.CacheMaxItems < 0:
		c.CacheMaxItems = 0
	}
	switch {
	case c.CacheMaxBytes == 0:
		c.CacheMaxBytes = DefaultCacheMaxBytes
	case c.CacheMaxBytes < 0:
		c.CacheMaxBytes = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) wal(dir string) wal.Config {
	return wal.Config{
		Dir: dir, FS: c.FS,
		ChunkMaxRecords: c.ChunkMaxRecords, ChunkMaxBytes: c.ChunkMaxBytes,
		MaxRecordBytes: c.MaxRecordBytes, PreallocateBytes: c.PreallocateBytes,
		Recovery: c.Recovery, ReadAll: c.ReadAll, Logger: c.Logger, ManualWorker: c.ManualFlush, Rand: c.Rand,
	}
}
