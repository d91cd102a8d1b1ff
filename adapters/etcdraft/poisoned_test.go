package etcdraft

import (
	"errors"
	"syscall"
	"testing"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// TestEveryWriteFailsOnceALogIsPoisoned: a Save, CreateSnapshot or Compact
// whose write or fsync fails returns the error; called again with the same
// arguments (a node that retries a Ready), it must fail too. The failed
// call's records are in the log's memory but were never made durable, so
// comparing with that memory would find nothing left to do: a repeated
// Save of a new vote returned nil, and after a power loss the vote was
// gone; a repeated CreateSnapshot or Compact returned raft's "already
// done" errors (ErrSnapOutOfDate, ErrCompacted), which etcd's servers
// ignore.
func TestEveryWriteFailsOnceALogIsPoisoned(t *testing.T) {
	cs := &pb.ConfState{Voters: []uint64{1}}
	hs := pb.HardState{Term: 1, Vote: 1, Commit: 6}
	calls := []struct {
		name  string
		setup func(*Storage) error
		call  func(*Storage) error
	}{
		{"Save of a new term and vote", nil,
			func(s *Storage) error { return s.Save(pb.HardState{Term: 2, Vote: 2, Commit: 6}, nil, pb.Snapshot{}) }},
		{"Save of a vote in the term",
			func(s *Storage) error { return s.Save(pb.HardState{Term: 2, Commit: 6}, nil, pb.Snapshot{}) },
			func(s *Storage) error { return s.Save(pb.HardState{Term: 2, Vote: 2, Commit: 6}, nil, pb.Snapshot{}) }},
		{"Save of entries", nil,
			func(s *Storage) error { return s.Save(hs, ents(7, 8, 1), pb.Snapshot{}) }},
		{"Save of a snapshot", nil,
			func(s *Storage) error {
				snap := pb.Snapshot{Data: []byte("state at 10"), Metadata: pb.SnapshotMetadata{Index: 10, Term: 1, ConfState: *cs}}
				return s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 10}, nil, snap)
			}},
		{"CreateSnapshot", nil,
			func(s *Storage) error { _, err := s.CreateSnapshot(5, cs, []byte("state at 5")); return err }},
		{"Compact",
			func(s *Storage) error { _, err := s.CreateSnapshot(5, cs, []byte("state at 5")); return err },
			func(s *Storage) error { return s.Compact(5) }},
	}
	faults := []struct {
		name string
		rule faultinject.Rule
	}{
		{"fsync EIO", faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Times: 1}},
		{"write EIO", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Times: 1}},
		{"write ENOSPC", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Times: 1, Err: syscall.ENOSPC}},
		{"short write", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Times: 1, ShortWrite: 1}},
	}
	for _, manual := range []bool{true, false} {
		for _, c := range calls {
			for _, f := range faults {
				name := c.name + "/" + f.name
				if !manual {
					name += "/flush worker"
				}
				t.Run(name, func(t *testing.T) {
					ffs := faultinject.New(fs.NewMem(), faultinject.Options{Seed: 1})
					s, err := Open("/etcd", raftlog.Config{FS: ffs, ManualFlush: manual})
					must(t, err)
					defer s.Close()
					must(t, s.Save(hs, ents(1, 6, 1), pb.Snapshot{}))
					if c.setup != nil {
						must(t, c.setup(s))
					}
					ffs.Add(f.rule)
					if err := c.call(s); !errors.Is(err, faultinject.ErrInjected) {
						t.Fatalf("the call meeting the fault: %v, want the injected error", err)
					}
					err = c.call(s)
					if !errors.Is(err, raftlog.ErrPoisoned) {
						t.Fatalf("the same call again: %v (raft.ErrSnapOutOfDate: %v, raft.ErrCompacted: %v), want raftlog.ErrPoisoned",
							err, errors.Is(err, raft.ErrSnapOutOfDate), errors.Is(err, raft.ErrCompacted))
					}
					if !errors.Is(err, faultinject.ErrInjected) {
						t.Errorf("the same call again: %v, want it to name the injected fault that poisoned the log", err)
					}
				})
			}
		}
	}
}
