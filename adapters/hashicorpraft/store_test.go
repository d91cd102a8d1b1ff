package hashicorpraft

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// openTest opens a store in a new temporary directory with small chunks,
// so that purges remove files.
func openTest(t *testing.T, dir string, cfg raftlog.Config) *Store {
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

// sampleLog is entry i of term term with every field of raft.Log set.
func sampleLog(i, term uint64) *raft.Log {
	return &raft.Log{
		Index: i, Term: term, Type: raft.LogType(i % 6),
		Data:       []byte(fmt.Sprintf("data-%d", i)),
		Extensions: []byte(fmt.Sprintf("ext-%d", i)),
		AppendedAt: time.Date(2025, 3, 4, 5, 6, 7, int(i), time.FixedZone("", 3600*int(i%5))),
	}
}

func storeRange(t *testing.T, s *Store, from, to, term uint64) {
	t.Helper()
	var logs []*raft.Log
	for i := from; i <= to; i++ {
		logs = append(logs, sampleLog(i, term))
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatalf("StoreLogs [%d, %d]: %v", from, to, err)
	}
}

func checkBounds(t *testing.T, s *Store, first, last uint64) {
	t.Helper()
	f, err1 := s.FirstIndex()
	l, err2 := s.LastIndex()
	if err := errors.Join(err1, err2); err != nil || f != first || l != last {
		t.Fatalf("bounds: got [%d, %d] (err %v), want [%d, %d]", f, l, err, first, last)
	}
}

func checkLog(t *testing.T, s *Store, want *raft.Log) {
	t.Helper()
	var got raft.Log
	if err := s.GetLog(want.Index, &got); err != nil {
		t.Fatalf("GetLog(%d): %v", want.Index, err)
	}
	if got.Index != want.Index || got.Term != want.Term || got.Type != want.Type ||
		string(got.Data) != string(want.Data) || string(got.Extensions) != string(want.Extensions) ||
		!got.AppendedAt.Equal(want.AppendedAt) {
		t.Fatalf("GetLog(%d): got %+v, want %+v", want.Index, got, *want)
	}
	_, gotOff := got.AppendedAt.Zone()
	_, wantOff := want.AppendedAt.Zone()
	if gotOff != wantOff {
		t.Fatalf("GetLog(%d): appended-at zone offset %d, want %d", want.Index, gotOff, wantOff)
	}
}

func checkMissing(t *testing.T, s *Store, indexes ...uint64) {
	t.Helper()
	for _, i := range indexes {
		var l raft.Log
		if err := s.GetLog(i, &l); err != raft.ErrLogNotFound {
			t.Fatalf("GetLog(%d): got %v, want raft.ErrLogNotFound itself", i, err)
		}
	}
}

func TestStoreKeepsEveryFieldAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, raftlog.Config{})
	checkBounds(t, s, 0, 0)
	checkMissing(t, s, 0, 1)
	storeRange(t, s, 1, 50, 2)
	if err := s.StoreLog(&raft.Log{Index: 51, Term: 3}); err != nil { // zero fields
		t.Fatal(err)
	}
	checkLog(t, s, sampleLog(7, 2))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, dir, raftlog.Config{CacheMaxItems: -1}) // every read from disk
	defer s.Close()
	checkBounds(t, s, 1, 51)
	for i := uint64(1); i <= 50; i++ {
		checkLog(t, s, sampleLog(i, 2))
	}
	var l raft.Log
	if err := s.GetLog(51, &l); err != nil || l.Data != nil || l.Extensions != nil || !l.AppendedAt.IsZero() || l.Term != 3 {
		t.Fatalf("GetLog(51) of a log with zero fields: %+v, %v", l, err)
	}
	checkMissing(t, s, 0, 52, 1<<64-1)
}

func TestStoreLogsRefusesAGap(t *testing.T) {
	s := openTest(t, t.TempDir(), raftlog.Config{})
	defer s.Close()
	storeRange(t, s, 5, 9, 1) // a new store starts anywhere
	checkBounds(t, s, 5, 9)
	err := s.StoreLogs([]*raft.Log{sampleLog(11, 1)})
	if !errors.Is(err, raftlog.ErrNonConsecutive) {
		t.Fatalf("StoreLogs(11) after 9: got %v, want ErrNonConsecutive", err)
	}
	err = s.StoreLogs([]*raft.Log{sampleLog(10, 1), sampleLog(12, 1)})
	if !errors.Is(err, raftlog.ErrNonConsecutive) {
		t.Fatalf("StoreLogs(10, 12): got %v, want ErrNonConsecutive", err)
	}
	checkBounds(t, s, 5, 9) // nothing of either batch stored
}

