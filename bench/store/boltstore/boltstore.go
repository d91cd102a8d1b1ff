// Package boltstore drives hashicorp/raft-boltdb/v2 v2.3.1 (a raft.LogStore
// of hashicorp/raft v1.7.3 over bbolt) with its defaults: NoSync false, so
// each StoreLogs is one bbolt transaction whose commit fdatasyncs the data
// pages and then the meta page; default bbolt options (freelist synced).
package boltstore

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/raftlog/raftlog/bench/store"
)

// Name is the store's name in the benchmark's flags and tables.
const Name = "raft-boltdb"

// Store is raft-boltdb behind the benchmark's interface.
type Store struct {
	b *raftboltdb.BoltStore
}

// Open opens raft.db in dir, creating dir first.
func Open(dir string) (store.Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("raft-boltdb: %w", err)
	}
	b, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return nil, fmt.Errorf("raft-boltdb: open %s: %w", dir, err)
	}
	return &Store{b: b}, nil
}

// Append is one StoreLogs call.
func (s *Store) Append(es []store.Entry) error {
	logs := make([]*raft.Log, len(es))
	for i, e := range es {
		logs[i] = &raft.Log{Index: e.Index, Term: 1, Type: raft.LogCommand, Data: e.Payload}
	}
	if err := s.b.StoreLogs(logs); err != nil {
		return fmt.Errorf("raft-boltdb: store logs at %d: %w", es[0].Index, err)
	}
	return nil
}

// Read is one GetLog call.
func (s *Store) Read(index uint64) ([]byte, error) {
	var l raft.Log
	if err := s.b.GetLog(index, &l); err != nil {
		return nil, fmt.Errorf("raft-boltdb: get log %d: %w", index, err)
	}
	return l.Data, nil
}

// PurgeHead is DeleteRange(first, index), one transaction.
func (s *Store) PurgeHead(index uint64) error {
	first, err := s.b.FirstIndex()
	if err == nil {
		err = s.b.DeleteRange(first, index)
	}
	if err != nil {
		return fmt.Errorf("raft-boltdb: delete head to %d: %w", index, err)
	}
	return nil
}

// TruncateTail is DeleteRange(index, last), one transaction.
func (s *Store) TruncateTail(index uint64) error {
	last, err := s.b.LastIndex()
	if err == nil {
		err = s.b.DeleteRange(index, last)
	}
	if err != nil {
		return fmt.Errorf("raft-boltdb: delete tail from %d: %w", index, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.b.Close(); err != nil {
		return fmt.Errorf("raft-boltdb: close: %w", err)
	}
	return nil
}
