package faultinject

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raftlog/raftlog/fs"
)

// Options configure an FS.
type Options struct {
	// Seed seeds the RNG behind Prob, random ShortWrite counts, FlipBits
	// positions and where a ZeroTail starts. The same seed, rules and sequence
	// of calls give the same faults.
	Seed uint64
	// Sleep spends a rule's Latency; nil means time.Sleep. A simulator
	// passes its fake clock's sleep. It is called without any lock held, so
	// it may block until another goroutine advances the clock.
	Sleep func(time.Duration)
}

// FS is an fs.FS that forwards every call to an inner fs.FS, failing,
// shortening, corrupting or delaying the calls its rules select. Its files are
// fs.Files that do the same. It is safe for concurrent use.
//
// For each call, under one mutex: the call is counted (see Calls), then the
// rules are walked in the order they were added. Every rule that applies to the
// call (same Op, matching Path) counts it; each of those with Nth == 0 and
// Prob > 0 draws one number from the RNG, whether or not an earlier rule has already
// fired and whether or not its Times are used up, so that the draws depend only
// on the calls and the rules. The first applicable rule that fires (Nth
// reached, or draw below Prob, or neither set) and has Times left is applied;
// the others are not. A rule that needs more randomness draws it next: a
// negative ShortWrite draws its count, and FlipBits its positions and ZeroTail
// its start when the read returns. A single goroutine therefore sees the same
// faults for the same seed, rules and calls; with concurrent callers only the
// interleaving decides who gets which.
//
// A faulted call does not reach the inner FS, except a short write (which
// writes its prefix), a bit flip and a zero tail (which read). Delays are slept
// before the call and before any fault it suffers.
type FS struct {
	inner fs.FS
	sleep func(time.Duration)

	// mu guards everything below, RNG included, so that draws happen in
	// the order calls are decided.
	mu       sync.Mutex
	rng      *rand.Rand
	rules    []*ruleState
	nextRule int         // index the next added rule gets
	calls    [numOps]int // calls made, by Op
	log      []Fault     // every fault injected, in Seq order
}

// ruleState is a rule with its counters.
type ruleState struct {
	Rule
	index int // position among every rule ever added
	seen  int // calls the rule applied to
	fired int // faults it injected
}

// New wraps inner. It panics if a rule is invalid (see Rule).
func New(inner fs.FS, opts Options, rules ...Rule) *FS {
	f := &FS{
		inner: inner,
		sleep: opts.Sleep,
		rng:   rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
	}
	if f.sleep == nil {
		f.sleep = time.Sleep
	}
	f.Add(rules...)
	return f
}