func TestDeleteRange(t *testing.T) {
	for _, tc := range []struct {
		name        string
		lo, hi      uint64
		first, last uint64 // after the deletion; 0, 0 for empty
		err         error
		purges      uint64
		truncates   uint64
	}{
		{name: "head", lo: 1, hi: 40, first: 41, last: 100, purges: 1},
		{name: "head from below the first", lo: 0, hi: 40, first: 41, last: 100, purges: 1},
		{name: "tail", lo: 60, hi: 100, first: 1, last: 59, truncates: 1},
		{name: "tail past the last", lo: 60, hi: 1000, first: 1, last: 59, truncates: 1},
		{name: "everything", lo: 1, hi: 100, purges: 1},
		{name: "outside", lo: 101, hi: 200, first: 1, last: 100},
		{name: "empty range", lo: 50, hi: 49, first: 1, last: 100},
		{name: "middle", lo: 20, hi: 30, first: 1, last: 100, err: ErrMiddleRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, raftlog.Config{})
			storeRange(t, s, 1, 100, 1)
			err := s.DeleteRange(tc.lo, tc.hi)
			if !errors.Is(err, tc.err) {
				t.Fatalf("DeleteRange(%d, %d): got %v, want %v", tc.lo, tc.hi, err, tc.err)
			}
			var re *RangeError
			if tc.err != nil && (!errors.As(err, &re) || re.First != 1 || re.Last != 100) {
				t.Fatalf("DeleteRange(%d, %d): got %#v, want a *RangeError naming [1, 100]", tc.lo, tc.hi, err)
			}
			c := s.Counters()
			if c.Purges != tc.purges || c.Truncates != tc.truncates {
				t.Fatalf("counters %+v, want %d purges and %d truncates", c, tc.purges, tc.truncates)
			}
			s.Close()
			s = openTest(t, dir, raftlog.Config{})
			defer s.Close()
			checkBounds(t, s, tc.first, tc.last)
			if tc.first > 0 {
				checkLog(t, s, sampleLog(tc.first, 1))
				checkLog(t, s, sampleLog(tc.last, 1))
				checkMissing(t, s, tc.first-1, tc.last+1)
			}
		})
	}
}

// TestDeleteRangeThenStore follows each way hashicorp/raft deletes with the
// StoreLogs that comes next.
func TestDeleteRangeThenStore(t *testing.T) {
	t.Run("conflicting tail", func(t *testing.T) {
		s := openTest(t, t.TempDir(), raftlog.Config{})
		defer s.Close()
		storeRange(t, s, 1, 100, 1)
		mustDelete(t, s, 1, 30) // an earlier snapshot's compaction
		mustDelete(t, s, 80, 100)
		storeRange(t, s, 80, 120, 2)
		checkBounds(t, s, 31, 120)
		checkLog(t, s, sampleLog(79, 1))
		checkLog(t, s, sampleLog(80, 2))
	})
	t.Run("conflict at the first entry", func(t *testing.T) {
		s := openTest(t, t.TempDir(), raftlog.Config{})
		defer s.Close()
		storeRange(t, s, 1, 10, 1)
		mustDelete(t, s, 1, 10)
		checkBounds(t, s, 0, 0)
		storeRange(t, s, 1, 5, 2)
		checkBounds(t, s, 1, 5)
		checkLog(t, s, sampleLog(1, 2))
	})
	for _, next := range []uint64{50, 101, 500} {
		t.Run(fmt.Sprintf("snapshot restore then %d", next), func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, raftlog.Config{})
			storeRange(t, s, 1, 100, 1)
			mustDelete(t, s, 1, 100) // removeOldLogs
			s.Close()
			s = openTest(t, dir, raftlog.Config{})
			defer s.Close()
			checkBounds(t, s, 0, 0)
			checkMissing(t, s, 1, 100)
			storeRange(t, s, next, next+9, 3)
			checkBounds(t, s, next, next+9)
			checkLog(t, s, sampleLog(next, 3))
			if want := uint64(0); next != 101 {
				want = 1
				if got := s.Counters().Rebases; got != want {
					t.Fatalf("rebases: got %d, want %d", got, want)
				}
			}
		})
	}
}

// TestStoreAfterARestoreOverAHigherTermEntry: a follower holds an
// uncommitted (7, 100) from a deposed leader and restores a snapshot at
// index 100 whose entry was committed as (6, 100); removeOldLogs empties the
// store, and the leader sends on from 101 in terms that sort below (7, 100).
// The store takes them, before a reopen and after.
func TestStoreAfterARestoreOverAHigherTermEntry(t *testing.T) {
	for _, reopen := range []bool{false, true} {
		t.Run(fmt.Sprintf("reopen %v", reopen), func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir, raftlog.Config{})
			storeRange(t, s, 1, 99, 5)
			storeRange(t, s, 100, 100, 7)
			mustDelete(t, s, 1, 100) // removeOldLogs after restoring (6, 100)
			if reopen {
				must(t, s.Close())
				s = openTest(t, dir, raftlog.Config{})
			}
			defer s.Close()
			if err := s.StoreLogs([]*raft.Log{sampleLog(101, 6), sampleLog(102, 8)}); err != nil {
				t.Fatalf("StoreLogs [(6, 101), (8, 102)] after the restore: %v", err)
			}
			checkBounds(t, s, 101, 102)
			checkLog(t, s, sampleLog(101, 6))
			checkLog(t, s, sampleLog(102, 8))
			checkMissing(t, s, 100)
		})
	}
}

