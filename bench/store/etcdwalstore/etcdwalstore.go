// Package etcdwalstore drives etcd's WAL (go.etcd.io/etcd/server/v3
// v3.7.3, storage/wal) as etcd's server does: Create on a new member, Open
// and ReadAll at restart, one Save per batch. Save fdatasyncs before it
// returns whenever raft.MustSync says so, which is always when it carries
// entries; segments are 64 MB, preallocated, the next one prepared in the
// background.
//
// etcd's WAL is replayed only: ReadAll at open hands every entry to the
// caller (etcd keeps them in raft's MemoryStorage), and there is no read of
// one entry, no purge of a prefix (etcd deletes whole old segment files
// after a snapshot) and no truncation (a later Save with lower indexes
// supersedes the suffix at the next replay). Those operations return
// store.ErrUnsupported.
package etcdwalstore

import (
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/etcd/server/v3/storage/wal/walpb"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/raftlog/raftlog/bench/store"
)

// Name is the store's name in the benchmark's flags and tables.
const Name = "etcd-wal"

// Store is etcd's WAL behind the benchmark's interface. It implements
// store.Scanner over the entries replayed at open, and store.Replayer.
type Store struct {
	w        *wal.WAL
	replayed []*raftpb.Entry
}

// Open creates the WAL in dir/wal, or opens it and replays every record
// with ReadAll (the WAL refuses appends until then), keeping the entries as
// etcd's server does.
func Open(dir string) (store.Store, error) {
	walDir := filepath.Join(dir, "wal")
	if !wal.Exist(walDir) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("etcd-wal: %w", err)
		}
		w, err := wal.Create(nil, walDir, nil)
		if err != nil {
			return nil, fmt.Errorf("etcd-wal: create %s: %w", walDir, err)
		}
		return &Store{w: w}, nil
	}
	zero := uint64(0)
	w, err := wal.Open(nil, walDir, &walpb.Snapshot{Index: &zero, Term: &zero})
	if err != nil {
		return nil, fmt.Errorf("etcd-wal: open %s: %w", walDir, err)
	}
	_, _, ents, err := w.ReadAll()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("etcd-wal: replay %s: %w", walDir, err)
	}
	return &Store{w: w, replayed: ents}, nil
}

// Append is one Save with an empty HardState (unchanged, so not written).
func (s *Store) Append(es []store.Entry) error {
	ents := make([]*raftpb.Entry, len(es))
	term, typ := uint64(1), raftpb.EntryNormal
	for i := range es {
		index := es[i].Index
		ents[i] = &raftpb.Entry{Term: &term, Index: &index, Type: &typ, Data: es[i].Payload}
	}
	if err := s.w.Save(&raftpb.HardState{}, ents); err != nil {
		return fmt.Errorf("etcd-wal: save at %d: %w", es[0].Index, err)
	}
	return nil
}

// Read is not supported: etcd's WAL has no random read.
func (s *Store) Read(uint64) ([]byte, error) {
	return nil, store.Unsupported(Name, "read", "replayed only, at open")
}

// Replayed is the number of entries the open replayed.
func (s *Store) Replayed() uint64 { return uint64(len(s.replayed)) }

// Scan walks the entries replayed at open (held in memory, as etcd's
// server holds them), for checking them.
func (s *Store) Scan(from, to uint64, fn func(uint64, []byte) error) error {
	for _, e := range s.replayed {
		if i := e.GetIndex(); i >= from && i < to {
			if err := fn(i, e.GetData()); err != nil {
				return err
			}
		}
	}
	return nil
}

// PurgeHead is not supported: etcd releases and deletes whole segment
// files after a snapshot.
func (s *Store) PurgeHead(uint64) error {
	return store.Unsupported(Name, "purge", "whole old segment files are deleted after a snapshot")
}

// TruncateTail is not supported: a later Save with lower indexes
// supersedes the suffix when the log is replayed.
func (s *Store) TruncateTail(uint64) error {
	return store.Unsupported(Name, "truncate", "a later Save of lower indexes supersedes the suffix at replay")
}

// Close syncs and closes the WAL.
func (s *Store) Close() error {
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("etcd-wal: close: %w", err)
	}
	return nil
}
