// Command raftlog inspects raftlog directories and runs the simulator.
//
//	raftlog dump DIR                 list every chunk and record as on disk
//	raftlog stat DIR                 summarise the chunks and their records
//	raftlog sim [-seeds N] [-ops M] [-seed S]
//	                                 run a crash-simulation campaign
//	raftlog bench append|open ...    measure appends and opens on the real disk
//
// dump and stat read the files without taking the lock or repairing
// anything, so they also work on a log that is open elsewhere or that fails
// to open. They assume the default types (raftlog.DefaultTypes).
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "dump":
		err = dump(args)
	case "stat":
		err = stat(args)
	case "sim":
		err = simulate(args)
	case "bench":
		err = bench(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftlog:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  raftlog dump DIR
  raftlog stat DIR
  raftlog sim [-seeds N] [-ops M] [-seed S]
  raftlog bench append [-dir D] [-size 128] [-batch 64] [-n 100000] [-g 1]
  raftlog bench open -dir D [-entries N] [-size 128]`)
	os.Exit(2)
}