// TestGetLogBelowTheStartOfAnUnpurgedStore: a store that was never purged
// but starts past index 1 (a new node's first StoreLogs after a snapshot
// install; a log migrated from a compacted store) answers GetLog below its
// first entry with raft.ErrLogNotFound itself: a leader sends a lagging
// follower a snapshot only on that error, and retries forever on any other.
func TestGetLogBelowTheStartOfAnUnpurgedStore(t *testing.T) {
	t.Run("first StoreLogs after a snapshot install", func(t *testing.T) {
		s := openTest(t, t.TempDir(), raftlog.Config{})
		defer s.Close()
		storeRange(t, s, 101, 110, 3)
		checkBounds(t, s, 101, 110)
		checkMissing(t, s, 1, 50, 100, 111)
	})
	t.Run("migrated from a compacted store", func(t *testing.T) {
		src := raft.NewInmemStore()
		for i := uint64(5000); i <= 5010; i++ {
			must(t, src.StoreLog(sampleLog(i, 2)))
		}
		dst := openTest(t, t.TempDir(), raftlog.Config{})
		defer dst.Close()
		if _, err := Migrate(context.Background(), dst, src, src, MigrateOptions{}); err != nil {
			t.Fatal(err)
		}
		checkBounds(t, dst, 5000, 5010)
		checkMissing(t, dst, 1, 4999, 5011)
	})
}

func mustDelete(t *testing.T, s *Store, lo, hi uint64) {
	t.Helper()
	if err := s.DeleteRange(lo, hi); err != nil {
		t.Fatalf("DeleteRange(%d, %d): %v", lo, hi, err)
	}
}

func TestPurgeRemovesChunkFiles(t *testing.T) {
	s := openTest(t, t.TempDir(), raftlog.Config{ChunkMaxBytes: 1 << 10})
	defer s.Close()
	storeRange(t, s, 1, 500, 1)
	before := len(s.Stat().WAL.Closed)
	mustDelete(t, s, 1, 450)
	if err := s.log.WaitIdle(); err != nil { // removals run on the flush worker
		t.Fatal(err)
	}
	after := len(s.Stat().WAL.Closed)
	if before < 10 || after > before/5 {
		t.Fatalf("closed chunks: %d before purging 90%% of the entries, %d after", before, after)
	}
}

func TestStable(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, raftlog.Config{})
	if v, err := s.Get([]byte("missing")); v != nil || err != nil {
		t.Fatalf("Get(missing): %q, %v; want nil, nil", v, err)
	}
	if v, err := s.GetUint64([]byte("missing")); v != 0 || err != nil {
		t.Fatalf("GetUint64(missing): %d, %v; want 0, nil", v, err)
	}
	if ok, err := raft.HasExistingState(s, s, raft.NewInmemSnapshotStore()); ok || err != nil {
		t.Fatalf("HasExistingState of a new store: %v, %v", ok, err)
	}
	must(t, s.SetUint64(KeyCurrentTerm, 7))
	must(t, s.SetUint64(KeyLastVoteTerm, 6))
	must(t, s.Set(KeyLastVoteCand, []byte("node-2")))
	must(t, s.Set([]byte("empty"), nil))
	must(t, s.Set([]byte("app"), []byte("v1")))
	must(t, s.Set([]byte("app"), []byte("v2")))
	must(t, s.Close())

	s = openTest(t, dir, raftlog.Config{})
	defer s.Close()
	if v, err := s.GetUint64(KeyCurrentTerm); v != 7 || err != nil {
		t.Fatalf("GetUint64(CurrentTerm): %d, %v", v, err)
	}
	if v, err := s.Get(KeyLastVoteCand); string(v) != "node-2" || err != nil {
		t.Fatalf("Get(LastVoteCand): %q, %v", v, err)
	}
	if v, err := s.Get([]byte("empty")); v == nil || len(v) != 0 || err != nil {
		t.Fatalf("Get(empty): %#v, %v; want a present empty value", v, err)
	}
	if v, err := s.Get([]byte("app")); string(v) != "v2" || err != nil {
		t.Fatalf("Get(app): %q, %v", v, err)
	}
	_, err := s.GetUint64([]byte("app"))
	var ve *ValueError
	if !errors.Is(err, ErrNotUint64) || !errors.As(err, &ve) || ve.Key != "app" || ve.Len != 2 {
		t.Fatalf("GetUint64(app): %v, want a *ValueError for 2 bytes", err)
	}
	if got := fmt.Sprint(s.Keys()); got != "[CurrentTerm LastVoteCand LastVoteTerm app empty]" {
		t.Fatalf("Keys: %s", got)
	}
	if ok, err := raft.HasExistingState(s, s, raft.NewInmemSnapshotStore()); !ok || err != nil {
		t.Fatalf("HasExistingState with a current term: %v, %v", ok, err)
	}
}

