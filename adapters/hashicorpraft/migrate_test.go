package hashicorpraft

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/raftlog/raftlog/raftlog"
)

// source is a store of another kind, as a user switching to raftlog has.
type source interface {
	raft.LogStore
	raft.StableStore
	io.Closer
}

func TestMigrate(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(dir string) (source, error)
	}{
		{"raft-boltdb", func(dir string) (source, error) { return raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db")) }},
		{"raft-wal", func(dir string) (source, error) { return raftwal.Open(dir) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := tc.open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			// A node's history: entries, a compacted head, a vote and a
			// key of the application's.
			var logs []*raft.Log
			for i := uint64(1); i <= 300; i++ {
				logs = append(logs, sampleLog(i, 1+i/100))
			}
			must(t, src.StoreLogs(logs))
			must(t, src.DeleteRange(1, 120))
			must(t, src.SetUint64(KeyCurrentTerm, 4))
			must(t, src.SetUint64(KeyLastVoteTerm, 4))
			must(t, src.Set(KeyLastVoteCand, []byte("n2")))
			must(t, src.Set([]byte("app-key"), []byte("app-value")))
			must(t, src.SetUint64([]byte("app-uint"), 99))

			dir := t.TempDir()
			dst := openTest(t, dir, raftlog.Config{})
			var progress []uint64
			res, err := Migrate(context.Background(), dst, src, src, MigrateOptions{
				BatchBytes: 1 << 10,
				Keys:       [][]byte{[]byte("app-key"), []byte("app-missing")},
				Uint64Keys: [][]byte{[]byte("app-uint")},
				Progress:   func(copied, total uint64) { progress = append(progress, copied, total) },
			})
			if err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			wantKeys := []string{"CurrentTerm", "LastVoteCand", "LastVoteTerm", "app-key", "app-uint"}
			if res.First != 121 || res.Last != 300 || !slices.Equal(res.Keys, wantKeys) {
				t.Fatalf("Migrate: %+v, want entries [121, 300] and keys %v", res, wantKeys)
			}
			if n := len(progress); n < 4 || progress[n-2] != 180 || progress[n-1] != 180 {
				t.Fatalf("progress reports %v, want several batches ending at 180 of 180", progress)
			}
			_, err = Migrate(context.Background(), dst, src, src, MigrateOptions{})
			if !errors.Is(err, ErrNotEmpty) {
				t.Fatalf("a second Migrate into the same store: %v, want ErrNotEmpty", err)
			}
			must(t, dst.Close())

			dst = openTest(t, dir, raftlog.Config{CacheMaxItems: -1})
			defer dst.Close()
			checkBounds(t, dst, 121, 300)
			for i := uint64(121); i <= 300; i++ {
				var want raft.Log
				must(t, src.GetLog(i, &want))
				checkLog(t, dst, &want)
			}
			for _, k := range []string{"CurrentTerm", "LastVoteTerm", "app-uint"} {
				w, err1 := src.GetUint64([]byte(k))
				g, err2 := dst.GetUint64([]byte(k))
				if err := errors.Join(err1, err2); err != nil || g != w {
					t.Fatalf("key %s: %d in raftlog, %d in %s (%v)", k, g, w, tc.name, err)
				}
			}
			for _, k := range []string{"LastVoteCand", "app-key"} {
				w, err1 := src.Get([]byte(k))
				g, err2 := dst.Get([]byte(k))
				if err := errors.Join(err1, err2); err != nil || string(g) != string(w) {
					t.Fatalf("key %s: %q in raftlog, %q in %s (%v)", k, g, w, tc.name, err)
				}
			}
			if ok, err := raft.HasExistingState(dst, dst, raft.NewInmemSnapshotStore()); !ok || err != nil {
				t.Fatalf("HasExistingState after migrating: %v, %v", ok, err)
			}
		})
	}
}

// TestMigrateEmptySource copies nothing from a new store and leaves the
// destination usable.
func TestMigrateEmptySource(t *testing.T) {
	src, err := raftboltdb.NewBoltStore(filepath.Join(t.TempDir(), "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := openTest(t, t.TempDir(), raftlog.Config{})
	defer dst.Close()
	res, err := Migrate(context.Background(), dst, src, src, MigrateOptions{})
	if err != nil || res.First != 0 || res.Last != 0 || len(res.Keys) != 0 {
		t.Fatalf("Migrate of an empty store: %+v, %v", res, err)
	}
	storeRange(t, dst, 1, 3, 1)
	checkBounds(t, dst, 1, 3)
}

func ExampleMigrate() {
	dir, cleanup := exampleDir()
	defer cleanup()
	old, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		panic(err)
	}
	defer old.Close()
	old.StoreLogs([]*raft.Log{{Index: 1, Term: 1, Data: []byte("x")}, {Index: 2, Term: 1, Data: []byte("y")}})
	old.SetUint64([]byte("CurrentTerm"), 1)

	store, err := Open(filepath.Join(dir, "raftlog"), raftlog.Config{})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	res, err := Migrate(context.Background(), store, old, old, MigrateOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("entries [%d, %d], keys %v\n", res.First, res.Last, res.Keys)
	// Output: entries [1, 2], keys [CurrentTerm]
}
