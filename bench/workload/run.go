package workload

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/raftlog/raftlog/bench/store"
)

// Run runs the workload p describes against the store open opens, named
// name. A store that lacks an operation the workload needs gives a Result
// whose Unsupported says why, not an error.
func Run(name string, open store.Opener, p Params) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	r := &Result{Store: name, Params: p}
	var err error
	switch p.Workload {
	case Append:
		err = runAppend(p, open, r)
	case Reopen:
		err = runReopen(p, open, r)
	case SeqRead:
		err = runSeqRead(p, open, r)
	case RandRead:
		err = runRandRead(p, open, r)
	case Purge:
		err = runPurge(p, open, r)
	}
	if errors.Is(err, store.ErrUnsupported) {
		return &Result{Store: name, Params: p, Unsupported: err.Error()}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, p.Workload, err)
	}
	if r.Unsupported != "" {
		return &Result{Store: name, Params: p, Unsupported: r.Unsupported}, nil
	}
	return r, nil
}

// Main is a child's main function: it parses the parameters from the
// command line, runs the workload and prints the Result as JSON, or the error
// on standard error with exit status 1.
func Main(name string, open store.Opener) {
	var p Params
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	p.Flags(fs)
	fs.Parse(os.Args[1:])
	r, err := Run(name, open, p)
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
