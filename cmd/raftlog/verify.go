package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

var verifyCommand = &command{
	name:    "verify",
	args:    "DIR",
	nargs:   1,
	summary: "check a log: exit 0 if healthy, 1 with what is damaged",
	about: `
Checks the log in DIR as Open would, and reads back every entry, verifying
every checksum. It never modifies anything, not even a torn tail that Open
would cut, and takes no lock. When another process holds the log, verify
names it on standard error: that process may be writing, and its newest
writes may look cut or damaged; verify a closed log to be sure.

Exit status 0 when the log is healthy. Exit status 1 when Open would refuse
it (damage to data that was durable: the file, offset, reason and the index
range of the entries affected are printed) or would cut bytes from it (a
torn tail a crash left: each cut is printed). "raftlog repair DIR" cuts a
damaged log at its first damage, keeping backups.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		asJSON := fl.Bool("json", false, "print one JSON object")
		return func(e *env, args []string) error { return verify(e, args[0], *asJSON) }
	},
}

var repairCommand = &command{
	name:    "repair",
	args:    "DIR",
	nargs:   1,
	summary: "cut a damaged log at its first damage, keeping backups",
	about: `
Opens the log in DIR in repair mode: it keeps the log up to its first
damaged record, keeps a backup (FILE.broken) of every file it changes or
moves aside, and prints every cut: the file, offset and bytes, the backup,
and the index range of the entries found in them, which a Raft node must
refetch from its peers with every later one, then the state as recovered.
A damaged chunk checkpoint that the sealed chunk before it restates is
rewritten rather than cut. When the cut takes the record of a purge whose
chunks were already removed, the purge and the log's start are written
again where the log now ends. A log with no damage is left as it is (a
version 1 log is upgraded, as Open upgrades it). The log must not be open
elsewhere (repair takes its lock). A repair that was interrupted, or whose
process stopped before the log was written or closed again, leaves the
log refused by every other command until repair runs again and reports
that earlier cut.

Exit status 0 when the log opens (repaired or not), 1 when it cannot be
repaired (the start of the log is gone).`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		asJSON := fl.Bool("json", false, "print one JSON object")
		return func(e *env, args []string) error { return repair(e, args[0], *asJSON) }
	},
}

// cutReport is one cut, as verify and repair print it.
type cutReport struct {
	File    string `json:"file"`
	Offset  int64  `json:"offset"`
	Bytes   int64  `json:"bytes"`
	Reason  string `json:"reason"`
	Durable bool   `json:"durable"`
	Backup  string `json:"backup,omitempty"`
	// Rewritten: the bytes were rewritten in place, not removed (a damaged
	// checkpoint rebuilt, wal.Cut.Rewritten).
	Rewritten bool `json:"rewritten,omitempty"`
	// First and Last bound the entries found in the bytes cut; null when
	// none was found. A cut of an earlier repair (Earlier), whose bytes
	// are no longer in the log, has a First only: every entry from there
	// on may have been in them.
	First   *uint64 `json:"first_index"`
	Last    *uint64 `json:"last_index"`
	Earlier bool    `json:"earlier,omitempty"`
	// ofMeta: the cut is of the META file (wal.Cut.OfMeta).
	ofMeta bool
}

func cutReports(cuts []raftlog.Cut) []cutReport {
	out := []cutReport{}
	for _, c := range cuts {
		r := cutReport{File: c.File, Offset: c.Offset, Bytes: c.Bytes, Reason: c.Reason, Durable: c.Durable, Backup: c.Backup,
			Rewritten: c.Rewritten, Earlier: c.Earlier, ofMeta: c.OfMeta()}
		if f, ok := c.First.Get(); ok {
			r.First = &f
		}
		if l, ok := c.Last.Get(); ok {
			r.Last = &l
		}
		out = append(out, r)
	}
	return out
}

func (c cutReport) String() string {
	s := fmt.Sprintf("%s: %d bytes at offset %d: %s", c.File, c.Bytes, c.Offset, c.Reason)
	if c.Rewritten {
		s = fmt.Sprintf("%s: %d bytes rewritten at offset %d: %s", c.File, c.Bytes, c.Offset, c.Reason)
	}
	if c.ofMeta {
		s = fmt.Sprintf("%s: %s", c.File, c.Reason) // no chunk, no bytes of the log
	}
	switch {
	case c.Bytes == 0 && !c.ofMeta && c.Last != nil && c.First == nil:
		s = fmt.Sprintf("%s: %s; entries up to %d", c.File, c.Reason, *c.Last)
	case c.Bytes == 0 && !c.ofMeta && c.Last != nil:
		s = fmt.Sprintf("%s: %s; entries %d to %d", c.File, c.Reason, *c.First, *c.Last)
	case c.First != nil && c.Last == nil:
		// An earlier repair's cut: its bytes are no longer in the log.
		s += fmt.Sprintf("; every entry from %d on may have been in them", *c.First)
	case c.First != nil:
		// Found by resynchronising at each write batch after the damage:
		// entries of a damaged batch are not among them.
		s += fmt.Sprintf("; intact entries %d to %d were found in them", *c.First, *c.Last)
	}
	if c.Backup != "" {
		s += "; backup " + c.Backup
	}
	return s
}

// damageReport describes why Open refuses a log.
type damageReport struct {
	Error  string `json:"error"`
	File   string `json:"file,omitempty"`
	Offset int64  `json:"offset"`
	Reason string `json:"reason,omitempty"`
	// First and Last bound the entries affected; null when unknown.
	First *uint64 `json:"first_index"`
	Last  *uint64 `json:"last_index"`
}

func damageOf(err error) damageReport {
	d := damageReport{Error: err.Error()}
	var ce *raftlog.CorruptionError
	if errors.As(err, &ce) {
		if f, ok := ce.First.Get(); ok {
			d.First = &f
		}
		if l, ok := ce.Last.Get(); ok {
			d.Last = &l
		}
	}
	var we *wal.CorruptionError
	var me *wal.MissingChunkError
	var ge *wal.GapError
	var se *wal.StrayChunkError
	var ie *wal.InterruptedRepairError
	switch {
	case errors.As(err, &se):
		d.File, d.Reason = se.File, "not the log's: it follows the last chunk of a log that was closed cleanly"
	case errors.As(err, &ie):
		d.Reason = fmt.Sprintf("a repair cut the log from offset %d and was not followed by a write or a close: run raftlog repair to see its cut reported again", ie.From)
	case errors.As(err, &we):
		d.File, d.Offset, d.Reason = we.File, we.Offset, we.Reason
	case errors.As(err, &me):
		d.File, d.Reason = wal.ChunkName(me.Want), "missing chunk"
		if me.Reason != "" {
			d.Reason = me.Reason
		}
	case errors.As(err, &ge):
		d.File, d.Reason = ge.Next, fmt.Sprintf("gap after %s", ge.Prev)
	}
	return d
}

// verifyReport is what verify prints.
type verifyReport struct {
	Dir     string                                              `json:"dir"`
	Healthy bool                                                `json:"healthy"`
	Damage  *damageReport                                       `json:"damage,omitempty"`
	Cuts    []cutReport                                         `json:"would_cut"`
	State   *raftlog.State[raftlog.LogID, raftlog.Vote, []byte] `json:"state"`
	First   uint64                                              `json:"first"`
	End     uint64                                              `json:"end"`
	Entries uint64                                              `json:"entries_read"`
	// Lock names the process holding the log, if any: a live one may
	// have been writing while verify read, and what looks like damage
	// may be its work in progress.
	Lock *holder `json:"lock,omitempty"`
}

func verify(e *env, dir string, asJSON bool) error {
	r := verifyReport{Dir: dir, Cuts: []cutReport{}}
	h, held := lockHolder(dir)
	if held {
		r.Lock = &h
	}
	live := held && h.live()
	if live {
		fmt.Fprintf(e.stderr, "raftlog verify: %s is %s: it may be writing while verify reads, and its newest writes may look cut or damaged; verify a closed log\n", dir, h)
	}
	l, err := openDryRun(dir, nil)
	if err != nil {
		if errors.Is(err, raftlog.ErrNoLog) {
			return errNoLog(dir)
		}
		if !errors.Is(err, raftlog.ErrCorrupt) && !errors.Is(err, raftlog.ErrVersion) {
			if live {
				return fmt.Errorf("%w (%s is %s and may have changed while being read)", err, dir, h)
			}
			return err
		}
		d := damageOf(err)
		r.Damage = &d
	} else {
		defer l.Close()
		st, s := l.State(), l.Stat()
		r.State, r.First, r.End = &st, s.First, s.End
		r.Cuts = cutReports(l.Recovery().Cuts)
		for _, err := range l.Read(s.First, s.End) {
			if err != nil {
				d := damageOf(err)
				r.Damage = &d
				break
			}
			r.Entries++
		}
	}
	r.Healthy = r.Damage == nil && len(r.Cuts) == 0
	if err := r.print(e.stdout, asJSON); err != nil {
		return err
	}
	if !r.Healthy {
		return errReported
	}
	return nil
}

func (r verifyReport) print(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	switch {
	case r.Damage != nil:
		p("damaged   %s\n", r.Dir)
		if r.Damage.File != "" {
			p("file      %s\n", r.Damage.File)
			p("offset    %d\n", r.Damage.Offset)
		}
		if r.Damage.Reason != "" {
			p("reason    %s\n", r.Damage.Reason)
		}
		p("entries   %s\n", indexRange(r.Damage.First, r.Damage.Last))
		p("error     %s\n", r.Damage.Error)
	case len(r.Cuts) > 0:
		p("torn      %s: Open would cut %d region(s) past the last point the log recorded as durable: a write a crash tore, or, if the log's last batch was acknowledged, damage the format cannot tell from one\n", r.Dir, len(r.Cuts))
		for _, c := range r.Cuts {
			p("  %s\n", c)
		}
	default:
		p("healthy   %s: %d entries [%d, %d) read back, every checksum verified\n", r.Dir, r.Entries, r.First, r.End)
	}
	if r.State != nil {
		p("state     %v\n", *r.State)
	}
	return nil
}

// indexRange says which entries first and last bound.
func indexRange(first, last *uint64) string {
	switch {
	case first != nil && last != nil:
		return fmt.Sprintf("%d to %d", *first, *last)
	case first != nil:
		return fmt.Sprintf("from %d on", *first)
	case last != nil:
		return fmt.Sprintf("up to %d (the first unknown)", *last)
	}
	return "unknown"
}

// repairReport is what repair prints.
type repairReport struct {
	Dir   string                                              `json:"dir"`
	Cuts  []cutReport                                         `json:"cuts"`
	State *raftlog.State[raftlog.LogID, raftlog.Vote, []byte] `json:"state"`
	First uint64                                              `json:"first"`
	End   uint64                                              `json:"end"`
}

func repair(e *env, dir string, asJSON bool) error {
	l, err := raftlog.Open(dir, raftlog.Config{FS: fs.OS(), Recovery: wal.Repair, MustExist: true, CacheMaxItems: -1})
	if err != nil {
		var le *fs.LockedError
		if errors.As(err, &le) {
			return fmt.Errorf("%s is open in another process (%v): stop it first", dir, err)
		}
		if errors.Is(err, raftlog.ErrNoLog) {
			return errNoLog(dir)
		}
		return err
	}
	defer l.Close()
	rep := l.Recovery()
	st, s := rep.State, l.Stat()
	r := repairReport{Dir: dir, Cuts: cutReports(rep.Cuts), State: &st, First: s.First, End: s.End}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	p := func(format string, args ...any) { fmt.Fprintf(e.stdout, format, args...) }
	if len(r.Cuts) == 0 {
		p("nothing to repair in %s\n", dir)
	} else {
		p("repaired  %s: %d cut(s)\n", dir, len(r.Cuts))
		for _, c := range r.Cuts {
			p("  %s\n", c)
		}
	}
	p("state     %v\n", st)
	p("entries   [%d, %d)\n", s.First, s.End)
	if slices.ContainsFunc(r.Cuts, func(c cutReport) bool { return !c.Rewritten && !c.ofMeta }) {
		p("every entry the log held from index %d on is gone from it (the backups keep the bytes): a Raft node fetches them again from its peers\n", s.End)
	}
	return nil
}
