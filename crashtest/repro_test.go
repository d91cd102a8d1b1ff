// A regression test for a recovery bug that crashtest's counter example
// found (seed 2813). wal.rotateAtRecovery cuts the old chunk's torn tail,
// writes the seal after the cut, and fsyncs once. A power loss that reorders
// (fs.CrashReordered) can keep the seal's sector but not the cut, so the old
// chunk's length covers the torn bytes again: an intact seal followed by
// damage. Open then removed the successor as an interrupted rotation's head
// and refused the log: the seal named the chunk it had just removed. Now
// anything after a seal makes the seal's chunk incomplete, so the next Open
// cuts at the seal and rotates again.

package crashtest_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// TestRecoveryRotationSurvivesReorderedCrash: a log whose newest chunk
// ends in a torn (never synced) tail is opened; Open cuts the tail, which
// it does by rotating (wal.rotateAtRecovery: a new chunk, then the old one
// truncated and sealed, then fsynced). A power loss at any I/O of that
// Open, in any mode, must leave a log that opens.
func TestRecoveryRotationSurvivesReorderedCrash(t *testing.T) {
	// A log with one synced entry, then unsynced bytes past it that a
	// process crash keeps: a torn tail for the next Open to cut.
	base := fs.NewMem()
	l, err := raftlog.Open("/log", raftlog.Config{FS: base, ManualFlush: true, PreallocateBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 1}, Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	crashed := base.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess)
	names, _ := crashed.ReadDir("/log")
	f, err := crashed.OpenFile("/log/"+names[len(names)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(bytes.Repeat([]byte{0x5a}, 300)) // unsynced: the tail a crash tore (zeros would be the unwritten tail)
	f.Close()
	for k := uint64(0); k < 12; k++ {
		for s := uint64(0); s < 64; s++ {
			for _, mode := range []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered} {
				disk := crashed.Crash(rand.New(rand.NewPCG(0, 0)), fs.CrashProcess) // a copy, unsynced tail included
				disk.HaltAfter(k)
				if l, err := raftlog.Open("/log", raftlog.Config{FS: disk, ManualFlush: true, PreallocateBytes: 4096}); err == nil {
					l.Close()
				}
				after := disk.Crash(rand.New(rand.NewPCG(s, k)), mode)
				l, err := raftlog.Open("/log", raftlog.Config{FS: after, ManualFlush: true, PreallocateBytes: 4096})
				if err != nil {
					t.Fatalf("a %v power loss after I/O %d of the Open that cut a torn tail (crash seed %d): the log no longer opens: %v", mode, k, s, err)
				}
				if last := l.State().Last; fmt.Sprint(last) != "{Term:1 Index:1}" {
					t.Fatalf("lost the synced entry: last %v", last)
				}
				l.Close()
			}
		}
	}
}
