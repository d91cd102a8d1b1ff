package raftlog

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlog/raftlog/fs"
)

// A flush callback runs on the flush worker; a call from it that waits for
// the worker would wait for itself. Each such call fails at once with
// ErrInCallback, in both worker modes, and the log goes on working.
func TestCallsThatWaitFailInACallback(t *testing.T) {
	for _, manual := range []bool{false, true} {
		for name, call := range map[string]func(l *DefaultLog) error{
			"Sync":     func(l *DefaultLog) error { return l.Sync() },
			"WaitIdle": func(l *DefaultLog) error { return l.WaitIdle() },
			"Dump":     func(l *DefaultLog) error { return l.Dump(new(discard)) },
			"Step":     func(l *DefaultLog) error { _, err := l.Step(); return err },
			"Close":    func(l *DefaultLog) error { return l.Close() },
		} {
			l, err := Open("/log", Config{FS: fs.NewMem(), ManualFlush: manual})
			require.NoError(t, err)
			_, err = l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: 1}, Payload: []byte("x")})
			require.NoError(t, err)
			got := make(chan error, 1)
			require.NoError(t, l.Flush(true, func(error) {
				got <- call(l)
				// Writers and Flush are fine in a callback.
				_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: 2}, Payload: []byte("y")})
				require.NoError(t, err)
				require.NoError(t, l.Flush(false, nil))
			}))
			if manual {
				_, err := l.Step()
				require.NoError(t, err)
			}
			require.ErrorIs(t, <-got, ErrInCallback, "%s from a callback (manual=%v)", name, manual)
			require.NoError(t, l.Sync(), "%s: the log works after the refused call", name)
			require.Equal(t, Some(LogID{Term: 1, Index: 2}), l.State().Last)
			require.NoError(t, l.Close(), "%s: the refused call changed nothing", name)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Two goroutines close the log: the one whose Close returns ErrClosed (the
// second) must return only once the log is closed and its lock released, so
// an Open right after it succeeds.
func TestConcurrentCloseReturnsOnceClosed(t *testing.T) {
	for range 50 {
		m := fs.NewMem()
		l, err := Open("/log", Config{FS: m})
		require.NoError(t, err)
		for i := uint64(1); i <= 100; i++ {
			_, err := l.Append(Entry[LogID, []byte]{ID: LogID{Term: 1, Index: i}, Payload: make([]byte, 100)})
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make(chan error, 2)
		for range 2 {
			wg.Go(func() {
				<-start
				err := l.Close()
				if errors.Is(err, ErrClosed) {
					l2, oerr := Open("/log", Config{FS: m})
					if oerr == nil {
						oerr = l2.Close()
					}
					results <- oerr
					return
				}
				results <- err
			})
		}
		close(start)
		wg.Wait()
		close(results)
		for err := range results {
			require.NoError(t, err, "a Close, or an Open right after the second Close returned")
		}
	}
}