// TestWritesAreDurableOnReturn crashes the machine right after each write
// returns (power loss, unsynced writes reordered) and finds it on disk.
func TestWritesAreDurableOnReturn(t *testing.T) {
	mem := fs.NewMem()
	cfg := raftlog.Config{FS: mem, ChunkMaxBytes: 2 << 10}
	s := openTest(t, "/store", cfg)
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	crashed := func() *Store {
		c := cfg
		c.FS = mem.Crash(rng, fs.CrashReordered)
		return openTest(t, "/store", c)
	}
	for i := uint64(1); i <= 60; i++ {
		storeRange(t, s, i, i, 1)
		must(t, s.SetUint64([]byte("applied"), i))
		if i%20 != 0 {
			continue
		}
		mustDelete(t, s, 1, i-10)
		c := crashed()
		checkBounds(t, c, i-9, i)
		checkLog(t, c, sampleLog(i, 1))
		if v, err := c.GetUint64([]byte("applied")); v != i || err != nil {
			t.Fatalf("after a crash: applied %d, %v; want %d", v, err, i)
		}
		c.Close()
	}
	mustDelete(t, s, 55, 60)
	c := crashed()
	defer c.Close()
	checkBounds(t, c, 51, 54)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestClosedStoreAnswersNothing(t *testing.T) {
	s := openTest(t, t.TempDir(), raftlog.Config{})
	storeRange(t, s, 1, 3, 1)
	must(t, s.Set([]byte("k"), []byte("v")))
	must(t, s.Close())
	_, err1 := s.FirstIndex()
	_, err2 := s.LastIndex()
	_, err3 := s.Get([]byte("k"))
	err4 := s.StoreLogs([]*raft.Log{sampleLog(4, 1)})
	err5 := s.GetLog(1, new(raft.Log))
	for i, err := range []error{err1, err2, err3, err4, err5} {
		if !errors.Is(err, raftlog.ErrClosed) {
			t.Fatalf("call %d after Close: %v, want raftlog.ErrClosed", i+1, err)
		}
	}
}

// TestACrashDuringStoreLogsKeepsAPrefix halts the machine after every file
// system operation of a StoreLogs of entries 6 to 40 (large enough to span
// sectors and a chunk) on a store holding 1 to 5, and crashes it in each
// mode: every reopened store must hold 1 to 5 and then a prefix of the
// batch, each entry as stored, and all of it once StoreLogs returned.
func TestACrashDuringStoreLogsKeepsAPrefix(t *testing.T) {
	modes := []fs.CrashMode{fs.CrashProcess, fs.CrashOrdered, fs.CrashReordered}
	var batch []*raft.Log
	for i := uint64(6); i <= 40; i++ {
		l := sampleLog(i, 2)
		l.Data = append(l.Data, make([]byte, 200)...)
		batch = append(batch, l)
	}
	images := 0
	for k := uint64(0); ; k++ {
		mem := fs.NewMem()
		cfg := raftlog.Config{FS: mem, ChunkMaxBytes: 4 << 10}
		s := openTest(t, "/store", cfg)
		storeRange(t, s, 1, 5, 1)
		mem.HaltAfter(k)
		acked := s.StoreLogs(batch) == nil && !mem.Halted()
		s.Close()
		for _, mode := range modes {
			for seed := range uint64(4) {
				images++
				c := cfg
				c.FS = mem.Crash(rand.New(rand.NewPCG(k, seed)), mode)
				r, err := Open("/store", c)
				if err != nil {
					t.Fatalf("halted after %d operations, %v crash %d: reopen: %v", k, mode, seed, err)
				}
				first, _ := r.FirstIndex()
				last, _ := r.LastIndex()
				if first != 1 || last < 5 || last > 40 || (acked && last != 40) {
					t.Fatalf("halted after %d operations (StoreLogs returned: %v), %v crash %d: bounds [%d, %d]", k, acked, mode, seed, first, last)
				}
				for i := uint64(1); i <= last; i++ {
					want := sampleLog(i, 1)
					if i > 5 {
						want = batch[i-6]
					}
					checkLog(t, r, want)
				}
				r.Close()
			}
		}
		if acked {
			break
		}
	}
	t.Logf("%d crash images", images)
}
