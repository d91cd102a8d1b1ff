// Package raftwalstore drives hashicorp/raft-wal v0.4.2 (a raft.LogStore of
// hashicorp/raft v1.7.3) with its defaults: StoreLogs writes the batch and
// fsyncs the segment once before returning (there is no option to skip it),
// 64 MiB segments preallocated with fallocate, a BoltDB meta store.
package raftwalstore

import (
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"

	"github.com/raftlog/raftlog/bench/store"
)

// Name is the store's name in the benchmark's flags and tables.
const Name = "raft-wal"

// Store is raft-wal behind the benchmark's interface.
type Store struct {
	w *wal.WAL
}

// Open opens the WAL in dir, creating dir first (raft-wal requires it to
// exist). Only its logger is replaced, by a silent one.
func Open(dir string) (store.Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("raft-wal: %w", err)
	}
	w, err := wal.Open(dir, wal.WithLogger(hclog.NewNullLogger()))
	if err != nil {
		return nil, fmt.Errorf("raft-wal: open %s: %w", dir, err)
	}
	return &Store{w: w}, nil
}

// Append is one StoreLogs call.
func (s *Store) Append(es []store.Entry) error {
	logs := make([]*raft.Log, len(es))
	for i, e := range es {
		logs[i] = &raft.Log{Index: e.Index, Term: 1, Type: raft.LogCommand, Data: e.Payload}
	}
	if err := s.w.StoreLogs(logs); err != nil {
		return fmt.Errorf("raft-wal: store logs at %d: %w", es[0].Index, err)
	}
	return nil
}

// Read is one GetLog call.
func (s *Store) Read(index uint64) ([]byte, error) {
	var l raft.Log
	if err := s.w.GetLog(index, &l); err != nil {
		return nil, fmt.Errorf("raft-wal: get log %d: %w", index, err)
	}
	return l.Data, nil
}

// PurgeHead is DeleteRange(first, index), as hashicorp/raft compacts after a
// snapshot.
func (s *Store) PurgeHead(index uint64) error {
	first, err := s.w.FirstIndex()
	if err == nil {
		err = s.w.DeleteRange(first, index)
	}
	if err != nil {
		return fmt.Errorf("raft-wal: delete head to %d: %w", index, err)
	}
	return nil
}

// TruncateTail is DeleteRange(index, last), as a follower drops a
// conflicting suffix.
func (s *Store) TruncateTail(index uint64) error {
	last, err := s.w.LastIndex()
	if err == nil {
		err = s.w.DeleteRange(index, last)
	}
	if err != nil {
		return fmt.Errorf("raft-wal: delete tail from %d: %w", index, err)
	}
	return nil
}

// Close closes the WAL.
func (s *Store) Close() error {
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("raft-wal: close: %w", err)
	}
	return nil
}
