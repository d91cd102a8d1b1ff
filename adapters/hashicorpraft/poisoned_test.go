package hashicorpraft

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// TestEveryWriteFailsOnceALogIsPoisoned: a StoreLogs, Set, SetUint64 or
// DeleteRange whose write or fsync fails returns the error, and so do the
// same call made again, calls with nothing to do, GetLog and a Migrate
// into the store. The failed call's records are in the log's memory but
// were never made durable, so a call checked against that memory would
// answer as if they had been stored: a repeated StoreLogs was refused as
// not following the last id (raftlog's rules answering before its
// poisoning), GetLog returned the entries of a failed StoreLogs, and
// Migrate called the store not empty.
func TestEveryWriteFailsOnceALogIsPoisoned(t *testing.T) {
	calls := []struct {
		name string
		call func(*Store) error
	}{
		{"StoreLogs", func(s *Store) error {
			return s.StoreLogs([]*raft.Log{sampleLog(11, 1), sampleLog(12, 1)})
		}},
		{"SetUint64", func(s *Store) error { return s.SetUint64([]byte("CurrentTerm"), 2) }},
		{"Set", func(s *Store) error { return s.Set([]byte("LastVoteCand"), []byte("node-2")) }},
		{"DeleteRange of the head", func(s *Store) error { return s.DeleteRange(1, 5) }},
		{"DeleteRange of the tail", func(s *Store) error { return s.DeleteRange(8, 10) }},
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
					s := openTest(t, "/hashicorp", raftlog.Config{FS: ffs, ManualFlush: manual})
					defer s.Close()
					storeRange(t, s, 1, 10, 1)
					must(t, s.SetUint64([]byte("CurrentTerm"), 1))
					ffs.Add(f.rule)
					if err := c.call(s); !errors.Is(err, faultinject.ErrInjected) {
						t.Fatalf("the call meeting the fault: %v, want the injected error", err)
					}
					err := c.call(s)
					if !errors.Is(err, raftlog.ErrPoisoned) || !errors.Is(err, faultinject.ErrInjected) {
						t.Fatalf("the same call again: %v, want raftlog.ErrPoisoned naming the injected fault", err)
					}
					for what, err := range map[string]error{
						"StoreLogs of no entries":       s.StoreLogs(nil),
						"DeleteRange of an empty range": s.DeleteRange(5, 4),
						"GetLog":                        s.GetLog(1, new(raft.Log)),
						"Migrate into the store": func() error {
							_, err := Migrate(context.Background(), s, raft.NewInmemStore(), raft.NewInmemStore(), MigrateOptions{})
							return err
						}(),
					} {
						if !errors.Is(err, raftlog.ErrPoisoned) {
							t.Errorf("%s on a poisoned store: %v, want raftlog.ErrPoisoned", what, err)
						}
					}
				})
			}
		}
	}
}
