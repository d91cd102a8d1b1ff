package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

var statCommand = &command{
	name:    "stat",
	args:    "DIR",
	nargs:   1,
	summary: "state, chunks, bytes on disk, what recovery would cut",
	about: `
Summarises the log in DIR: its state and entries as recovery would leave
them, every chunk file with its size and record counts, the bytes on disk,
what recovery would cut or why it would refuse the log, and who holds its
lock. Nothing is written and no lock is taken.

Exit status 1 when the log is damaged: recovery would refuse it, or would
cut a torn tail from it.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		asJSON := fl.Bool("json", false, "print one JSON object")
		return func(e *env, args []string) error { return stat(e, args[0], *asJSON) }
	},
}

// statReport is what stat prints, and its JSON form.
type statReport struct {
	Dir string `json:"dir"`
	// State, First and End are the log's after recovery; absent (null)
	// when recovery would refuse it.
	State *raftlog.State[raftlog.LogID, raftlog.Vote, []byte] `json:"state"`
	First uint64                                              `json:"first"`
	End   uint64                                              `json:"end"`
	// Chunks are the chunk files as on disk.
	Chunks      []chunkSummary `json:"chunks"`
	BytesOnDisk int64          `json:"bytes_on_disk"`
	Recovery    recovery       `json:"recovery"`
	// Lock names the process holding the log, null when none is named.
	Lock *holder `json:"lock"`
}

// chunkSummary is one chunk file as a scan finds it.
type chunkSummary struct {
	File          string `json:"file"`
	ID            uint64 `json:"id"`
	Bytes         int64  `json:"bytes"`
	Records       int    `json:"records"`
	Checkpoints   int    `json:"checkpoints"`
	SyncedMarkers int    `json:"synced_markers"`
	Trims         int    `json:"trims"`
	// Damage is the error that ended the chunk's scan, if any.
	Damage string `json:"damage,omitempty"`
}

func stat(e *env, dir string, asJSON bool) error {
	l, rec, err := dryRunRecovery(dir)
	if err != nil {
		return err
	}
	r := statReport{Dir: dir, Recovery: rec, Chunks: []chunkSummary{}}
	if l != nil {
		defer l.Close()
		st, s := l.State(), l.Stat()
		r.State, r.First, r.End = &st, s.First, s.End
	}
	if h, ok := lockHolder(dir); ok {
		r.Lock = &h
	}
	if r.Chunks, err = scanChunks(dir); err != nil {
		if r.Lock != nil && r.Lock.live() {
			return fmt.Errorf("%w (%s is %s and may have changed while being read)", err, dir, r.Lock)
		}
		return err
	}
	for _, c := range r.Chunks {
		r.BytesOnDisk += c.Bytes
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := r.print(e.stdout); err != nil {
		return err
	}
	if rec.damaged() {
		var h holder
		if r.Lock != nil {
			h = *r.Lock
		}
		reportDamage(e.stderr, "stat", dir, rec, h, r.Lock != nil)
		return errReported
	}
	return nil
}

func (r statReport) print(w io.Writer) error {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("log       %s\n", r.Dir)
	if r.State != nil {
		p("state     %v\n", *r.State)
		p("entries   [%d, %d): %d\n", r.First, r.End, r.End-r.First)
	} else if !r.Recovery.noLog {
		p("state     unknown: recovery would refuse the log\n")
	}
	p("chunks    %d, %d bytes on disk\n", len(r.Chunks), r.BytesOnDisk)
	for _, c := range r.Chunks {
		p("  %s  %d bytes  records %d  checkpoints %d  synced markers %d  trims %d\n",
			c.File, c.Bytes, c.Records, c.Checkpoints, c.SyncedMarkers, c.Trims)
		if c.Damage != "" {
			p("    damaged: %s\n", c.Damage)
		}
	}
	switch {
	case r.Recovery.noLog:
		p("recovery  no log here: no chunk file and no META file\n")
	case r.Recovery.Error != "":
		p("recovery  would refuse the log: %s\n", r.Recovery.Error)
	case r.Recovery.CutBytes > 0:
		p("recovery  would cut %d bytes from the tail\n", r.Recovery.CutBytes)
	default:
		p("recovery  nothing to cut\n")
	}
	for _, rep := range r.Recovery.lines() {
		p("  %s\n", rep)
	}
	if r.Lock != nil {
		p("lock      %s\n", r.Lock)
	} else {
		p("lock      not held\n")
	}
	return nil
}

// scanChunks lists every chunk file in dir with its size, and counts its
// records by kind as a scan finds them on disk, without decoding them (so
// any log's types get a summary).
func scanChunks(dir string) ([]chunkSummary, error) {
	names, err := fs.OS().ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sums := []chunkSummary{}
	at := map[uint64]int{}
	for _, name := range names {
		id, ok := wal.ParseChunkName(name)
		if !ok {
			continue
		}
		fi, err := fs.OS().Stat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		at[id] = len(sums)
		sums = append(sums, chunkSummary{File: name, ID: id, Bytes: fi.Size()})
	}
	err = wal.Scan(fs.OS(), dir, codec.Codec[[]byte](skipCodec{}), func(f wal.Found[[]byte]) error {
		i, ok := at[f.Chunk]
		if !ok {
			return fmt.Errorf("%s appeared while it was being read", f.File)
		}
		s := &sums[i]
		if f.Err != nil {
			s.Damage = f.Err.Error()
			return nil
		}
		switch f.Kind {
		case wal.KindRecord:
			s.Records++
		case wal.KindCheckpoint:
			s.Checkpoints++
		case wal.KindSynced:
			s.SyncedMarkers++
		case wal.KindTrim:
			s.Trims++
		}
		return nil
	})
	return sums, err
}

// skipCodec accepts any record body without keeping it.
type skipCodec struct{}

func (skipCodec) Append(dst []byte, v []byte) ([]byte, error) { return append(dst, v...), nil }
func (skipCodec) Decode(src []byte) ([]byte, int, error)      { return nil, len(src), nil }
