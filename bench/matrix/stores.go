// Package matrix is the parent side of the benchmark: it builds a child per
// store, runs every row of the matrix in its own process for each store, the
// stores alternated over the repetitions, measures the disk's limit line in
// the same run, counts fsyncs in an untimed traced pass, and renders the
// Markdown table with ratios to the best peer.
package matrix

import (
	"fmt"
	"slices"
	"strings"
)

// Store describes one store of the matrix: the child command that drives it
// and what it can do.
type Store struct {
	// Name is the store's name in the tables and in -stores.
	Name string
	// Child is the directory of its child command under cmd/child.
	Child string
	// Module is the module whose version the report reads from the child
	// binary.
	Module string
	// Config says how the adapter uses the store (for the notes).
	Config string
	// Replay marks a store read only by a replay at open: it has no
	// sequential or random read row.
	Replay bool
	// NoPurge marks a store without a purge of a prefix or a truncation.
	NoPurge bool
	// Group marks group commit: concurrent appenders share fsyncs.
	Group bool
}

// Subject is the store the ratios are about.
const Subject = "raftlog"

// Stores are every store the matrix knows, the subject first.
var Stores = []Store{
	{
		Name: "raftlog", Child: "raftlog", Module: "github.com/raftlog/raftlog", Group: true,
		Config: "`raftlog.Open(dir, raftlog.Config{})`: every option at its default. A durable append is `Append` then `Sync`; " +
			"concurrent appenders call `Append` under the caller's mutex and `Sync` outside it, one fsync serving every `Sync` waiting.",
	},
	{
		Name: "raft-wal", Child: "raftwal", Module: "github.com/hashicorp/raft-wal",
		Config: "`wal.Open(dir)` with its defaults (64 MiB segments, fallocated; BoltDB meta store), logger silenced. " +
			"`StoreLogs` writes the batch and fsyncs before it returns; there is no option to skip it.",
	},
	{
		Name: "etcd-wal", Child: "etcdwal", Module: "go.etcd.io/etcd/server/v3", Replay: true, NoPurge: true,
		Config: "`wal.Create`, then `wal.Open` + `ReadAll` at reopen, as etcd's server does; one `Save(HardState{}, entries)` per batch, " +
			"which fdatasyncs whenever `raft.MustSync` says so (always, with entries). 64 MB preallocated segments. " +
			"Replayed only: no read of one entry, no purge of a prefix (etcd deletes old segment files after a snapshot), " +
			"no truncation (a later `Save` of lower indexes supersedes the suffix at replay).",
	},
	{
		Name: "tidwall-wal", Child: "tidwall", Module: "github.com/tidwall/wal",
		Config: "`wal.Open(dir, nil)`: `DefaultOptions`, `NoSync: false`, so each `WriteBatch` fsyncs before it returns; 20 MB segments, " +
			"2 cached. Purge is `TruncateFront`, truncation `TruncateBack` (each rewrites a segment to a temporary file, fsyncs and renames it).",
	},
	{
		Name: "raft-boltdb", Child: "boltdb", Module: "github.com/hashicorp/raft-boltdb/v2",
		Config: "`raftboltdb.New(Options{Path})`: `NoSync: false`, default bbolt options. One `StoreLogs` is one bbolt transaction, " +
			"whose commit fdatasyncs the data pages, then the meta page. Purge and truncation are `DeleteRange` transactions.",
	},
}

// SelectStores returns the stores named in a comma-separated list ("" or
// "all": every store), the subject first. The subject is always included:
// the tables are about it.
func SelectStores(list string) ([]Store, error) {
	if list == "" || list == "all" {
		return Stores, nil
	}
	want := strings.Split(list, ",")
	for _, w := range want {
		if !slices.ContainsFunc(Stores, func(s Store) bool { return s.Name == w }) {
			return nil, fmt.Errorf("matrix: unknown store %q (known: %s)", w, names(Stores))
		}
	}
	var out []Store
	for _, s := range Stores {
		if s.Name == Subject || slices.Contains(want, s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

func names(ss []Store) string {
	var n []string
	for _, s := range ss {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
