package wal

import (
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// Defaults for the zero values of Config.
const (
	DefaultChunkMaxRecords = 1 << 20
	DefaultChunkMaxBytes   = 64 << 20
	DefaultMaxRecordBytes  = codec.DefaultMaxBody
	DefaultWriteAhead      = 1 << 20
	// DefaultPreallocateBytes is small enough that a new log costs little
	// disk, large enough that growing the file costs one fsync in
	// thousands of small appends.
	DefaultPreallocateBytes = 1 << 20
	// MaxChunkBytes bounds ChunkMaxBytes. A chunk may still exceed it by
	// one record (records are never split).
	MaxChunkBytes = 1<<32 - 1 - 2*ChunkHeaderSize
)

// RecoveryMode says what Open does with a damaged tail of the last chunk.
type RecoveryMode int

const (
	// TolerateTornTail (the default) truncates a damaged tail that lies
	// past the last recorded durable point: a write that a crash cut short
	// or that reached the disk out of order. Damage before that point is
	// corruption and Open fails.
	TolerateTornTail RecoveryMode = iota
	// Strict fails Open on any damaged record, torn tail included, and
	// modifies nothing. For inspection tools and paranoid deployments.
	Strict
	// Repair opens a damaged log up to its first damaged record: it
	// keeps a backup of every file it changes or removes (never deleting
	// bytes it has not copied), cuts the log there, and reports every cut
	// (Report), so a Raft node can refetch what was dropped from its
	// peers. Damage it cannot cut around (the log's first live chunk is
	// gone, or damaged before the end of its checkpoint) still fails
	// Open. Use it on request, never by default.
	Repair
)

// String names the mode.
func (m RecoveryMode) String() string {
	switch m {
	case TolerateTornTail:
		return "tolerate-torn-tail"
	case Strict:
		return "strict"
	case Repair:
		return "repair"
	}
	return fmt.Sprintf("RecoveryMode(%d)", int(m))
}

// Config configures a WAL. The zero value of every field but Dir is a
// sensible default.
type Config struct {
	// Dir holds the chunk files and the LOCK file. It must exist.
	Dir string
	// FS is the file system; nil means fs.OS().
	FS fs.FS
	// ChunkMaxRecords closes the open chunk once it holds this many
	// records (its checkpoint included). Default 1<<20.
	ChunkMaxRecords int
	// ChunkMaxBytes closes the open chunk once it is this large; a chunk
	// exceeds it by at most one record. Default 64 MiB, at most
	// MaxChunkBytes.
	ChunkMaxBytes int64
	// MaxRecordBytes bounds the encoded size of one record's body when it
	// is appended (checkpoints excepted: a state must always fit in a new
	// chunk). Reading trusts any length that fits in its file, so lowering
	// the limit never makes written records unreadable. Default 64 MiB, at
	// most 2 GiB - 1.
	MaxRecordBytes int
	// WriteAhead makes the flush worker write (without syncing) buffered
	// records once this many bytes are pending, so that memory stays
	// bounded between flushes. Default 1 MiB; negative disables. Ignored
	// with ManualWorker.
	WriteAhead int
	// PreallocateBytes bounds how far ahead of its data the open chunk's
	// file is extended with zeros, in bytes: when a write would pass the
	// end of the zeros, the file is extended past it by as many bytes as
	// the chunk holds, at least 16 KiB and at most PreallocateBytes (never
	// past ChunkMaxBytes). An fsync of data written over zeros flushes the
	// data alone, while one that grows the file must also commit the
	// file's new size and blocks: on ext4 that makes small synced appends
	// markedly faster. A round that writes 64 KiB or more grows the file
	// itself: the new size's commit is shared by its many bytes, and zeros
	// first would double them. Recovery tells the zero-filled tail from a
	// torn write (docs/format.md), and Close cuts it off. Default
	// DefaultPreallocateBytes; negative disables.
	PreallocateBytes int64
	// Recovery chooses what Open does with damage.
	Recovery RecoveryMode
	// CutDamagedCheckpoints makes a Repair cut the log at a damaged chunk
	// checkpoint, as at any other damage, rather than rewrite it from the
	// chunks before it (see CheckpointRewriteError).
	CutDamagedCheckpoints bool
	// ReadAll makes Open read and verify every chunk in full, ignoring the
	// index files that let it skip sealed chunks (see Summarizer): what a
	// full check of a log at rest needs. Repair mode implies it.
	ReadAll bool
	// Rand is where the random salts of new chunks come from; nil means
	// crypto/rand. A seeded reader makes the files of a run reproducible
	// (the simulator and golden-file tests pass one).
	Rand io.Reader
	// Logger receives recovery reports and warnings. nil: silent.
	Logger *slog.Logger
	// ManualWorker runs no flush goroutine: flushes are queued until the
	// caller runs Step, and Sync, WaitIdle and Close run it inline. The
	// work is done by the same code as the goroutine's, so a simulator can
	// drive it deterministically.
	ManualWorker bool
}

// ConfigError reports an invalid field of a configuration: Field names it
// (e.g. "ChunkMaxBytes", or "Types.Index" for package raftlog's Types),
// Value is what it held (nil when it was missing) and Reason says what is
// wrong. Package raftlog uses the same type for its Config and Types.
type ConfigError struct {
	Field  string
	Value  any
	Reason string
}

// Error describes the failure with the values it carries.
func (e *ConfigError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("invalid config: %s %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("invalid config: %s = %v: %s", e.Field, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Validate checks every field of c, as Open does before it touches the
// disk: a *ConfigError names the first field that is wrong.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Dir == "" {
		return c, &ConfigError{Field: "Dir", Value: `""`, Reason: "a directory is required"}
	}
	if c.FS == nil {
		c.FS = fs.OS()
	}
	switch {
	case c.ChunkMaxRecords < 0:
		return c, &ConfigError{Field: "ChunkMaxRecords", Value: c.ChunkMaxRecords, Reason: "must not be negative"}
	case c.ChunkMaxRecords == 0:
		c.ChunkMaxRecords = DefaultChunkMaxRecords
	case c.ChunkMaxRecords < 2:
		return c, &ConfigError{Field: "ChunkMaxRecords", Value: c.ChunkMaxRecords, Reason: "a chunk needs room for its checkpoint and one record"}
	}
	switch {
	case c.ChunkMaxBytes < 0 || c.ChunkMaxBytes > MaxChunkBytes:
		return c, &ConfigError{Field: "ChunkMaxBytes", Value: c.ChunkMaxBytes, Reason: fmt.Sprintf("must be in [0, %d]", int64(MaxChunkBytes))}
	case c.ChunkMaxBytes == 0:
		c.ChunkMaxBytes = DefaultChunkMaxBytes
	}
	switch {
	case c.MaxRecordBytes < 0:
		return c, &ConfigError{Field: "MaxRecordBytes", Value: c.MaxRecordBytes, Reason: "must not be negative"}
	case c.MaxRecordBytes == 0:
		c.MaxRecordBytes = DefaultMaxRecordBytes
	case c.MaxRecordBytes > readLimit:
		return c, &ConfigError{Field: "MaxRecordBytes", Value: c.MaxRecordBytes, Reason: fmt.Sprintf("must be at most %d", readLimit)}
	}
	if c.WriteAhead == 0 {
		c.WriteAhead = DefaultWriteAhead
	}
	if c.PreallocateBytes == 0 {
		c.PreallocateBytes = DefaultPreallocateBytes
	}
	if c.Recovery < TolerateTornTail || c.Recovery > Repair {
		return c, &ConfigError{Field: "Recovery", Value: c.Recovery, Reason: "unknown mode"}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	return c, nil
}
