package hashicorpraft

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/raftlog/raftlog/raftlog"
)

var (
	compareRounds   = flag.Int("compare.rounds", 0, "TestCompareStores: rounds of one cluster per log store, alternated (0 skips the test)")
	compareCommands = flag.Int("compare.commands", 3000, "TestCompareStores: commands applied per cluster")
	compareBurst    = flag.Int("compare.burst", 64, "TestCompareStores: commands in flight at once")
)

// The log stores compared, each with its defaults.
var compared = []backend{
	{name: "raftlog", open: func(dir string) (raft.LogStore, raft.StableStore, io.Closer, error) {
		s, err := Open(dir, raftlog.Config{})
		return s, s, s, err
	}},
	{name: "raft-wal v0.4.2", open: func(dir string) (raft.LogStore, raft.StableStore, io.Closer, error) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, nil, err
		}
		w, err := raftwal.Open(dir)
		return w, w, w, err
	}},
	{name: "raft-boltdb v2.3.1", open: func(dir string) (raft.LogStore, raft.StableStore, io.Closer, error) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, nil, err
		}
		b, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
		return b, b, b, err
	}},
}

// TestCompareStores measures the applies per second of a 3-node
// hashicorp/raft cluster in one process (in-memory transport, every node's
// store on the OS file system under $TMPDIR) with each log store in turn,
// alternating them round by round (the order rotating too), and prints a
// markdown table of the medians and of the median per-round ratio to
// raftlog. It runs only when asked:
//
//	go test -run TestCompareStores -compare.rounds 5 -v
func TestCompareStores(t *testing.T) {
	if *compareRounds <= 0 {
		t.Skip("set -compare.rounds to run")
	}
	rates := make([][]float64, len(compared)) // rates[backend][round]
	for round := range *compareRounds {
		for k := range compared {
			i := (round + k) % len(compared)
			rates[i] = append(rates[i], measure(t, compared[i], *compareCommands, *compareBurst))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rounds, %d commands of 8 bytes per cluster, %d in flight\n\n", *compareRounds, *compareCommands, *compareBurst)
	b.WriteString("| log store | applies/s (median) | raftlog ÷ this (median of rounds) |\n| --- | ---: | ---: |\n")
	for i, be := range compared {
		ratios := make([]float64, len(rates[i]))
		for r := range ratios {
			ratios[r] = rates[0][r] / rates[i][r]
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.2f |\n", be.name, median(rates[i]), median(ratios))
	}
	t.Log("\n" + b.String())
}

// measure starts a cluster on be, waits for a leader, warms it up, and
// returns the applies per second of n commands, burst at a time.
func measure(t *testing.T, be backend, n, burst int) float64 {
	c := newCluster(t, be, 3, nil)
	defer c.shutdown()
	c.apply(burst)
	start := time.Now()
	done := 0
	for ; done < n; done += burst {
		c.apply(burst)
	}
	rate := float64(done) / time.Since(start).Seconds()
	c.converge()
	return rate
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
