package crashtest_test

import (
	"fmt"

	"github.com/raftlog/raftlog/crashtest"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// A node appends entries, syncing the first three; the machine loses power
// (writes kept by sector, in any order) and the node restarts: the synced
// entries are there, the rest may be.
func Example() {
	err := crashtest.Run(42, func(m *crashtest.Machine) error {
		l, err := crashtest.OpenLog(m, "/node", raftlog.DefaultTypes, raftlog.Config{})
		if err != nil {
			return err
		}
		for i := uint64(1); i <= 5; i++ {
			e := raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: i}, Payload: []byte("x")}
			if _, err := l.Append(e); err != nil {
				return err
			}
			if i == 3 {
				if err := l.Sync(); err != nil {
					return err
				}
			}
		}
		m.Crash(fs.CrashReordered)
		l, err = crashtest.OpenLog(m, "/node", raftlog.DefaultTypes, raftlog.Config{})
		if err != nil {
			return err
		}
		if last := l.State().Last.Value().Index; last < 3 {
			return fmt.Errorf("synced entries lost: the log ends at %d", last)
		}
		fmt.Println("after the power loss the log holds the 3 synced entries")
		return l.Close()
	})
	fmt.Println("error:", err)
	// Output:
	// after the power loss the log holds the 3 synced entries
	// error: <nil>
}
