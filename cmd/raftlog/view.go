package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// recovery is what opening a log would do to it.
type recovery struct {
	// CutBytes is what it would cut from a torn tail (raftlog's
	// Stat().WAL.Dropped after the dry run).
	CutBytes int64 `json:"would_cut_bytes"`
	// Reports are the warnings recovery logs, such as the file, offset
	// and reason of a cut.
	Reports []string `json:"reports"`
	// Error is why it would refuse to open the log (corruption, a missing
	// chunk, ...), empty when it would open it.
	Error string `json:"error,omitempty"`
	// cuts are the cuts of a recovery that opened the log, for people.
	cuts []cutReport
	// noLog: the directory holds no log at all.
	noLog bool
}

// damaged reports whether recovery would refuse the log or cut from it.
func (r recovery) damaged() bool { return r.Error != "" || r.CutBytes > 0 }

// lines says what recovery would cut, one line each: the cuts when it
// opens the log, else the warnings it logged before it refused.
func (r recovery) lines() []string {
	if len(r.cuts) == 0 {
		return r.Reports
	}
	out := make([]string, len(r.cuts))
	for i, c := range r.cuts {
		out[i] = c.String()
	}
	return out
}

// errNoLog says, in the tool's words, that dir holds no log.
func errNoLog(dir string) error {
	return fmt.Errorf("%s holds no log: no chunk file and no META file", dir)
}

// dryRunRecovery opens dir as raftlog.Open would, recovery included,
// through an overlayFS: nothing is written to the disk and no lock is taken.
// It returns the opened log (nil when recovery refuses it) and what
// recovery did. It is the one place that decides what recovery would do:
// when the library offers a dry run of recovery, call it here instead.
func dryRunRecovery(dir string) (*raftlog.DefaultLog, recovery, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, recovery{}, err
	}
	if !fi.IsDir() {
		return nil, recovery{}, fmt.Errorf("%s is not a directory", dir)
	}
	var reports bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&reports, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	l, err := openDryRun(dir, logger)
	var rec recovery
	if s := strings.TrimSpace(reports.String()); s != "" {
		rec.Reports = strings.Split(s, "\n")
	}
	if err != nil {
		rec.Error = err.Error()
		rec.noLog = errors.Is(err, raftlog.ErrNoLog)
		return nil, rec, nil
	}
	rec.CutBytes = l.Stat().WAL.Dropped
	rec.cuts = cutReports(l.Recovery().Cuts)
	return l, rec, nil
}

// openDryRun opens dir as raftlog.Open would, recovery included, through an
// overlayFS: nothing is written to the disk and no lock is taken. The
// directory must hold a log. It reads every chunk in full (ReadAll): a node's
// Open takes closed chunks from their index files, but a tool that checks a
// log must see the damage inside them.
func openDryRun(dir string, logger *slog.Logger) (*raftlog.DefaultLog, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	return raftlog.Open(dir, raftlog.Config{FS: newOverlay(fs.OS()), CacheMaxItems: -1, Logger: logger, MustExist: true, ReadAll: true})
}
