package crashtest_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"

	"github.com/raftlog/raftlog/crashtest"
	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

func entry(i uint64) raftlog.Entry[raftlog.LogID, []byte] {
	return raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: i}, Payload: fmt.Appendf(nil, "e%d", i)}
}

func open(m *crashtest.Machine) (*raftlog.DefaultLog, error) {
	return crashtest.OpenLog(m, "/log", raftlog.DefaultTypes, raftlog.Config{ChunkMaxRecords: 4})
}

// appendN appends entries from..to-1 one by one, each synced if sync.
func appendN(l *raftlog.DefaultLog, from, to uint64, sync bool) error {
	for i := from; i < to; i++ {
		if _, err := l.Append(entry(i)); err != nil {
			return err
		}
		if sync {
			if err := l.Sync(); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestPowerLossKeepsWhatWasSynced: in every power-loss mode, over many
// seeds, a reopened log holds every synced entry and at most the unsynced
// ones after them, read back intact.
func TestPowerLossKeepsWhatWasSynced(t *testing.T) {
	crashtest.Check(t, func(m *crashtest.Machine) error {
		l, err := open(m)
		if err != nil {
			return err
		}
		synced := 1 + m.Rand().Uint64N(10)
		if err := appendN(l, 1, synced+1, true); err != nil {
			return err
		}
		if err := appendN(l, synced+1, synced+6, false); err != nil {
			return err
		}
		if err := l.Flush(false, nil); err != nil { // written, not synced
			return err
		}
		l.Step()
		mode := m.PowerLoss()
		l, err = open(m)
		if err != nil {
			return fmt.Errorf("reopen after %v: %w", mode, err)
		}
		last := l.State().Last.Value().Index
		if last < synced || last > synced+5 {
			return fmt.Errorf("after %v the log ends at %d; %d were synced, 5 more written", mode, last, synced)
		}
		for e, err := range l.Read(1, last+1) {
			if err != nil || string(e.Payload) != fmt.Sprintf("e%d", e.ID.Index) {
				return fmt.Errorf("after %v: read %v %q: %v", mode, e.ID, e.Payload, err)
			}
		}
		m.Logf("%v kept %d of %d", mode, last, synced+5)
		return nil
	}, crashtest.Seeds(200))
}

// TestCrashAfterHalts: after CrashAfter(k) the k-th mutating I/O is the
// last; the log then fails with fs.ErrHalted, and a process crash keeps
// everything written before the halt.
func TestCrashAfterHalts(t *testing.T) {
	err := crashtest.Run(1, func(m *crashtest.Machine) error {
		l, err := open(m)
		if err != nil {
			return err
		}
		if err := appendN(l, 1, 4, true); err != nil {
			return err
		}
		start := m.IOs()
		m.CrashAfter(3)
		err = appendN(l, 4, 20, true)
		switch {
		case !errors.Is(err, fs.ErrHalted):
			return fmt.Errorf("want an error matching fs.ErrHalted, got %v", err)
		case !m.Halted() || m.IOs() != start+3:
			return fmt.Errorf("halted %v after %d I/Os, want after 3", m.Halted(), m.IOs()-start)
		}
		m.Crash(fs.CrashProcess)
		if _, err := l.Append(entry(99)); err == nil {
			return errors.New("the dead process's log still takes writes")
		}
		l, err = open(m)
		if err != nil {
			return err
		}
		if last := l.State().Last.Value().Index; last < 3 {
			return fmt.Errorf("lost synced entries: the log ends at %d", last)
		}
		if c := m.Crashes(); c[fs.CrashProcess] != 1 || len(c) != 1 {
			return fmt.Errorf("crashes by mode: %v", c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFaultPoisons: an injected fsync error reaches the log as an error
// matching faultinject.ErrInjected and syscall.EIO, and poisons it.
func TestFaultPoisons(t *testing.T) {
	err := crashtest.Run(2, func(m *crashtest.Machine) error {
		l, err := open(m)
		if err != nil {
			return err
		}
		m.Fault(faultinject.Rule{Op: faultinject.OpSync, Nth: 1, Times: 1})
		err = appendN(l, 1, 3, true)
		if !errors.Is(err, faultinject.ErrInjected) || !errors.Is(err, syscall.EIO) || !errors.Is(l.Err(), raftlog.ErrPoisoned) {
			return fmt.Errorf("want an injected EIO that poisons the log, got %v (log: %v)", err, l.Err())
		}
		if len(m.Injected()) != 1 {
			return fmt.Errorf("injected: %v", m.Injected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSameSeedSameDisk: a seed decides the crash: two runs leave the same
// bytes on the disk.
func TestSameSeedSameDisk(t *testing.T) {
	disk := func(seed uint64) string {
		var b strings.Builder
		err := crashtest.Run(seed, func(m *crashtest.Machine) error {
			l, err := open(m)
			if err != nil {
				return err
			}
			m.CrashSoon(40)
			appendN(l, 1, 30, m.Rand().IntN(2) == 0)
			m.RandomCrash()
			names, _ := m.Disk().ReadDir("/log")
			for _, n := range names {
				data, _ := fs.ReadFile(m.Disk(), "/log/"+n)
				fmt.Fprintf(&b, "%s %x\n", n, data)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for seed := uint64(1); seed <= 20; seed++ {
		if a, b := disk(seed), disk(seed); a != b {
			t.Fatalf("seed %d: two runs left different disks:\n%s\n%s", seed, a, b)
		}
	}
}

// TestRunReportsPanics: a panic in the code is an error naming its seed,
// with the panic's value and stack.
func TestRunReportsPanics(t *testing.T) {
	err := crashtest.Run(7, func(m *crashtest.Machine) error { panic("the node's invariant") })
	var pe *crashtest.PanicError
	if !errors.As(err, &pe) || !errors.Is(err, crashtest.ErrSeed) || !strings.Contains(err.Error(), "seed 7") ||
		pe.Value != "the node's invariant" || !strings.Contains(pe.Stack, "machine_test.go") {
		t.Fatalf("got %v", err)
	}
}

// recorder is a testing.TB that records what Check says; Fatal stops Check
// by panicking with errFatal.
type recorder struct {
	testing.TB
	logs, fatal strings.Builder
}

var errFatal = errors.New("fatal")

func (r *recorder) Helper()                   {}
func (r *recorder) Name() string              { return "TestNode" }
func (r *recorder) Logf(f string, a ...any)   { fmt.Fprintf(&r.logs, f+"\n", a...) }
func (r *recorder) Fatalf(f string, a ...any) { fmt.Fprintf(&r.fatal, f+"\n", a...); panic(errFatal) }

func check(rec *recorder, f func(*crashtest.Machine) error, opts ...crashtest.Option) (failed bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != errFatal {
				panic(p)
			}
			failed = true
		}
	}()
	crashtest.Check(rec, f, opts...)
	return false
}

// TestCheckReportsTheSeed: Check fails at the first failing seed with the
// error, the replay command and the machine's trace.
func TestCheckReportsTheSeed(t *testing.T) {
	rec := &recorder{TB: t}
	failed := check(rec, func(m *crashtest.Machine) error {
		m.Logf("node started")
		if m.Seed() == 3 {
			return errors.New("counter went backwards")
		}
		return nil
	}, crashtest.Seeds(10))
	out := rec.fatal.String()
	for _, want := range []string{"seed 3: counter went backwards", "replay: go test ./crashtest -run '^TestNode$' -crashtest.seed=3 -v", "  node started"} {
		if !failed || !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
}

// TestCheckCatchesNondeterminism: code that draws from a source of its own
// cannot be replayed; Check says so.
func TestCheckCatchesNondeterminism(t *testing.T) {
	rec := &recorder{TB: t}
	f := func(m *crashtest.Machine) error {
		m.Logf("k=%d", rand.IntN(1<<30)) // not m.Rand()
		return nil
	}
	if !check(rec, f, crashtest.Seeds(2)) || !strings.Contains(rec.fatal.String(), "seed 1 is not deterministic") {
		t.Fatalf("want a determinism failure, got %q", rec.fatal.String())
	}
	rec = &recorder{TB: t}
	if check(rec, f, crashtest.Seeds(2), crashtest.NoDeterminismCheck()) {
		t.Fatalf("NoDeterminismCheck: %s", rec.fatal.String())
	}
}
