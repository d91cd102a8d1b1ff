package faultinject_test

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
)

// A short second write to a WAL segment and a full disk on sync: the file
// keeps the first write and the prefix of the second, and the log says what
// was done.
func Example() {
	mem := fs.NewMem()
	ffs := faultinject.New(mem, faultinject.Options{Seed: 1},
		faultinject.Rule{Op: faultinject.OpWrite, Path: "*.wal", Nth: 2, ShortWrite: 4},
		faultinject.Rule{Op: faultinject.OpSync, Err: syscall.ENOSPC},
	)

	f, err := ffs.OpenFile("/r-000.wal", os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	f.Write([]byte("first;"))
	n, err := f.Write([]byte("second;"))
	fmt.Println(n, errors.Is(err, syscall.EIO), errors.Is(err, faultinject.ErrInjected))
	fmt.Println(f.Sync())

	data, _ := fs.ReadFile(mem, "/r-000.wal")
	fmt.Printf("%q\n", data)
	for _, fault := range ffs.Injected() {
		fmt.Println(fault)
	}
	// Output:
	// 4 true true
	// sync /r-000.wal: faultinject: injected fault #2 (error): no space left on device
	// "first;seco"
	// #1 write /r-000.wal call 2: short write 4/7 bytes: input/output error
	// #2 sync /r-000.wal call 1: error: no space left on device
}
