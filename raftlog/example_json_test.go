package raftlog_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/raftlog/raftlog/raftlog"
)

// A state prints in Go's %+v style, marshals to JSON with snake_case keys
// and null for what is absent, reads back from that JSON, and logs through
// log/slog with the same keys.
func ExampleState() {
	st := raftlog.State[raftlog.LogID, raftlog.Vote, []byte]{
		Vote:      raftlog.Some(raftlog.Vote{Term: 1, NodeID: 1, Committed: true}),
		Last:      raftlog.Some(raftlog.LogID{Term: 1, Index: 2}),
		Committed: raftlog.Some(raftlog.LogID{Term: 1, Index: 2}),
	}
	fmt.Println(st)

	b, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))

	var back raftlog.State[raftlog.LogID, raftlog.Vote, []byte]
	if err := json.Unmarshal(b, &back); err != nil {
		panic(err)
	}
	fmt.Println(back.String() == st.String())

	// Drop the time so that the output is the same on every run.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})).Info("opened", "state", st)
	slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})).Info("opened", "last", st.Last, "purged", st.Purged)
	// Output:
	// {Vote:{Term:1 NodeID:1 Committed:true} Last:{Term:1 Index:2} Committed:{Term:1 Index:2} Purged:<none> UserData:<none>}
	// {"vote":{"term":1,"node_id":1,"committed":true},"last":{"term":1,"index":2},"committed":{"term":1,"index":2},"purged":null,"user_data":null}
	// true
	// {"level":"INFO","msg":"opened","state":{"vote":{"term":1,"node_id":1,"committed":true},"last":{"term":1,"index":2},"committed":{"term":1,"index":2},"purged":null,"user_data":null}}
	// level=INFO msg=opened last.term=1 last.index=2 purged=<nil>
}
