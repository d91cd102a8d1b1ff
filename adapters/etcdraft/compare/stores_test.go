package compare

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/raftlog/raftlog/adapters/etcdraft"
	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// nodeStorage is what a node's Ready loop needs of its storage: etcd raft's
// raft.Storage, and a Save that persists a Ready's HardState and entries,
// durable before it returns whenever raft.MustSync says so.
type nodeStorage interface {
	raft.Storage
	Save(hs pb.HardState, entries []pb.Entry) error
	Close() error
}

// backend names a storage and opens it in a new directory.
type backend struct {
	name string
	open func(dir string) (nodeStorage, error)
}

var compared = []backend{
	{name: "raftlog", open: openRaftlog},
	{name: "etcd WAL v3.6.16 + MemoryStorage", open: openEtcdWAL},
}

// raftlogStorage is adapters/etcdraft with every raftlog option at its
// default.
type raftlogStorage struct{ *etcdraft.Storage }

func openRaftlog(dir string) (nodeStorage, error) {
	s, err := etcdraft.Open(dir, raftlog.Config{})
	return raftlogStorage{s}, err
}

func (s raftlogStorage) Save(hs pb.HardState, entries []pb.Entry) error {
	return s.Storage.Save(hs, entries, pb.Snapshot{})
}

// etcdWAL is storage as etcd's server keeps it: every Ready is saved to the
// WAL first (Save fdatasyncs when raft.MustSync says so), then handed to the
// MemoryStorage that raft reads from.
type etcdWAL struct {
	*raft.MemoryStorage
	w *wal.WAL
}

func openEtcdWAL(dir string) (nodeStorage, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w, err := wal.Create(zap.NewNop(), filepath.Join(dir, "wal"), nil)
	if err != nil {
		return nil, fmt.Errorf("etcd WAL: %w", err)
	}
	return &etcdWAL{MemoryStorage: raft.NewMemoryStorage(), w: w}, nil
}

func (s *etcdWAL) Save(hs pb.HardState, entries []pb.Entry) error {
	if err := s.w.Save(hs, entries); err != nil {
		return err
	}
	if !raft.IsEmptyHardState(hs) {
		if err := s.SetHardState(hs); err != nil {
			return err
		}
	}
	return s.Append(entries)
}

func (s *etcdWAL) Close() error { return s.w.Close() }
