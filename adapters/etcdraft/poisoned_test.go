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
// arguments (a node that retries a Ready), or with the part of them still
// to be saved, it must fail too. The failed
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
		again func(*Storage) error // the retry; nil: call again
	}{
		{name: "Save of a new term and vote",
			call: func(s *Storage) error { return s.Save(pb.HardState{Term: 2, Vote: 2, Commit: 6}, nil, pb.Snapshot{}) }},
		{name: "Save of a vote in the term",
			setup: func(s *Storage) error { return s.Save(pb.HardState{Term: 2, Commit: 6}, nil, pb.Snapshot{}) },
			call:  func(s *Storage) error { return s.Save(pb.HardState{Term: 2, Vote: 2, Commit: 6}, nil, pb.Snapshot{}) }},
		{name: "Save of entries",
			call: func(s *Storage) error { return s.Save(hs, ents(7, 8, 1), pb.Snapshot{}) }},
		{name: "Save of a commit index with its entries, then of the commit index alone",
			call: func(s *Storage) error {
				return s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 8}, ents(7, 8, 1), pb.Snapshot{})
			},
			again: func(s *Storage) error { return s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 8}, nil, pb.Snapshot{}) }},
		{name: "Save of a snapshot",
			call: func(s *Storage) error {
				snap := pb.Snapshot{Data: []byte("state at 10"), Metadata: pb.SnapshotMetadata{Index: 10, Term: 1, ConfState: *cs}}
				return s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 10}, nil, snap)
			}},
		{name: "CreateSnapshot",
			call: func(s *Storage) error { _, err := s.CreateSnapshot(5, cs, []byte("state at 5")); return err }},
		{name: "Compact",
			setup: func(s *Storage) error { _, err := s.CreateSnapshot(5, cs, []byte("state at 5")); return err },
			call:  func(s *Storage) error { return s.Compact(5) }},
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
					again := c.again
					if again == nil {
						again = c.call
					}
					syncs := s.Counters().Syncs
					err = again(s)
					if n := s.Counters().Syncs - syncs; n != 0 {
						t.Errorf("the same call again counted %d syncs; a poisoned log waits for none", n)
					}
					if !errors.Is(err, raftlog.ErrPoisoned) || errors.Is(err, raft.ErrSnapOutOfDate) || errors.Is(err, raft.ErrCompacted) {
						t.Fatalf("the same call again: %v (raft.ErrSnapOutOfDate: %v, raft.ErrCompacted: %v), want raftlog.ErrPoisoned and not raft's \"already done\"",
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
