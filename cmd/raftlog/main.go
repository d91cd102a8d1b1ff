// Command raftlog inspects raftlog directories and runs the crash simulator
// and benchmarks.
//
//	raftlog help [COMMAND]          the commands, or one command's flags
//	raftlog dump [flags] DIR        the log's state and entries, or its records
//	raftlog stat [flags] DIR        state, chunks, bytes, what recovery would cut
//	raftlog verify [flags] DIR      check a log: exit 0 if healthy, 1 if damaged
//	raftlog repair [flags] DIR      cut a damaged log at its first damage, with backups
//	raftlog sim [flags]             a crash-simulation campaign
//	raftlog bench append [flags]    appends per second on the real disk
//	raftlog bench open [flags]      the time and memory of Open on a large log
//
// Every command takes -h. dump, stat and verify take no lock and write nothing:
// they work on a log that a live process holds, and on one that fails to
// open. They assume the default types (raftlog.DefaultTypes).
//
// Exit status: 0 on success, 1 on failure or when dump or stat find the log
// damaged, 2 on a usage error.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		overview(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(args[1:], stdout, stderr)
	}
	c, rest := lookup(args)
	if c == nil {
		if g := group(args[0]); len(g) > 0 {
			return groupUsage(args[0], g, rest, stdout, stderr)
		}
		fmt.Fprintf(stderr, "raftlog: unknown command %q\n\n", args[0])
		overview(stderr)
		return exitUsage
	}
	err := c.run(rest, &env{stdout: stdout, stderr: stderr})
	var uerr *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		c.usage(stdout)
		return exitOK
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "raftlog %s: %s\nRun 'raftlog %s -h' for usage.\n", c.name, uerr.msg, c.name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitFailure
	}
	fmt.Fprintf(stderr, "raftlog %s: %v\n", c.name, err)
	return exitFailure
}

// help prints the overview, or one command's usage.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		overview(stdout)
		return exitOK
	}
	if c, rest := lookup(args); c != nil && len(rest) == 0 {
		c.usage(stdout)
		return exitOK
	}
	if g := group(args[0]); len(g) > 0 && len(args) == 1 {
		groupList(args[0], g, stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "raftlog help: no command %q\n\n", args)
	overview(stderr)
	return exitUsage
}

// overview lists every command with its summary.
func overview(w io.Writer) {
	fmt.Fprintln(w, "usage: raftlog COMMAND [flags] [ARGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		if !c.hidden {
			fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'raftlog help COMMAND' or 'raftlog COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 failure or a damaged log, 2 usage error.")
}

// groupUsage handles a group name without a subcommand ("raftlog bench"):
// its list, on stdout for -h and on stderr with a usage error otherwise.
func groupUsage(name string, g []*command, rest []string, stdout, stderr io.Writer) int {
	if len(rest) == 1 && isHelpFlag(rest[0]) {
		groupList(name, g, stdout)
		return exitOK
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "raftlog %s: unknown subcommand %q\n\n", name, rest[0])
	}
	groupList(name, g, stderr)
	return exitUsage
}

func groupList(name string, g []*command, w io.Writer) {
	fmt.Fprintf(w, "usage: raftlog %s SUBCOMMAND [flags]\n\nSubcommands:\n", name)
	for _, c := range g {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
}

func isHelpFlag(s string) bool {
	switch s {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}
