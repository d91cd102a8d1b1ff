package wal

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestGroupCommit: 16 goroutines each append and Sync 50 times on the real
// file system. The worker must serve syncs that arrive during an fsync with
// one fsync: far fewer fsyncs than Syncs. Every Sync succeeds and every
// record is there after a reopen, each goroutine's in its order.
func TestGroupCommit(t *testing.T) {
	const goroutines, perG = 16, 50
	// A disk's fsync takes a while, which is when flushes pile up; a CI
	// machine whose fsync is nearly free (tmpfs, overlayfs) would let one
	// goroutine at a time through. Give every fsync half a millisecond.
	slow := faultinject.New(fs.OS(), faultinject.Options{}, faultinject.Rule{Op: faultinject.OpSync, Latency: 500 * time.Microsecond})
	l := openTest(t, slow, Config{Dir: t.TempDir()})
	w := l.w
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	pos := make([][]Position, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				p, err := w.Append(fmt.Sprintf("g%02d-%03d", g, i))
				if err != nil {
					errs[g] = fmt.Errorf("append %d: %w", i, err)
					return
				}
				pos[g] = append(pos[g], p)
				if err := w.Sync(); err != nil {
					errs[g] = fmt.Errorf("sync %d: %w", i, err)
					return
				}
				if d := w.Durable(); d < p.End() {
					errs[g] = fmt.Errorf("sync %d returned with Durable %d before the record's end %d", i, d, p.End())
					return
				}
			}
		}()
	}
	wg.Wait()
	for g, err := range errs {
		require.NoError(t, err, "goroutine %d", g)
	}
	st := w.Stat().Flush
	t.Logf("group commit: %d syncs, %d fsyncs, %d steps, %.1f requests per fsync; fsync mean %v, max %v",
		st.Requests, st.Fsyncs, st.Steps, st.RequestsPerFsync(), st.FsyncMean(), st.FsyncMax)
	require.Equal(t, uint64(goroutines*perG), st.Requests)
	require.LessOrEqual(t, st.Fsyncs, uint64(goroutines*perG/2), "group commit must serve concurrent syncs with shared fsyncs")
	require.GreaterOrEqual(t, st.RequestsPerFsync(), 2.0)
	var h uint64
	for _, n := range st.FsyncHist {
		h += n
	}
	require.Equal(t, st.Fsyncs, h, "fsync histogram counts every fsync")
	l.close()

	require.NoError(t, l.reopen())
	require.Len(t, l.sm.recs, goroutines*perG)
	byG := make([][]Position, goroutines)
	for i, r := range l.sm.recs {
		var g, n int
		_, err := fmt.Sscanf(r, "g%02d-%03d", &g, &n)
		require.NoError(t, err, "record %q", r)
		require.Equal(t, len(byG[g]), n, "goroutine %d's records out of order", g)
		byG[g] = append(byG[g], l.sm.pos[i])
	}
	for g := range byG {
		require.Equal(t, pos[g], byG[g], "positions of goroutine %d", g)
	}
	l.close()
}

// TestFlushCallbackOrder: callbacks run in request order, whatever mix of
// synced and unsynced flushes; a synced one only after an fsync covering
// every record appended before it.
func TestFlushCallbackOrder(t *testing.T) {
	for _, manual := range []bool{true, false} {
		t.Run(fmt.Sprintf("manual=%v", manual), func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{ChunkMaxRecords: 7, ManualWorker: manual})
			const n = 300
			var mu sync.Mutex
			var order []int
			var bad []string
			done := make(chan struct{})
			for i := 0; i < n; i++ {
				if i%2 == 0 {
					l.append(fmt.Sprintf("r%d", i))
				}
				sync := i%3 == 0
				end := l.w.End()
				require.NoError(t, l.w.Flush(sync, func(err error) {
					mu.Lock()
					defer mu.Unlock()
					order = append(order, i)
					if err != nil {
						bad = append(bad, fmt.Sprintf("flush %d: %v", i, err))
					}
					if d := l.w.Durable(); sync && d < end {
						bad = append(bad, fmt.Sprintf("synced flush %d called back with Durable %d < end %d at Flush", i, d, end))
					}
					if i == n-1 {
						close(done)
					}
				}))
				if manual && i%17 == 5 {
					l.w.Step()
				}
			}
			if manual {
				for l.w.Step() {
				}
			}
			<-done
			mu.Lock()
			want := make([]int, n)
			for i := range want {
				want[i] = i
			}
			require.Equal(t, want, order, "callbacks out of request order")
			require.Empty(t, bad)
			mu.Unlock()
			recs := slices.Clone(l.sm.recs)
			l.close()
			require.NoError(t, l.reopen())
			require.Equal(t, recs, l.sm.recs)
			l.close()
		})
	}
}

