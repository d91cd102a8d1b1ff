package raftlog

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// TestEveryWriteFailsOnceTheLogIsPoisoned: after a failed write or fsync,
// every write returns the poisoning error, checked before the Raft rules.
// The state in memory holds the writes that failed, so the rules alone
// would answer as if they had been stored: repeating the failed Append was
// refused as not following the last id, and a Purge at the purge point
// it had just moved returned nil, with nothing durable.
func TestEveryWriteFailsOnceTheLogIsPoisoned(t *testing.T) {
	faults := []struct {
		name string
		rule faultinject.Rule
	}{
		{"fsync EIO", faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Times: 1}},
		{"write ENOSPC", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Times: 1, Err: syscall.ENOSPC}},
		{"short write", faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Times: 1, ShortWrite: 1}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			ffs := faultinject.New(fs.NewMem(), faultinject.Options{Seed: 1})
			l, err := Open("/log", Config{FS: ffs, ManualFlush: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			id := func(i uint64) LogID { return LogID{Term: 1, Index: i} }
			entries := func(from, to uint64) []Entry[LogID, []byte] {
				var es []Entry[LogID, []byte]
				for i := from; i <= to; i++ {
					es = append(es, Entry[LogID, []byte]{ID: id(i), Payload: []byte{byte(i)}})
				}
				return es
			}
			vote := Vote{Term: 1, NodeID: 1, Committed: true}
			mustWrite := func(_ wal.Position, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			mustWrite(l.Append(entries(1, 10)...))
			mustWrite(l.SaveVote(vote))
			mustWrite(l.Commit(id(5)))
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			ffs.Add(f.rule)
			mustWrite(l.Append(entries(11, 12)...))
			mustWrite(l.Purge(id(3)))
			if err := l.Sync(); !errors.Is(err, faultinject.ErrInjected) {
				t.Fatalf("Sync meeting the fault: %v, want the injected error", err)
			}
			// Reads are not refused: they answer from memory, which holds
			// the failed Append (doc.go says so); Err tells a caller not to
			// trust them.
			if last := l.State().Last.Value(); last != id(12) {
				t.Errorf("State().Last on the poisoned log: %v, want %v, the failed Append in memory", last, id(12))
			}
			if err := l.Err(); !errors.Is(err, ErrPoisoned) {
				t.Errorf("Err on the poisoned log: %v, want ErrPoisoned", err)
			}
			writes := []struct {
				name  string
				write func() (wal.Position, error)
			}{
				{"the failed Append again", func() (wal.Position, error) { return l.Append(entries(11, 12)...) }},
				{"an Append of no entries", func() (wal.Position, error) { return l.Append() }},
				{"the failed Purge again", func() (wal.Position, error) { return l.Purge(id(3)) }},
				{"SaveVote of the saved vote", func() (wal.Position, error) { return l.SaveVote(vote) }},
				{"Commit of the commit point", func() (wal.Position, error) { return l.Commit(id(5)) }},
				{"Truncate", func() (wal.Position, error) { return l.Truncate(12) }},
				{"SaveUserData", func() (wal.Position, error) { return l.SaveUserData(None[[]byte]()) }},
				{"UpdateState of the state", func() (wal.Position, error) { return l.UpdateState(l.State()) }},
			}
			for _, w := range writes {
				if _, err := w.write(); !errors.Is(err, ErrPoisoned) || !errors.Is(err, faultinject.ErrInjected) {
					t.Errorf("%s on a poisoned log: %v, want ErrPoisoned naming the injected fault", w.name, err)
				}
			}
		})
	}
}

// TestFlushCallbackAnsweredWhenTheLogIsPoisoned: a Flush accepted while a
// round was writing, which then failed, owes its callback one answer. With
// ManualFlush the callback never ran: WaitIdle, Sync and Close returned the
// poisoning error without a round to answer it.
func TestFlushCallbackAnsweredWhenTheLogIsPoisoned(t *testing.T) {
	for _, next := range []string{"WaitIdle", "Sync", "Close"} {
		t.Run(next, func(t *testing.T) {
			var (
				l       *Log[LogID, []byte, Vote, []byte]
				answers []error
				queued  bool
			)
			sleep := func(time.Duration) {
				if queued {
					return
				}
				queued = true
				if err := l.Flush(true, func(err error) { answers = append(answers, err) }); err != nil {
					t.Errorf("Flush while the round writes: %v", err)
				}
			}
			ffs := faultinject.New(fs.NewMem(), faultinject.Options{Seed: 1, Sleep: sleep})
			var err error
			if l, err = Open("/log", Config{FS: ffs, ManualFlush: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: 1}}); err != nil {
				t.Fatal(err)
			}
			ffs.Add(faultinject.Rule{Op: faultinject.OpSync, Path: "*.wal", Times: 1, Latency: time.Nanosecond, Err: syscall.EIO})
			if err := l.Sync(); !errors.Is(err, ErrPoisoned) {
				t.Fatalf("Sync meeting the fault: %v, want ErrPoisoned", err)
			}
			var nextErr error
			switch next {
			case "WaitIdle":
				nextErr = l.WaitIdle()
			case "Sync":
				nextErr = l.Sync()
			case "Close":
				nextErr = l.Close()
			}
			if !errors.Is(nextErr, ErrPoisoned) {
				t.Errorf("%s on the poisoned log: %v, want ErrPoisoned", next, nextErr)
			}
			if len(answers) != 1 || !errors.Is(answers[0], ErrPoisoned) {
				t.Errorf("after %s the callback got %v, want one ErrPoisoned", next, answers)
			}
			l.Close()
			if len(answers) != 1 {
				t.Errorf("after Close the callback was called %d times, want once", len(answers))
			}
		})
	}
}
