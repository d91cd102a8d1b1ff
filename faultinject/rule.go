package faultinject

import (
	"fmt"
	"path"
	"path/filepath"
	"syscall"
	"time"
)

// Op is a kind of file-system operation. Rules select calls by Op, and Calls
// counts them by Op.
type Op int

// The operations a rule can target. Every method of fs.FS and fs.File that
// can fail on a real disk has one; Stat, Name and Close have none, so they
// always pass straight through.
const (
	// OpOpen is any FS.OpenFile, including one that creates the file.
	OpOpen Op = iota + 1
	// OpCreate is an FS.OpenFile with os.O_CREATE of a file that does not
	// exist yet, as reported by Stat on the inner FS just before the open.
	// Such a call counts as both an OpOpen and an OpCreate call, so a rule
	// for either can fail it.
	OpCreate
	// OpRead is File.Read and File.ReadAt.
	OpRead
	// OpWrite is File.Write.
	OpWrite
	// OpSync is File.Sync.
	OpSync
	// OpTruncate is File.Truncate.
	OpTruncate
	// OpRemove is FS.Remove.
	OpRemove
	// OpRename is FS.Rename.
	OpRename
	// OpSyncDir is FS.SyncDir.
	OpSyncDir
	// OpMkdir is FS.MkdirAll.
	OpMkdir
	// OpReadDir is FS.ReadDir.
	OpReadDir
	// OpLock is FS.Lock.
	OpLock

	numOps = int(OpLock) + 1 // size of arrays indexed by Op
)

var opNames = [numOps]string{
	OpOpen:     "open",
	OpCreate:   "create",
	OpRead:     "read",
	OpWrite:    "write",
	OpSync:     "sync",
	OpTruncate: "truncate",
	OpRemove:   "remove",
	OpRename:   "rename",
	OpSyncDir:  "syncdir",
	OpMkdir:    "mkdir",
	OpReadDir:  "readdir",
	OpLock:     "lock",
}

// String returns the lower-case name used in fault logs and as the Op of the
// *os.PathError an injected fault returns ("open", "create", "read", ...).
func (o Op) String() string {
	if o > 0 && int(o) < numOps {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Rule says which calls suffer a fault and what the fault is. The zero value
// of every field except Op is meaningful, so a rule states only what it needs:
// Rule{Op: OpSync} fails every Sync with EIO.
//
// New and Add panic on a rule that cannot mean anything (an unknown Op, a
// malformed Path pattern, a negative Nth, Prob, Times, FlipBits or Latency,
// ShortWrite on an Op other than OpWrite, FlipBits or ZeroTail on an Op
// other than OpRead, FlipBits or ZeroTail together with Err, or both
// together): a fault plan with a typo would otherwise test nothing and pass.
type Rule struct {
	// Op is the kind of call the rule applies to.
	Op Op
	// Path is a path.Match pattern tried against the base name and against
	// the whole slash-separated, cleaned path of the call's file (for
	// Rename, of either name); "" matches every path. "*.wal" thus matches
	// "/data/000001.wal", and "/data/*" matches every entry of /data.
	Path string
	// Nth makes the rule fire only on its Nth matching call (1-based).
	// 0 makes every matching call a candidate, subject to Prob.
	Nth int
	// Prob, with Nth == 0 and Prob > 0, makes each matching call fire with
	// this probability, drawn from the FS's seeded RNG. With Nth == 0 and
	// Prob == 0 every matching call fires.
	Prob float64
	// Times stops the rule after it has fired this many times; 0 is no
	// limit.
	Times int
	// Err is the error the faulted call returns, wrapped; nil means
	// syscall.EIO.
	Err error
	// ShortWrite (OpWrite only) makes the write pass this many bytes of the
	// buffer to the inner file, clamped to [0, len-1] so the write is
	// always short, and then return that count with the error. A negative
	// value draws the count uniformly from [0, len) with the RNG.
	ShortWrite int
	// FlipBits (OpRead only) lets the read happen and report success, then
	// flips this many distinct bits, at RNG-chosen positions, in the bytes
	// it returned: all of them if it returned fewer bits, none if it
	// returned no bytes (the rule has fired all the same). It models
	// corruption the disk did not report.
	FlipBits int
	// ZeroTail (OpRead only) lets the read happen and report success, then
	// sets to zero the bytes it returned from an RNG-chosen one to the
	// end: none if it returned no bytes (the rule has fired all the same).
	// It models a read the disk did not serve in full, unreported: zeros,
	// which a log may take for space it never wrote.
	ZeroTail bool
	// Latency is slept, through Options.Sleep, before the call. A rule
	// with Latency > 0 and Err == nil, ShortWrite == 0, FlipBits == 0 and
	// ZeroTail unset only delays: the call then runs normally.
	Latency time.Duration
}

// validate reports what makes r meaningless, if anything.
func (r *Rule) validate() error {
	switch {
	case r.Op <= 0 || int(r.Op) >= numOps:
		return fmt.Errorf("unknown Op %d", int(r.Op))
	case r.Nth < 0:
		return fmt.Errorf("negative Nth %d", r.Nth)
	case r.Prob < 0:
		return fmt.Errorf("negative Prob %v", r.Prob)
	case r.Times < 0:
		return fmt.Errorf("negative Times %d", r.Times)
	case r.FlipBits < 0:
		return fmt.Errorf("negative FlipBits %d", r.FlipBits)
	case r.Latency < 0:
		return fmt.Errorf("negative Latency %v", r.Latency)
	case r.ShortWrite != 0 && r.Op != OpWrite:
		return fmt.Errorf("ShortWrite on %s: only writes can be short", r.Op)
	case r.FlipBits != 0 && r.Op != OpRead:
		return fmt.Errorf("FlipBits on %s: only reads return bits", r.Op)
	case r.FlipBits != 0 && r.Err != nil:
		return fmt.Errorf("FlipBits with Err %v: a flip reports success", r.Err)
	case r.ZeroTail && r.Op != OpRead:
		return fmt.Errorf("ZeroTail on %s: only reads return bytes", r.Op)
	case r.ZeroTail && (r.Err != nil || r.FlipBits != 0):
		return fmt.Errorf("ZeroTail with Err or FlipBits: a rule does one of them")
	}
	if _, err := path.Match(r.Path, ""); err != nil {
		return fmt.Errorf("Path %q: %v", r.Path, err)
	}
	return nil
}

// appliesTo reports whether a call of op on name, which creates the file
// when creating is set, is one the rule selects.
func (r *Rule) appliesTo(op Op, creating bool, names []string) bool {
	if r.Op != op && !(creating && r.Op == OpCreate) {
		return false
	}
	if r.Path == "" {
		return true
	}
	for _, name := range names {
		p := path.Clean(filepath.ToSlash(name))
		if ok, _ := path.Match(r.Path, path.Base(p)); ok {
			return true
		}
		if ok, _ := path.Match(r.Path, p); ok {
			return true
		}
	}
	return false
}

// err is the error a call faulted by r returns, before wrapping.
func (r *Rule) err() error {
	if r.Err == nil {
		return syscall.EIO
	}
	return r.Err
}

// onlyDelays reports whether r is a pure delay.
func (r *Rule) onlyDelays() bool {
	return r.Err == nil && r.ShortWrite == 0 && r.FlipBits == 0 && !r.ZeroTail && r.Latency > 0
}
