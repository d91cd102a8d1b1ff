// Package raftlogstore drives raftlog through its public API only, with the
// default Config: Append buffers, Sync makes durable (one fsync shared by
// every Sync waiting meanwhile).
package raftlogstore

import (
	"fmt"
	"sync"

	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/raftlog"
)

// Name is the store's name in the benchmark's flags and tables.
const Name = "raftlog"

// term is the term of every entry the harness writes.
const term = 1

// Store is raftlog behind the benchmark's interface. It implements
// store.Scanner, store.GroupCommitter and store.Counter.
type Store struct {
	l *raftlog.DefaultLog

	mu  sync.Mutex // guards buf
	buf []raftlog.Entry[raftlog.LogID, []byte]
}

// Open opens the log in dir with raftlog.Config{} (every option at its
// default).
func Open(dir string) (store.Store, error) {
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		return nil, fmt.Errorf("raftlog: open %s: %w", dir, err)
	}
	return &Store{l: l}, nil
}

// AppendNoSync appends without waiting for the disk. The entries are
// converted into a buffer the Store reuses, so that the adapter allocates
// nothing per append.
func (s *Store) AppendNoSync(es []store.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for _, e := range es {
		s.buf = append(s.buf, raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: term, Index: e.Index}, Payload: e.Payload})
	}
	if _, err := s.l.Append(s.buf...); err != nil {
		return fmt.Errorf("raftlog: append at %d: %w", es[0].Index, err)
	}
	return nil
}

// Sync waits until everything appended so far is durable.
func (s *Store) Sync() error {
	if err := s.l.Sync(); err != nil {
		return fmt.Errorf("raftlog: sync: %w", err)
	}
	return nil
}

// Append appends and syncs.
func (s *Store) Append(es []store.Entry) error {
	if err := s.AppendNoSync(es); err != nil {
		return err
	}
	return s.Sync()
}

// Read reads one entry through Read(index, index+1).
func (s *Store) Read(index uint64) ([]byte, error) {
	var p []byte
	found := false
	for e, err := range s.l.Read(index, index+1) {
		if err != nil {
			return nil, fmt.Errorf("raftlog: read %d: %w", index, err)
		}
		p, found = e.Payload, true
	}
	if !found {
		return nil, fmt.Errorf("raftlog: read %d: no entry", index)
	}
	return p, nil
}

// Scan reads [from, to) with one Read iterator.
func (s *Store) Scan(from, to uint64, fn func(uint64, []byte) error) error {
	for e, err := range s.l.Read(from, to) {
		if err != nil {
			return fmt.Errorf("raftlog: scan [%d, %d): %w", from, to, err)
		}
		if err := fn(e.ID.Index, e.Payload); err != nil {
			return err
		}
	}
	return nil
}

// PurgeHead purges up to index and syncs.
func (s *Store) PurgeHead(index uint64) error {
	if _, err := s.l.Purge(raftlog.LogID{Term: term, Index: index}); err != nil {
		return fmt.Errorf("raftlog: purge to %d: %w", index, err)
	}
	return s.Sync()
}

// TruncateTail truncates from index on and syncs.
func (s *Store) TruncateTail(index uint64) error {
	if _, err := s.l.Truncate(index); err != nil {
		return fmt.Errorf("raftlog: truncate at %d: %w", index, err)
	}
	return s.Sync()
}

// Close closes the log (which syncs).
func (s *Store) Close() error {
	if err := s.l.Close(); err != nil {
		return fmt.Errorf("raftlog: close: %w", err)
	}
	return nil
}

// Counters reports raftlog's own Stat: its fsyncs, flush requests, writes
// and bytes written (records, not the zeros written ahead), index memory and
// cache counters.
func (s *Store) Counters() map[string]float64 {
	st := s.l.Stat()
	f := st.WAL.Flush
	return map[string]float64{
		"fsyncs":        float64(f.Fsyncs),
		"flushes":       float64(f.Requests),
		"writes":        float64(f.Writes),
		"bytes_written": float64(f.BytesWritten),
		"index_bytes":   float64(st.IndexBytes),
		"entries":       float64(st.End - st.First),
		"cache_items":   float64(st.CacheItems),
		"cache_bytes":   float64(st.CacheBytes),
		"cache_hits":    float64(st.CacheHits),
		"cache_misses":  float64(st.CacheMisses),
	}
}
