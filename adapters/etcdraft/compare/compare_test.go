package compare

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	compareRounds   = flag.Int("compare.rounds", 1, "TestCompareStores: rounds of one cluster per storage, alternated")
	compareCommands = flag.Int("compare.commands", 300, "TestCompareStores: commands applied per cluster")
	compareBurst    = flag.Int("compare.burst", 64, "TestCompareStores: commands proposed and not yet applied at once")
)

// TestCompareStores measures the applies per second of a 3-node etcd raft
// cluster in one process (every node's storage on the OS file system under
// $TMPDIR) with each storage in turn, alternating them round by round (the
// order rotating too), and prints a markdown table of the medians and of
// the median per-round ratio to raftlog. Every cluster checks that each
// node applied every command once, in order. By default it runs one small
// round, so that it cannot rot; measure with
//
//	go test -run TestCompareStores -compare.rounds 3 -compare.commands 3000 -v
func TestCompareStores(t *testing.T) {
	rates := make([][]float64, len(compared)) // rates[backend][round]
	for round := range *compareRounds {
		for k := range compared {
			i := (round + k) % len(compared)
			rates[i] = append(rates[i], measure(t, compared[i], *compareCommands, *compareBurst))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d rounds, %d commands of 8 bytes per cluster, %d in flight\n\n", *compareRounds, *compareCommands, *compareBurst)
	b.WriteString("| storage | applies/s (median) | raftlog ÷ this (median of rounds) |\n| --- | ---: | ---: |\n")
	for i, be := range compared {
		ratios := make([]float64, len(rates[i]))
		for r := range ratios {
			ratios[r] = rates[0][r] / rates[i][r]
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.2f |\n", be.name, median(rates[i]), median(ratios))
	}
	t.Log("\n" + b.String())
}

// measure starts a cluster on be, warms it up with one burst, and returns
// the applies per second of n more commands.
func measure(t *testing.T, be backend, n, burst int) float64 {
	c := newCluster(t, be)
	c.run(0, burst, burst)
	start := time.Now()
	c.run(burst, n, burst)
	return float64(n) / time.Since(start).Seconds()
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
