// Package tidwallstore drives tidwall/wal v1.2.1 with its DefaultOptions:
// NoSync false, so every Write or WriteBatch fsyncs the segment before it
// returns; 20 MB segments; two segments cached in memory.
package tidwallstore

import (
	"fmt"

	"github.com/tidwall/wal"

	"github.com/raftlog/raftlog/bench/store"
)

// Name is the store's name in the benchmark's flags and tables.
const Name = "tidwall-wal"

// Store is tidwall/wal behind the benchmark's interface.
type Store struct {
	l *wal.Log
}

// Open opens the log in dir (wal.Open creates it) with wal.DefaultOptions.
func Open(dir string) (store.Store, error) {
	l, err := wal.Open(dir, nil)
	if err != nil {
		return nil, fmt.Errorf("tidwall-wal: open %s: %w", dir, err)
	}
	return &Store{l: l}, nil
}

// Append is one WriteBatch call.
func (s *Store) Append(es []store.Entry) error {
	var b wal.Batch
	for _, e := range es {
		b.Write(e.Index, e.Payload)
	}
	if err := s.l.WriteBatch(&b); err != nil {
		return fmt.Errorf("tidwall-wal: write batch at %d: %w", es[0].Index, err)
	}
	return nil
}

// Read is one Read call (a copy: NoCopy is false by default).
func (s *Store) Read(index uint64) ([]byte, error) {
	p, err := s.l.Read(index)
	if err != nil {
		return nil, fmt.Errorf("tidwall-wal: read %d: %w", index, err)
	}
	return p, nil
}

// PurgeHead is TruncateFront(index+1): the kept part of the segment is
// rewritten to a temporary file, fsynced and renamed.
func (s *Store) PurgeHead(index uint64) error {
	if err := s.l.TruncateFront(index + 1); err != nil {
		return fmt.Errorf("tidwall-wal: truncate front to %d: %w", index+1, err)
	}
	return nil
}

// TruncateTail is TruncateBack(index-1).
func (s *Store) TruncateTail(index uint64) error {
	if err := s.l.TruncateBack(index - 1); err != nil {
		return fmt.Errorf("tidwall-wal: truncate back to %d: %w", index-1, err)
	}
	return nil
}

// Close syncs and closes the log.
func (s *Store) Close() error {
	if err := s.l.Close(); err != nil {
		return fmt.Errorf("tidwall-wal: close: %w", err)
	}
	return nil
}
