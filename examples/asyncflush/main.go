// Asyncflush pipelines appends: the writer never waits for the disk. After
// each batch it asks for a durable flush with a callback, and goes on
// appending; the flush worker serves every request waiting at once with one
// fsync (group commit) and calls the callbacks, in order, when their
// entries are durable. That is when a Raft node may acknowledge them.
//
//	go run ./examples/asyncflush [-batches N] [-batch M]
//
// It prints how many flush requests each fsync served: the group-commit
// factor, which grows with the disk's fsync latency.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/raftlog/raftlog/raftlog"
)

func main() {
	batches := flag.Int("batches", 200, "batches to append")
	batchSize := flag.Int("batch", 10, "entries per batch")
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "raftlog-asyncflush-")
	check(err)
	defer os.RemoveAll(dir)
	l, err := raftlog.Open(dir, raftlog.Config{})
	check(err)
	defer l.Close()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		acked    uint64 // the last index known durable, from the callbacks
		outOrder int    // callbacks that came out of order (never: they run in call order)
		failed   error
	)
	start := time.Now()
	next := uint64(1)
	for range *batches {
		es := make([]raftlog.Entry[raftlog.LogID, []byte], *batchSize)
		for i := range es {
			es[i] = raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: next}, Payload: fmt.Appendf(nil, "entry %d", next)}
			next++
		}
		_, err := l.Append(es...)
		check(err)
		last := next - 1
		wg.Add(1)
		// The callback runs on the flush worker once everything appended
		// so far is durable (err nil) or has failed. It must return
		// quickly and must not call Sync, WaitIdle or Close.
		err = l.Flush(true, func(err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failed = err
			case last < acked:
				outOrder++
			default:
				acked = last // a Raft node would acknowledge up to here
			}
		})
		check(err)
	}
	appended := time.Since(start)
	wg.Wait()
	durable := time.Since(start)
	check(failed)

	f := l.Stat().WAL.Flush
	fmt.Printf("appended %d entries in %d batches in %v, without waiting for the disk\n", next-1, *batches, appended.Round(time.Millisecond))
	fmt.Printf("all durable after %v: %d entries acknowledged, %d callbacks out of order\n", durable.Round(time.Millisecond), acked, outOrder)
	fmt.Printf("%d flush requests served by %d fsyncs: group-commit factor %.1f\n", f.Requests, f.Fsyncs, f.RequestsPerFsync())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
