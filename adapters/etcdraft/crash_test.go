package etcdraft

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// A Ready whose Save a crash interrupts, after a history that was
// acknowledged (every Save of it synced).
type interruptedReady struct {
	name    string
	history func(t *testing.T, s *Storage)
	hs      pb.HardState
	entries []pb.Entry
	snap    pb.Snapshot
}

// snapshotAt is a snapshot whose record spans sectors, so that a power loss
// can keep part of a Save's write.
func snapshotAt(index, term uint64) pb.Snapshot {
	data := fmt.Appendf(nil, "state at %d ", index)
	data = append(data, make([]byte, 1000)...)
	return pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{
		Index: index, Term: term, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}
}

// TestACrashDuringSaveLeavesAStateEtcdRestartsFrom halts the machine after
// every file system operation of a Ready's Save, crashes it (process kill,
// power loss keeping each file's writes in order, power loss reordering
// them), reopens the Storage and starts etcd raft on it. Every image must
// start (a commit index below the snapshot, or above the last entry, makes
// raft.NewRawNode panic), hold no entry or snapshot of a term above its
// HardState's, keep what the history acknowledged, and, once the Save
// returned, be exactly what it saved. Before the snapshot raised the commit
// index in its own record, a crash right after that record left commit 5
// under a snapshot at 10.
func TestACrashDuringSaveLeavesAStateEtcdRestartsFrom(t *testing.T) {
	committed := func(hs pb.HardState, es []pb.Entry) func(t *testing.T, s *Storage) {
		return func(t *testing.T, s *Storage) { must(t, s.Save(hs, es, pb.Snapshot{})) }
	}
	cases := []interruptedReady{
		{name: "snapshot", history: committed(pb.HardState{Term: 1, Vote: 1, Commit: 5}, ents(1, 6, 1)),
			hs: pb.HardState{Term: 2, Commit: 10}, snap: snapshotAt(10, 2)},
		{name: "snapshot and entries", history: committed(pb.HardState{Term: 1, Vote: 1, Commit: 5}, ents(1, 6, 1)),
			hs: pb.HardState{Term: 2, Commit: 12}, entries: ents(11, 13, 2), snap: snapshotAt(10, 2)},
		{name: "new term replacing a tail", history: committed(pb.HardState{Term: 1, Vote: 1, Commit: 4}, ents(1, 6, 1)),
			hs: pb.HardState{Term: 3, Vote: 2, Commit: 7}, entries: ents(5, 8, 3)},
		{name: "snapshot over a compacted log", history: func(t *testing.T, s *Storage) {
			must(t, s.Save(pb.HardState{Term: 1, Vote: 1, Commit: 8}, ents(1, 9, 1), pb.Snapshot{}))
			_, err := s.CreateSnapshot(6, &pb.ConfState{Voters: []uint64{1, 2, 3}}, []byte("state at 6"))
			must(t, err)
			must(t, s.Compact(6))
		}, hs: pb.HardState{Term: 2, Commit: 20}, snap: snapshotAt(20, 2)},
	}
	modes := []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered}
	for _, c := range cases {
		for _, chunk := range []int64{0, 2 << 10, 700} {
			t.Run(fmt.Sprintf("%s/chunk %d", c.name, chunk), func(t *testing.T) {
				images := 0
				for k := uint64(0); ; k++ {
					m := fs.NewMem()
					s, err := Open("/etcd", raftlog.Config{FS: m, ManualFlush: true, ChunkMaxBytes: chunk})
					must(t, err)
					c.history(t, s)
					before, _, err := s.InitialState()
					must(t, err)
					m.HaltAfter(k)
					err = s.Save(c.hs, c.entries, c.snap)
					acked := err == nil && !m.Halted()
					s.Close()
					for _, mode := range modes {
						for seed := range uint64(8) {
							images++
							rng := rand.New(rand.NewPCG(k, seed))
							r, err := Open("/etcd", raftlog.Config{FS: m.Crash(rng, mode)})
							if err != nil {
								t.Fatalf("halted after %d operations, %v crash %d: reopen: %v", k, mode, seed, err)
							}
							if err := checkRestartable(r, before, acked, c); err != nil {
								t.Fatalf("halted after %d operations (Save returned: %v), %v crash %d: %v", k, acked, mode, seed, err)
							}
							r.Close()
						}
					}
					if acked {
						break
					}
				}
				t.Logf("%d crash images", images)
			})
		}
	}
}

// checkRestartable checks a reopened Storage against the rules of
// TestACrashDuringSaveLeavesAStateEtcdRestartsFrom.
func checkRestartable(s *Storage, before pb.HardState, acked bool, c interruptedReady) error {
	hs, _, err := s.InitialState()
	if err != nil {
		return err
	}
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	snap, _ := s.Snapshot()
	switch {
	case hs.Commit < first-1 || hs.Commit > last:
		return fmt.Errorf("commit %d outside [%d, %d]", hs.Commit, first-1, last)
	case snap.Metadata.Term > hs.Term:
		return fmt.Errorf("snapshot of term %d above the HardState's %v", snap.Metadata.Term, hs)
	case hs.Term < before.Term || hs.Commit < before.Commit:
		return fmt.Errorf("HardState %v went back from the acknowledged %v", hs, before)
	}
	for i := first; i <= last; i++ {
		if term, err := s.Term(i); err != nil || term > hs.Term {
			return fmt.Errorf("entry %d of term %d (%v) above the HardState's %v", i, term, err, hs)
		}
	}
	if acked {
		wantLast := c.snap.Metadata.Index
		if n := len(c.entries); n > 0 {
			wantLast = c.entries[n-1].Index
		}
		if hs != c.hs || last != wantLast || snap.Metadata.Index < c.snap.Metadata.Index {
			return fmt.Errorf("saved HardState %v, last index %d, snapshot at %d; reopened: %v, %d, %d",
				c.hs, wantLast, c.snap.Metadata.Index, hs, last, snap.Metadata.Index)
		}
	}
	return startRaft(s, 0)
}

// startRaft starts etcd raft on s, as a restarted node does, with Applied
// at applied (0: none; a node that restores its state machine from the
// latest snapshot gives the snapshot's index), turning its panics on an
// inconsistent Storage into an error.
func startRaft(s *Storage, applied uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("raft.NewRawNode panics: %v", r)
		}
	}()
	_, err = raft.NewRawNode(&raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: s,
		Applied: applied, MaxSizePerMsg: 4 << 10, MaxInflightMsgs: 64, Logger: quiet})
	return err
}