// TestFlushWithoutSync: Flush(false, cb) calls cb with nil once the data is
// written: a process crash keeps it, although nothing was fsynced.
func TestFlushWithoutSync(t *testing.T) {
	for _, manual := range []bool{true, false} {
		t.Run(fmt.Sprintf("manual=%v", manual), func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{ManualWorker: manual})
			l.append("synced")
			l.sync()
			durable := l.w.Durable()
			in := recs("w", 5)
			l.append(in...)
			got := make(chan error, 1)
			require.NoError(t, l.w.Flush(false, func(err error) { got <- err }))
			if manual {
				require.True(t, l.w.Step())
			}
			require.NoError(t, <-got)
			require.Equal(t, durable, l.w.Durable(), "an unsynced flush makes nothing durable")
			want := append([]string{"synced"}, in...)
			c := l.on(t, m.Crash(newRand(1), fs.CrashProcess))
			require.NoError(t, c.reopen())
			require.Equal(t, want, c.sm.recs, "a process crash keeps what Flush(false) wrote")
			c.close()
			// A power loss may lose the unsynced records, but only as a
			// suffix, and never the synced one.
			for seed := uint64(1); seed <= 32; seed++ {
				for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
					c := l.on(t, m.Crash(newRand(seed), mode))
					msg := fmt.Sprintf("crash %s seed %d after Flush(false)", mode, seed)
					require.NoError(t, c.reopen(), msg)
					requirePrefixOf(t, c.sm.recs, []string{"synced"}, want, msg)
					c.close()
				}
			}
			l.close()
		})
	}
}

// TestManualWorker: with ManualWorker nothing touches the file system until
// Step; Step reports whether it had anything to do.
func TestManualWorker(t *testing.T) {
	m := fs.NewMem()
	l := openTest(t, m, Config{ManualWorker: true})
	ops := m.Ops()
	l.append("a", "b")
	called := 0
	require.NoError(t, l.w.Flush(true, func(err error) { require.NoError(t, err); called++ }))
	require.NoError(t, l.w.Flush(false, func(err error) { require.NoError(t, err); called++ }))
	l.append("c")
	require.Equal(t, ops, m.Ops(), "Append and Flush must do no I/O with a ManualWorker")
	require.Zero(t, called, "no callback before Step")
	require.Empty(t, chunkNames(t, m, "/wal"))
	require.Zero(t, l.w.Durable())

	require.True(t, l.w.Step())
	require.Equal(t, 2, called, "Step runs the queued callbacks")
	require.Greater(t, m.Ops(), ops)
	require.Equal(t, l.w.End(), l.w.Durable(), "the synced flush covered everything taken")
	require.False(t, l.w.Step(), "nothing left to do")
	require.False(t, l.w.Step())

	ops = m.Ops()
	l.append("d")
	require.Equal(t, ops, m.Ops())
	require.True(t, l.w.Step(), "a Step writes pending records even without a request")
	require.Greater(t, m.Ops(), ops)
	require.False(t, l.w.Step())
	require.NoError(t, l.w.Flush(false, nil))
	require.True(t, l.w.Step(), "a request alone is something to do")
	require.False(t, l.w.Step())
	l.close()
	require.NoError(t, l.reopen())
	require.Equal(t, []string{"a", "b", "c", "d"}, l.sm.recs)
	l.close()
}

// notifyFS reports every file write on a channel, so a test can wait for
// the worker to write without a Flush (and without sleeping).
type notifyFS struct {
	fs.FS
	writes chan int
}

func (n *notifyFS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	f, err := n.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".wal") {
		return f, err // only chunk writes are reported
	}
	return &notifyFile{File: f, writes: n.writes}, nil
}

type notifyFile struct {
	fs.File
	writes chan int
}

func (f *notifyFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	select {
	case f.writes <- n:
	default:
	}
	return n, err
}

// TestWriteAhead: without any Flush, the goroutine worker writes (not
// syncs) once WriteAhead bytes are pending.
func TestWriteAhead(t *testing.T) {
	m := fs.NewMem()
	nfs := &notifyFS{FS: m, writes: make(chan int, 64)}
	// No zeros written ahead: every write the test sees is of records.
	l := openTest(t, nfs, Config{WriteAhead: 256, PreallocateBytes: -1})
	in := recs("wa", 40) // 16 bytes each
	l.append(in[:10]...)
	select {
	case n := <-nfs.writes:
		t.Fatalf("the worker wrote %d bytes with only %d pending, under WriteAhead", n, l.w.End())
	default:
	}
	l.append(in[10:]...)
	// No Flush: the write-ahead kick alone must write (the new chunk's
	// head, made durable when the file is created, then the records).
	n := <-nfs.writes
	n += <-nfs.writes
	require.GreaterOrEqual(t, n, 256)
	require.Equal(t, uint64(1), l.w.Stat().Flush.Fsyncs, "write-ahead writes, it does not sync (but the head of a new chunk)")
	require.Zero(t, l.w.Durable())
	l.close()
	require.NoError(t, l.reopen())
	require.Equal(t, in, l.sm.recs)
	l.close()
}
