package etcdraft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

func openTest(t *testing.T, dir string, cfg raftlog.Config) *Storage {
	t.Helper()
	if cfg.ChunkMaxBytes == 0 {
		cfg.ChunkMaxBytes = 4 << 10
	}
	s, err := Open(dir, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return s
}

func ents(from, to, term uint64) []pb.Entry {
	var out []pb.Entry
	for i := from; i <= to; i++ {
		out = append(out, pb.Entry{Index: i, Term: term, Type: pb.EntryType(i % 3), Data: []byte(fmt.Sprintf("data-%d", i))})
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func checkBounds(t *testing.T, s *Storage, first, last uint64) {
	t.Helper()
	f, err1 := s.FirstIndex()
	l, err2 := s.LastIndex()
	if err := errors.Join(err1, err2); err != nil || f != first || l != last {
		t.Fatalf("bounds: got first %d, last %d (%v); want %d, %d", f, l, err, first, last)
	}
}

func checkTerm(t *testing.T, s *Storage, i, want uint64, wantErr error) {
	t.Helper()
	got, err := s.Term(i)
	if err != wantErr || got != want {
		t.Fatalf("Term(%d): %d, %v; want %d, %v", i, got, err, want, wantErr)
	}
}

func checkEntries(t *testing.T, s *Storage, lo, hi, maxSize uint64, want []pb.Entry, wantErr error) {
	t.Helper()
	got, err := s.Entries(lo, hi, maxSize)
	if err != wantErr {
		t.Fatalf("Entries(%d, %d, %d): error %v, want %v", lo, hi, maxSize, err, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("Entries(%d, %d, %d): %d entries, want %d", lo, hi, maxSize, len(got), len(want))
	}
	for i := range got {
		if got[i].String() != want[i].String() {
			t.Fatalf("Entries(%d, %d, %d)[%d]: %v, want %v", lo, hi, maxSize, i, got[i], want[i])
		}
	}
}

func TestNewStorageIsLikeMemoryStorage(t *testing.T) {
	s := openTest(t, t.TempDir(), raftlog.Config{})
	defer s.Close()
	m := raft.NewMemoryStorage()
	mf, _ := m.FirstIndex()
	ml, _ := m.LastIndex()
	checkBounds(t, s, mf, ml)
	checkTerm(t, s, 0, 0, nil)
	checkTerm(t, s, 1, 0, raft.ErrUnavailable)
	hs, cs, err := s.InitialState()
	if err != nil || !raft.IsEmptyHardState(hs) || len(cs.Voters) != 0 {
		t.Fatalf("InitialState: %v, %v, %v", hs, cs, err)
	}
	if snap, err := s.Snapshot(); err != nil || !raft.IsEmptySnap(snap) {
		t.Fatalf("Snapshot: %v, %v", snap, err)
	}
}

func TestStorageContract(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, raftlog.Config{})
	must(t, s.Save(pb.HardState{Term: 1, Vote: 2, Commit: 5}, ents(1, 10, 1), pb.Snapshot{}))
	checkBounds(t, s, 1, 10)
	checkTerm(t, s, 10, 1, nil)
	checkTerm(t, s, 11, 0, raft.ErrUnavailable)
	one := uint64(ents(1, 1, 1)[0].Size())
	checkEntries(t, s, 1, 11, 0, ents(1, 1, 1), nil) // at least one, whatever maxSize
	checkEntries(t, s, 2, 11, 3*one, ents(2, 4, 1), nil)
	checkEntries(t, s, 2, 11, 3*one-1, ents(2, 3, 1), nil)
	checkEntries(t, s, 1, 11, 1<<62, ents(1, 10, 1), nil)
	checkEntries(t, s, 0, 3, 1<<62, nil, raft.ErrCompacted)
	checkEntries(t, s, 5, 12, 1<<62, nil, raft.ErrUnavailable)

	// A new leader's entries replace the tail from 8 on.
	must(t, s.Save(pb.HardState{Term: 2, Vote: 3, Commit: 7}, ents(8, 12, 2), pb.Snapshot{}))
	checkTerm(t, s, 7, 1, nil)
	checkTerm(t, s, 8, 2, nil)
	checkBounds(t, s, 1, 12)

	cs := pb.ConfState{Voters: []uint64{1, 2, 3}}
	if _, err := s.CreateSnapshot(6, &cs, []byte("state at 6")); err != nil {
		t.Fatal(err)
	}
	var ce *CompactError
	if err := s.Compact(7); !errors.As(err, &ce) || !errors.Is(err, ErrCompactBeyondSnapshot) || ce.Snapshot != 6 {
		t.Fatalf("Compact(7) past the snapshot at 6: %v", err)
	}
	must(t, s.Compact(6))
	if err := s.Compact(6); err != raft.ErrCompacted {
		t.Fatalf("Compact(6) twice: %v, want raft.ErrCompacted", err)
	}
	if _, err := s.CreateSnapshot(6, nil, nil); !errors.Is(err, raft.ErrSnapOutOfDate) {
		t.Fatalf("CreateSnapshot(6) twice: %v, want raft.ErrSnapOutOfDate", err)
	}
	c := s.Counters()
	if c.Truncates != 1 || c.Compactions != 1 || c.Appended != 15 {
		t.Fatalf("counters %+v: want 1 truncate, 1 compaction, 15 entries appended", c)
	}
	must(t, s.Close())

	s = openTest(t, dir, raftlog.Config{CacheMaxItems: -1}) // a restart: every read from disk
	defer s.Close()
	checkBounds(t, s, 7, 12)
	checkTerm(t, s, 6, 1, nil) // the compaction point's term, kept
	checkTerm(t, s, 5, 0, raft.ErrCompacted)
	checkEntries(t, s, 6, 8, 1<<62, nil, raft.ErrCompacted)
	checkEntries(t, s, 7, 13, 1<<62, append(ents(7, 7, 1), ents(8, 12, 2)...), nil)
	hs, gotCS, err := s.InitialState()
	if err != nil || hs != (pb.HardState{Term: 2, Vote: 3, Commit: 7}) || fmt.Sprint(gotCS.Voters) != "[1 2 3]" {
		t.Fatalf("InitialState after a restart: %v, %v, %v", hs, gotCS, err)
	}
	snap, err := s.Snapshot()
	if err != nil || snap.Metadata.Index != 6 || snap.Metadata.Term != 1 || string(snap.Data) != "state at 6" {
		t.Fatalf("Snapshot after a restart: %v, %v", snap, err)
	}

	// A snapshot from the leader replaces every entry.
	in := pb.Snapshot{Data: []byte("state at 20"), Metadata: pb.SnapshotMetadata{Index: 20, Term: 3, ConfState: cs}}
	must(t, s.Save(pb.HardState{Term: 3, Vote: 3, Commit: 20}, nil, in))
	checkBounds(t, s, 21, 20)
	checkTerm(t, s, 20, 3, nil)
	checkTerm(t, s, 19, 0, raft.ErrCompacted)
	if err := s.Save(pb.HardState{}, nil, in); !errors.Is(err, raft.ErrSnapOutOfDate) {
		t.Fatalf("the same snapshot again: %v, want raft.ErrSnapOutOfDate", err)
	}
	must(t, s.Save(pb.HardState{}, ents(19, 22, 3), pb.Snapshot{})) // 19, 20 skipped
	checkBounds(t, s, 21, 22)
}

func TestVoteOrderIsEtcds(t *testing.T) {
	for _, tc := range []struct {
		from, to Vote
		ok       bool
	}{
		{Vote{1, 0}, Vote{1, 2}, true},  // raise the term, vote later in it
		{Vote{1, 2}, Vote{1, 2}, true},  // the same vote again
		{Vote{1, 2}, Vote{1, 3}, false}, // another node in the same term
		{Vote{1, 2}, Vote{1, 0}, false}, // take the vote back
		{Vote{1, 2}, Vote{2, 0}, true},  // a new term, no vote yet
		{Vote{2, 0}, Vote{1, 5}, false}, // the term goes back
	} {
		t.Run(fmt.Sprintf("%v to %v", tc.from, tc.to), func(t *testing.T) {
			s := openTest(t, t.TempDir(), raftlog.Config{})
			defer s.Close()
			must(t, s.Save(pb.HardState{Term: tc.from.Term, Vote: tc.from.Node}, nil, pb.Snapshot{}))
			err := s.Save(pb.HardState{Term: tc.to.Term, Vote: tc.to.Node}, nil, pb.Snapshot{})
			if tc.ok != (err == nil) || err != nil && !errors.Is(err, raftlog.ErrVoteReversal) {
				t.Fatalf("Save from %v to %v: %v, want accepted %v", tc.from, tc.to, err, tc.ok)
			}
			c, ok := tc.to.Compare(tc.from)
			if tc.ok != (ok && c >= 0) {
				t.Fatalf("%v.Compare(%v) = %d, %v", tc.to, tc.from, c, ok)
			}
		})
	}
}

// TestSaveSyncsWhenMustSync counts the fsyncs of Saves and crashes the
// machine (power loss, unsynced writes reordered) after each one that
// had to be durable.
func TestSaveSyncsWhenMustSync(t *testing.T) {
	mem := fs.NewMem()
	cfg := raftlog.Config{FS: mem, ChunkMaxBytes: 2 << 10}
	s := openTest(t, "/storage", cfg)
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := uint64(1); i <= 40; i++ {
		hs := pb.HardState{Term: 1 + i/10, Vote: 1, Commit: i - 1}
		before := s.Counters().Syncs
		must(t, s.Save(hs, ents(i, i, hs.Term), pb.Snapshot{}))
		if s.Counters().Syncs != before+1 {
			t.Fatalf("Save of entry %d did not sync", i)
		}
		c := cfg
		c.FS = mem.Crash(rng, fs.CrashReordered)
		crashed := openTest(t, "/storage", c)
		checkBounds(t, crashed, 1, i)
		if got, _, _ := crashed.InitialState(); got.Term != hs.Term || got.Vote != 1 || got.Commit != hs.Commit {
			t.Fatalf("after a crash: hard state %v, want %v", got, hs)
		}
		crashed.Close()

		before = s.Counters().Syncs
		must(t, s.Save(pb.HardState{Term: hs.Term, Vote: 1, Commit: i}, nil, pb.Snapshot{})) // only the commit moves
		if s.Counters().Syncs != before {
			t.Fatalf("a Save that only moves the commit index synced")
		}
	}
}

func TestOpenRefusesAForeignLog(t *testing.T) {
	dir := t.TempDir()
	l, err := raftlog.OpenWith(dir, logTypes, raftlog.Config{})
	must(t, err)
	_, err = l.Append(raftlog.Entry[raftlog.LogID, entry]{ID: raftlog.LogID{Term: 1, Index: 1}})
	must(t, err)
	must(t, l.Close())
	if _, err := Open(dir, raftlog.Config{}); !errors.Is(err, ErrForeignLog) {
		t.Fatalf("Open of a raftlog directory with entries and no compaction point: %v", err)
	}
}

func TestClosedStorageAnswersNothing(t *testing.T) {
	s := openTest(t, t.TempDir(), raftlog.Config{})
	must(t, s.Save(pb.HardState{Term: 1, Commit: 1}, ents(1, 3, 1), pb.Snapshot{}))
	must(t, s.Close())
	_, _, err1 := s.InitialState()
	_, err2 := s.FirstIndex()
	_, err3 := s.Term(2)
	_, err4 := s.Entries(1, 2, 100)
	_, err5 := s.Snapshot()
	err6 := s.Save(pb.HardState{}, ents(4, 4, 1), pb.Snapshot{})
	for i, err := range []error{err1, err2, err3, err4, err5, err6} {
		if !errors.Is(err, raftlog.ErrClosed) {
			t.Fatalf("call %d after Close: %v, want raftlog.ErrClosed", i+1, err)
		}
	}
}
