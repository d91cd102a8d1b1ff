package faultinject

import (
	"errors"
	"fmt"
)

// Fault is one injected fault, as recorded in the log that FS.Injected
// returns, so that a failing test can say exactly what was done to it.
type Fault struct {
	// Seq is the 1-based position of the fault in the log. Faults are
	// logged when they are decided, except a bit flip, which is logged
	// when its read returns (its positions depend on what was read).
	Seq int
	// Op is the Op of the rule that fired: OpCreate for a creating open
	// failed by an OpCreate rule, OpOpen for one failed by an OpOpen rule.
	Op Op
	// Path is the name the call was made with: the file's name as passed
	// to OpenFile for file operations, the old name for Rename.
	Path string
	// Call is how many calls of Op (on every path) had been made through
	// the FS, this one included, when the fault was decided.
	Call int
	// Rule is the 0-based index of the rule that fired, counting every rule
	// ever passed to New or Add, so it stays unambiguous across Clear.
	Rule int
	// What says what was done: "error", "short write 12/40 bytes",
	// "flipped 1 bit(s) at byte 17" or "delay 5ms", the last prefixed to
	// the others ("delay 5ms then error") when a rule both delays and
	// faults. Flipped bytes are file offsets for ReadAt and offsets into
	// the buffer (marked "of the read") for Read.
	What string
	// Err is the underlying error the call returned (Rule.Err, or
	// syscall.EIO), without the wrapping; nil for a flip or a pure delay,
	// which report success.
	Err error
}

// String formats the fault on one line for a test failure message, e.g.
// "#3 write /d/r-000.wal call 7: short write 12/40 bytes: input/output error".
func (f Fault) String() string {
	s := fmt.Sprintf("#%d %s %s call %d: %s", f.Seq, f.Op, f.Path, f.Call, f.What)
	if f.Err != nil {
		s += ": " + f.Err.Error()
	}
	return s
}

// ErrInjected is matched, through errors.Is, by every error that an injected
// fault returns, so a test can tell an injected failure from a real one.
var ErrInjected = errors.New("faultinject: injected fault")

// Error is the error an injected fault returns, wrapped in an *os.PathError
// (*os.LinkError for Rename) like the inner FS's own errors. Both
// errors.Is(err, ErrInjected) and errors.Is(err, Err) hold for it, so code
// under test that checks for syscall.EIO or syscall.ENOSPC sees the fault as
// that error.
type Error struct {
	// Fault is the log entry of this fault.
	Fault Fault
	// Err is the underlying error (Rule.Err, or syscall.EIO).
	Err error
}

// Error names the fault by its log sequence number, so the message can be
// found in FS.Injected.
func (e *Error) Error() string {
	return fmt.Sprintf("faultinject: injected fault #%d (%s): %v", e.Fault.Seq, e.Fault.What, e.Err)
}

// Unwrap returns ErrInjected and the underlying error, for errors.Is and
// errors.As.
func (e *Error) Unwrap() []error { return []error{ErrInjected, e.Err} }
