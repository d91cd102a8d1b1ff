package etcdraft

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// TestASnapshotAboveTheSavedCommitRestarts: an application may apply
// committed entries before the Save of the HardState that commits them
// returns (etcd's servers do), and snapshot and compact there. Before
// CreateSnapshot and Compact raised the saved commit index, a crash then
// left commit 2 under a snapshot at 4 and a first index of 5, and raft
// panicked on restart ("state.commit 2 is out of range [4, 5]", or
// "applied(4) is out of range"). The machine halts after every file system
// operation of the snapshot and the compaction and crashes in each mode;
// every image must restart raft with the snapshot applied.
func TestASnapshotAboveTheSavedCommitRestarts(t *testing.T) {
	modes := []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered}
	images := 0
	for k := uint64(0); ; k++ {
		m := fs.NewMem()
		s, err := Open("/etcd", raftlog.Config{FS: m})
		must(t, err)
		must(t, s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 2}, ents(1, 6, 1), pb.Snapshot{}))
		m.HaltAfter(k)
		_, err = s.CreateSnapshot(4, &pb.ConfState{Voters: []uint64{1}}, []byte("state at 4"))
		if err == nil {
			err = s.Compact(4)
		}
		done := err == nil && !m.Halted()
		s.Close()
		for _, mode := range modes {
			for seed := range uint64(4) {
				images++
				r, err := Open("/etcd", raftlog.Config{FS: m.Crash(rand.New(rand.NewPCG(k, seed)), mode)})
				if err != nil {
					t.Fatalf("halted after %d operations, %v crash %d: reopen: %v", k, mode, seed, err)
				}
				hs, _, _ := r.InitialState()
				snap, _ := r.Snapshot()
				first, _ := r.FirstIndex()
				if done && (hs.Commit < 4 || snap.Metadata.Index != 4 || first != 5) {
					t.Fatalf("after the snapshot and the compaction: commit %d, snapshot at %d, first index %d; want at least 4, 4, 5",
						hs.Commit, snap.Metadata.Index, first)
				}
				if err := startRaft(r, snap.Metadata.Index); err != nil {
					t.Fatalf("halted after %d operations (done: %v), %v crash %d: HardState %v, snapshot at %d, first index %d: %v",
						k, done, mode, seed, hs, snap.Metadata.Index, first, err)
				}
				r.Close()
			}
		}
		if done {
			break
		}
	}
	t.Logf("%d crash images", images)
}

// TestACommitBelowTheSnapshotOfAnOlderLogRestarts: a log that an earlier
// version left with its snapshot above the saved commit index (it did not
// raise it) restarts: InitialState reports the snapshot's index as the
// commit index, the entries up to it having been applied.
func TestACommitBelowTheSnapshotOfAnOlderLogRestarts(t *testing.T) {
	m := fs.NewMem()
	s, err := Open("/etcd", raftlog.Config{FS: m})
	must(t, err)
	must(t, s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 2}, ents(1, 6, 1), pb.Snapshot{}))
	// What CreateSnapshot(4) wrote before it raised the commit index.
	snap := pb.Snapshot{Data: []byte("state at 4"), Metadata: pb.SnapshotMetadata{Index: 4, Term: 1, ConfState: pb.ConfState{Voters: []uint64{1}}}}
	if _, err := s.log.SaveUserData(raftlog.Some(snap)); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	r, err := Open("/etcd", raftlog.Config{FS: m})
	must(t, err)
	defer r.Close()
	if hs, _, _ := r.InitialState(); hs.Commit != 4 {
		t.Errorf("InitialState: commit %d under a snapshot at 4", hs.Commit)
	}
	if err := startRaft(r, 4); err != nil {
		t.Error(err)
	}
}

// TestARefusedSaveLeavesNothingUnsynced: a Save refused part way must not
// leave records in memory that a retry takes for saved. Before, a Save of
// a new term and vote with an out-of-date snapshot wrote the vote, then
// refused the snapshot; the retry of the same HardState found the vote
// unchanged, returned nil without syncing, and a crash brought the old
// vote back. Now the snapshot is refused before anything is written, and
// any other refusal (entries leaving a gap, a commit index past the last
// entry) makes what it wrote durable first. Each case retries the
// HardState alone, as acknowledged, then crashes the process (which loses
// whatever was not synced) and reopens.
func TestARefusedSaveLeavesNothingUnsynced(t *testing.T) {
	hs := pb.HardState{Term: 2, Vote: 2, Commit: 3}
	for _, c := range []struct {
		name    string
		entries []pb.Entry
		snap    pb.Snapshot
		hs      pb.HardState
		want    error
	}{
		{name: "out-of-date snapshot", snap: snapshotAt(3, 1), hs: hs, want: raft.ErrSnapOutOfDate},
		{name: "entries leaving a gap", entries: ents(8, 9, 2), hs: hs, want: raftlog.ErrNonConsecutive},
		{name: "commit past the last entry", hs: pb.HardState{Term: 2, Vote: 2, Commit: 9}, want: raftlog.ErrPastEnd},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := fs.NewMem()
			s, err := Open("/etcd", raftlog.Config{FS: m, ManualFlush: true})
			must(t, err)
			must(t, s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 3}, ents(1, 6, 1), pb.Snapshot{}))
			_, err = s.CreateSnapshot(3, &pb.ConfState{Voters: []uint64{1}}, []byte("state at 3"))
			must(t, err)
			if err := s.Save(c.hs, c.entries, c.snap); !errors.Is(err, c.want) {
				t.Fatalf("Save: %v, want an error matching %v", err, c.want)
			}
			must(t, s.Save(hs, nil, pb.Snapshot{}))
			r, err := Open("/etcd", raftlog.Config{FS: m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashProcess)})
			must(t, err)
			defer r.Close()
			if got, _, _ := r.InitialState(); got.Term != hs.Term || got.Vote != hs.Vote {
				t.Errorf("after a crash: HardState %v, want the acknowledged term %d and vote %d", got, hs.Term, hs.Vote)
			}
		})
	}
}
