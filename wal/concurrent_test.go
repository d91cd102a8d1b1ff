package wal

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// TestConcurrentUse runs appenders, syncers, readers, Stat and purges at
// once against the goroutine worker (run it with -race). Every Load returns
// its record or, for a purged chunk, ErrChunkRemoved; every Sync succeeds;
// after a reopen the log holds the records of the chunks that were kept.
func TestConcurrentUse(t *testing.T) {
	m := fs.NewMem()
	l := logOn(t, m, Config{ChunkMaxRecords: 8, WriteAhead: 512})
	require.NoError(t, m.MkdirAll(l.cfg.Dir, 0o755))
	w, err := Open(l.cfg, codec.String, StateMachine[string](&bagSM{}))
	require.NoError(t, err)
	const writers, perWriter = 4, 150

	var mu sync.Mutex
	known := map[Position]string{}
	var order []Position
	errc := make(chan error, 64)
	report := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	stop := make(chan struct{})

	var wg, readers sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				rec := fmt.Sprintf("w%d-%03d", g, i)
				p, err := w.Append(rec)
				if err != nil {
					report(fmt.Errorf("append %s: %w", rec, err))
					return
				}
				mu.Lock()
				known[p] = rec
				order = append(order, p)
				mu.Unlock()
				if i%5 == 0 {
					if err := w.Sync(); err != nil {
						report(fmt.Errorf("sync after %s: %w", rec, err))
						return
					}
				} else if i%7 == 0 {
					if err := w.Flush(false, nil); err != nil {
						report(err)
						return
					}
				}
			}
		}()
	}
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				if len(order) == 0 {
					mu.Unlock()
					continue
				}
				p := order[(i*7919)%len(order)]
				want := known[p]
				mu.Unlock()
				got, err := w.Load(p)
				switch {
				case errors.Is(err, ErrChunkRemoved):
				case err != nil:
					report(fmt.Errorf("Load(%+v): %w", p, err))
					return
				case got != want:
					report(fmt.Errorf("Load(%+v) = %q, want %q", p, got, want))
					return
				}
				st := w.Stat()
				if st.Durable > st.Open.End || w.Durable() > w.End() {
					report(fmt.Errorf("durable past the end: %+v", st))
					return
				}
			}
		}()
	}
	readers.Add(1)
	go func() { // the purger: keep the last two closed chunks
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			st := w.Stat()
			if len(st.Closed) > 2 {
				if _, err := w.RemoveBefore(st.Closed[len(st.Closed)-3].End); err != nil {
					report(fmt.Errorf("RemoveBefore: %w", err))
					return
				}
				if err := w.Sync(); err != nil {
					report(err)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	require.NoError(t, w.Sync())
	st := w.Stat()
	require.NoError(t, w.Close())

	// The writers' records have no order a checkpoint could count, so
	// replay into a state machine that just collects them.
	bag := &bagSM{}
	w2, err := Open(l.cfg, codec.String, StateMachine[string](bag))
	require.NoError(t, err)
	require.Equal(t, st.Closed, w2.Stat().Closed)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, bag.recs)
	first := st.Open.ID
	if len(st.Closed) > 0 {
		first = st.Closed[0].ID
	}
	var keptPos []Position
	for i, p := range bag.pos {
		require.Equal(t, known[p], bag.recs[i], "record at %+v", p)
		if p.Chunk >= first {
			keptPos = append(keptPos, p)
		}
	}
	n := 0
	for p := range known {
		if p.Chunk >= first {
			n++
		}
	}
	require.Len(t, keptPos, n, "every record of a kept chunk is recovered")
	require.NoError(t, w2.Close())
}

// bagSM collects every caller record; its checkpoints carry nothing.
type bagSM struct {
	recs []string
	pos  []Position
}

func (b *bagSM) Apply(rec string, pos Position) error {
	if rec != "bag" {
		b.recs = append(b.recs, rec)
		b.pos = append(b.pos, pos)
	}
	return nil
}

func (b *bagSM) Checkpoint([]string) string { return "bag" }
