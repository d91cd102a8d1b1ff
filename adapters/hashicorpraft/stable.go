package hashicorpraft

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/raftlog/raftlog/raftlog"
)

// The stable store is a small map kept as the log's user data: every Set
// saves the whole map in one record and waits for it to be durable, so the
// map on disk is always one that a Set returned (no torn update), and it
// travels with the log's state through every chunk's checkpoint. It suits
// what hashicorp/raft keeps there (the current term, the last vote's term
// and candidate, a few bytes each); a caller storing large values pays for
// them in every Set and every chunk.
//
// Set and SetUint64 share one key space, as in raft-boltdb and raft-wal:
// SetUint64 stores 8 bytes, big-endian.

// Set stores val under key and returns once it is durable. A nil val
// stores an empty value: the key is then present with no bytes.
func (s *Store) Set(key, val []byte) error {
	if err := s.set(string(key), val); err != nil {
		return err
	}
	s.counters.stableSets.Add(1)
	return s.sync()
}

func (s *Store) set(key string, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(s.log.State().UserData.Value())
	if m == nil {
		m = stableMap{}
	}
	m[key] = append([]byte{}, val...)
	if _, err := s.log.SaveUserData(raftlog.Some(m)); err != nil {
		return fmt.Errorf("hashicorpraft: set key %q: %w", key, err)
	}
	return nil
}

// Get returns a copy of the value of key, or nil and no error when the key
// was never set, as the raft.StableStore contract says and raft-wal does
// (raft-boltdb returns an error reading "not found" instead; hashicorp/raft
// accepts both). A key set to an empty value returns an empty, non-nil
// slice.
func (s *Store) Get(key []byte) ([]byte, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	v, ok := s.log.State().UserData.Value()[string(key)]
	if !ok {
		return nil, nil
	}
	return slices.Clone(v), nil
}

// SetUint64 stores val under key as 8 bytes, big-endian, and returns once
// it is durable.
func (s *Store) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binaryUint64(val))
}

// binaryUint64 is how the store keeps a uint64: 8 bytes, big-endian.
func binaryUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// GetUint64 returns the value of key as a uint64, or 0 and no error when
// the key was never set. A value that is not 8 bytes is a *ValueError
// (matching ErrNotUint64).
func (s *Store) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil || v == nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, &ValueError{Key: string(key), Len: len(v)}
	}
	return binary.BigEndian.Uint64(v), nil
}

// Keys returns the keys set, in ascending order: what Migrate, a dump or a
// copy to another store needs, since raft.StableStore cannot list them.
func (s *Store) Keys() []string {
	return slices.Sorted(maps.Keys(s.log.State().UserData.Value()))
}
