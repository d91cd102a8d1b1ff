package hashicorpraft

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/raftlog/raftlog/raftlog"
)

// exampleDir makes a temporary directory for an example.
func exampleDir() (string, func()) {
	dir, err := os.MkdirTemp("", "hashicorpraft-example-")
	if err != nil {
		panic(err)
	}
	return dir, func() { os.RemoveAll(dir) }
}

// exampleFSM is a state machine that sums the bytes of the commands
// applied.
type exampleFSM struct{ n int }

func (f *exampleFSM) Apply(l *raft.Log) any { f.n += len(l.Data); return f.n }
func (f *exampleFSM) Snapshot() (raft.FSMSnapshot, error) {
	return nil, errors.New("not in this example")
}
func (f *exampleFSM) Restore(rc io.ReadCloser) error { return rc.Close() }

// A single-node hashicorp/raft on a raftlog Store: the store is both the
// log store and the stable store.
func Example() {
	dir, cleanup := exampleDir()
	defer cleanup()

	store, err := Open(filepath.Join(dir, "raft"), raftlog.Config{})
	if err != nil {
		panic(err)
	}
	conf := raft.DefaultConfig()
	conf.LocalID = "n1"
	conf.Logger = hclog.NewNullLogger()
	addr, trans := raft.NewInmemTransport("")
	fsm := &exampleFSM{}
	r, err := raft.NewRaft(conf, fsm, store, store, raft.NewInmemSnapshotStore(), trans)
	if err != nil {
		panic(err)
	}
	r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: addr}}})
	for !<-r.LeaderCh() { // wait until it leads
	}
	for _, cmd := range []string{"a", "bb", "ccc"} {
		if err := r.Apply([]byte(cmd), time.Second).Error(); err != nil {
			panic(err)
		}
	}
	r.Shutdown().Error()
	store.Close()

	store, err = Open(filepath.Join(dir, "raft"), raftlog.Config{}) // what a restart finds
	if err != nil {
		panic(err)
	}
	defer store.Close()
	first, _ := store.FirstIndex()
	last, _ := store.LastIndex()
	term, _ := store.GetUint64([]byte("CurrentTerm"))
	var l raft.Log
	store.GetLog(last, &l)
	fmt.Printf("applied %d bytes; log [%d, %d], term %d; last entry %q (%v)\n", fsm.n, first, last, term, l.Data, l.Type)
	// Output: applied 6 bytes; log [1, 5], term 2; last entry "ccc" (LogCommand)
}
