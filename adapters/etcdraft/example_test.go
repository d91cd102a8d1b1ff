package etcdraft

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/raftlog/raftlog/raftlog"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// A single-node etcd raft on a raftlog Storage: the Ready loop saves to it
// before anything else, and a restart resumes from what it holds.
func Example() {
	dir, err := os.MkdirTemp("", "etcdraft-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	st, err := Open(filepath.Join(dir, "raft"), raftlog.Config{})
	if err != nil {
		panic(err)
	}
	rn, err := raft.NewRawNode(&raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: st,
		MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, Logger: quiet})
	if err != nil {
		panic(err)
	}
	rn.Bootstrap([]raft.Peer{{ID: 1}})
	rn.Campaign()
	var applied []string
	var cs *pb.ConfState
	var index uint64
	for proposed := false; len(applied) < 2; {
		if !rn.HasReady() {
			if !proposed && rn.BasicStatus().RaftState == raft.StateLeader {
				rn.Propose([]byte("x=1"))
				rn.Propose([]byte("y=2"))
				proposed = true
			}
			rn.Tick()
			continue
		}
		rd := rn.Ready()
		if err := st.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil { // before sending
			panic(err)
		}
		// A real node sends rd.Messages to its peers here.
		for _, e := range rd.CommittedEntries {
			index = e.Index
			switch {
			case e.Type == pb.EntryConfChange:
				var cc pb.ConfChange
				cc.Unmarshal(e.Data)
				cs = rn.ApplyConfChange(cc)
			case len(e.Data) > 0:
				applied = append(applied, string(e.Data))
			}
		}
		rn.Advance(rd)
	}
	// A snapshot of the state machine keeps the ConfState, and lets the
	// log before it go.
	if _, err := st.CreateSnapshot(index, cs, []byte("x=1,y=2")); err != nil {
		panic(err)
	}
	if err := st.Compact(index - 1); err != nil {
		panic(err)
	}
	st.Close()

	st, err = Open(filepath.Join(dir, "raft"), raftlog.Config{}) // what a restart finds
	if err != nil {
		panic(err)
	}
	defer st.Close()
	hs, conf, _ := st.InitialState()
	first, _ := st.FirstIndex()
	last, _ := st.LastIndex()
	ents, _ := st.Entries(first, last+1, 1<<20)
	snap, _ := st.Snapshot()
	fmt.Printf("applied %v; term %d, vote %d, commit %d, voters %v\n", applied, hs.Term, hs.Vote, hs.Commit, conf.Voters)
	fmt.Printf("entries [%d, %d], the last holding %q; snapshot at %d: %q\n", first, last, ents[len(ents)-1].Data, snap.Metadata.Index, snap.Data)
	// Output:
	// applied [x=1 y=2]; term 2, vote 1, commit 4, voters [1]
	// entries [4, 4], the last holding "y=2"; snapshot at 4: "x=1,y=2"
}
