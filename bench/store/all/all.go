// Package all lists every store adapter, for the tests that run each
// workload against each store. The benchmark itself never imports it: each
// child binary links only its own store.
package all

import (
	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/bench/store/boltstore"
	"github.com/raftlog/raftlog/bench/store/etcdwalstore"
	"github.com/raftlog/raftlog/bench/store/raftlogstore"
	"github.com/raftlog/raftlog/bench/store/raftwalstore"
	"github.com/raftlog/raftlog/bench/store/tidwallstore"
)

// Adapter is one store's name and opener.
type Adapter struct {
	Name string
	Open store.Opener
	// Replay marks a store read only by replay at open (no sequential
	// read, random read, purge or truncation).
	Replay bool
	// Group marks a store with group commit (store.GroupCommitter).
	Group bool
}

// Adapters are every store the benchmark drives, raftlog first.
var Adapters = []Adapter{
	{Name: raftlogstore.Name, Open: raftlogstore.Open, Group: true},
	{Name: raftwalstore.Name, Open: raftwalstore.Open},
	{Name: etcdwalstore.Name, Open: etcdwalstore.Open, Replay: true},
	{Name: tidwallstore.Name, Open: tidwallstore.Open},
	{Name: boltstore.Name, Open: boltstore.Open},
}
