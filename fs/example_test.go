package fs_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/raftlog/raftlog/fs"
)

// What a power loss leaves: a synced file keeps its content, but its name
// survives only if its directory was synced too; an unsynced write is lost.
func ExampleMem_Crash() {
	m := fs.NewMem()
	if err := m.MkdirAll("/data", 0o755); err != nil {
		panic(err)
	}
	m.SyncDir("/")
	m.SyncDir("/data")

	write := func(name, data string, sync bool) {
		f, err := m.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			panic(err)
		}
		f.Write([]byte(data))
		if sync {
			f.Sync()
		}
		f.Close()
	}
	write("/data/a", "synced", true)
	m.SyncDir("/data") // a's name is durable from here on
	write("/data/a", " and not", false)
	write("/data/b", "synced, but its name is not", true)

	after := m.Crash(rand.New(rand.NewPCG(1, 2)), fs.CrashOrdered)
	a, _ := fs.ReadFile(after, "/data/a")
	_, errB := fs.ReadFile(after, "/data/b")
	fmt.Printf("a: %q\n", a)
	fmt.Println("b exists:", !errors.Is(errB, fs.ErrNotExist))
	// Output:
	// a: "synced"
	// b exists: false
}

// A directory's lock is exclusive; the refusal says who holds it (with OS,
// the holder that the LOCK file names: process id and host).
func ExampleLockedError() {
	dir, err := os.MkdirTemp("", "raftlog-lock-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	l, err := fs.OS().Lock(dir)
	if err != nil {
		panic(err)
	}
	_, err = fs.OS().Lock(dir)
	var locked *fs.LockedError
	fmt.Println(errors.Is(err, fs.ErrLocked), errors.As(err, &locked) && locked.PID == os.Getpid())
	l.Close()

	l, err = fs.OS().Lock(dir)
	fmt.Println("after Close:", err)
	l.Close()
	// Output:
	// true true
	// after Close: <nil>
}
