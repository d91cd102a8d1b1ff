package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far long work (a benchmark, a simulation campaign)
// has come, on stderr when stderr is a terminal, and stays quiet otherwise
// so that logs and pipes get only the results.
type progress struct{ bar *progressbar.ProgressBar }

// newProgress starts a bar counting up to total units of what.
func newProgress(total int64, what string) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(what),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// add counts n more units done. Safe for concurrent use.
func (p *progress) add(n int) {
	if p.bar != nil {
		p.bar.Add(n) // a bar that cannot be drawn must not stop the work
	}
}

// done removes the bar, leaving the terminal to the results.
func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish() // as in add
	}
}
