// Command tidwall is the benchmark's child process for one store: it runs one
// workload (see package workload) and prints its result as JSON. The parent,
// cmd/benchmatrix, builds and runs it; each store has its own binary so that
// no other store's packages are linked in or initialised, and the peak
// resident memory is the store's own.
package main

import (
	"github.com/raftlog/raftlog/bench/store/tidwallstore"
	"github.com/raftlog/raftlog/bench/workload"
)

func main() { workload.Main(tidwallstore.Name, tidwallstore.Open) }