// Add appends rules, which take part from the next call on, after every rule
// already there. It panics if a rule is invalid (see Rule), adding none.
func (f *FS) Add(rules ...Rule) {
	for i := range rules {
		if err := rules[i].validate(); err != nil {
			panic(fmt.Sprintf("faultinject: rule %d: %v", i, err))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rules {
		f.rules = append(f.rules, &ruleState{Rule: r, index: f.nextRule})
		f.nextRule++
	}
}

// Clear removes every rule, so that later calls pass through untouched (a test
// that has injected its fault can then check recovery). The log, the call
// counts and the RNG state stay.
func (f *FS) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
}

// Injected returns a copy of the log of every fault injected so far, in Seq
// order.
func (f *FS) Injected() []Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// Calls returns how many calls of op have been made through this FS, on every
// path, whether they were faulted, failed in the inner FS or succeeded. A
// creating open counts as an OpOpen and an OpCreate call.
func (f *FS) Calls(op Op) int {
	if op <= 0 || int(op) >= numOps {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// action is what one call must suffer, as decided by decide.
type action struct {
	delay time.Duration
	err   error // non-nil: return this (after the short write, if any)
	short int   // bytes a short write passes on; -1: not a short write
	flip  int   // bits to flip after the read; 0: none
	zero  bool  // zero a tail of what the read returned
	fault Fault // for a flip or a zero tail: the entry to complete and log after the read
}

// decide counts a call of op on names[0] (names[1] is Rename's new name) and
// picks what it suffers. size is the length of a write's buffer.
func (f *FS) decide(op Op, creating bool, size int, names ...string) action {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if creating {
		f.calls[OpCreate]++
	}
	var hit *ruleState
	for _, r := range f.rules {
		if !r.appliesTo(op, creating, names) {
			continue
		}
		r.seen++
		var fires bool
		switch {
		case r.Nth > 0:
			fires = r.seen == r.Nth
		case r.Prob > 0:
			fires = f.rng.Float64() < r.Prob
		default:
			fires = true
		}
		if fires && hit == nil && (r.Times == 0 || r.fired < r.Times) {
			hit = r
		}
	}
	a := action{short: -1}
	if hit == nil {
		return a
	}
	hit.fired++
	a.delay = hit.Latency
	fault := Fault{Op: hit.Op, Path: names[0], Call: f.calls[hit.Op], Rule: hit.index}
	var what string
	switch {
	case hit.FlipBits > 0:
		a.flip = hit.FlipBits
		a.fault = fault
		return a // logged by flip, once the read has returned
	case hit.ZeroTail:
		a.zero = true
		a.fault = fault
		return a // logged by zeroTail, once the read has returned
	case hit.onlyDelays():
		f.record(fault, "delay "+hit.Latency.String(), 0)
		return a
	case hit.ShortWrite != 0:
		a.short = max(0, min(hit.ShortWrite, size-1))
		if hit.ShortWrite < 0 && size > 0 {
			a.short = f.rng.IntN(size)
		}
		what = fmt.Sprintf("short write %d/%d bytes", a.short, size)
	default:
		what = "error"
	}
	fault.Err = hit.err()
	fault = f.record(fault, what, hit.Latency)
	e := &Error{Fault: fault, Err: fault.Err}
	if op == OpRename {
		a.err = &os.LinkError{Op: fault.Op.String(), Old: names[0], New: names[1], Err: e}
	} else {
		a.err = &os.PathError{Op: fault.Op.String(), Path: names[0], Err: e}
	}
	return a
}

// record completes fault with its sequence number and description, appends
// it to the log and returns it. Called with f.mu held.
func (f *FS) record(fault Fault, what string, delay time.Duration) Fault {
	if delay > 0 && !strings.HasPrefix(what, "delay ") {
		what = "delay " + delay.String() + " then " + what
	}
	fault.What = what
	fault.Seq = len(f.log) + 1
	f.log = append(f.log, fault)
	return fault
}

// flip flips a.flip distinct random bits of b, the bytes a read returned, and
// logs the fault. base is the file offset of b[0], or -1 when unknown (Read).
func (f *FS) flip(a action, b []byte, base int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	total := len(b) * 8
	k := min(a.flip, total)
	// Floyd's sampling: k distinct positions in k draws, without a
	// len(b)*8 table.
	chosen := make(map[int]bool, k)
	for j := total - k; j < total; j++ {
		t := f.rng.IntN(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
	}
	var bytes []int64
	for bit := range chosen {
		b[bit/8] ^= 1 << (bit % 8)
		bytes = append(bytes, int64(bit/8))
	}
	slices.Sort(bytes)
	bytes = slices.Compact(bytes)
	what := fmt.Sprintf("flipped %d bit(s)", k)
	if len(bytes) > 0 {
		offs := make([]string, len(bytes))
		for i, o := range bytes {
			if base >= 0 {
				o += base
			}
			offs[i] = fmt.Sprint(o)
		}
		what += " at byte " + strings.Join(offs, ", ")
		if base < 0 {
			what += " of the read"
		}
	}
	f.record(a.fault, what, a.delay)
}

// zeroTail sets to zero the bytes of b, which a read returned, from an
// RNG-chosen one to the end, and logs the fault. base is the file offset of
// b[0], or -1 when unknown (Read).
func (f *FS) zeroTail(a action, b []byte, base int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	what := "zeroed nothing: the read returned no bytes"
	if len(b) > 0 {
		from := f.rng.IntN(len(b))
		clear(b[from:])
		what = fmt.Sprintf("zeroed %d byte(s) from byte %d", len(b)-from, int64(from)+max(base, 0))
		if base < 0 {
			what += " of the read"
		}
	}
	f.record(a.fault, what, a.delay)
}

// wait spends a's delay.
func (f *FS) wait(a action) {
	if a.delay > 0 {
		f.sleep(a.delay)
	}
}

// OpenFile implements fs.FS. With os.O_CREATE it first asks the inner FS's
// Stat whether the file exists, to tell an OpCreate call; the answer may be
// stale by the time the inner OpenFile runs if another goroutine races it.
func (f *FS) OpenFile(name string, flag int, perm os.FileMode) (fs.File, error) {
	creating := false
	if flag&os.O_CREATE != 0 {
		_, err := f.inner.Stat(name)
		creating = errors.Is(err, fs.ErrNotExist)
	}
	a := f.decide(OpOpen, creating, 0, name)
	f.wait(a)
	if a.err != nil {
		return nil, a.err
	}
	inner, err := f.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &file{fs: f, inner: inner, name: name}, nil
}

// Stat implements fs.FS; it is never faulted.
func (f *FS) Stat(name string) (os.FileInfo, error) { return f.inner.Stat(name) }

// Remove implements fs.FS.
func (f *FS) Remove(name string) error {
	a := f.decide(OpRemove, false, 0, name)
	f.wait(a)
	if a.err != nil {
		return a.err
	}
	return f.inner.Remove(name)
}

// Rename implements fs.FS. A rule's Path may match either name; a fault is
// logged under the old one and returned as an *os.LinkError, like the inner
// FS's own rename errors.
func (f *FS) Rename(oldname, newname string) error {
	a := f.decide(OpRename, false, 0, oldname, newname)
	f.wait(a)
	if a.err != nil {
		return a.err
	}
	return f.inner.Rename(oldname, newname)
}

// ReadDir implements fs.FS.
func (f *FS) ReadDir(dir string) ([]string, error) {
	a := f.decide(OpReadDir, false, 0, dir)
	f.wait(a)
	if a.err != nil {
		return nil, a.err
	}
	return f.inner.ReadDir(dir)
}

// MkdirAll implements fs.FS.
func (f *FS) MkdirAll(dir string, perm os.FileMode) error {
	a := f.decide(OpMkdir, false, 0, dir)
	f.wait(a)
	if a.err != nil {
		return a.err
	}
	return f.inner.MkdirAll(dir, perm)
}

// SyncDir implements fs.FS.
func (f *FS) SyncDir(dir string) error {
	a := f.decide(OpSyncDir, false, 0, dir)
	f.wait(a)
	if a.err != nil {
		return a.err
	}
	return f.inner.SyncDir(dir)
}

// Lock implements fs.FS. The returned Closer is the inner FS's: releasing a
// lock is never faulted.
func (f *FS) Lock(dir string) (io.Closer, error) {
	a := f.decide(OpLock, false, 0, dir)
	f.wait(a)
	if a.err != nil {
		return nil, a.err
	}
	return f.inner.Lock(dir)
}
