package sim

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// Kind is what an Op does.
type Kind int

// Kinds of operation.
const (
	OpVote     Kind = iota + 1 // SaveVote(Vote)
	OpAppend                   // Append(Entries...)
	OpCommit                   // Commit(ID)
	OpTruncate                 // Truncate(At)
	OpPurge                    // Purge(ID)
	OpUserData                 // SaveUserData(User, or None when NoUser)
	OpState                    // UpdateState(State)
	OpFlush                    // Flush(Sync, callback)
	OpStep                     // run the flush worker once
	OpSync                     // Sync()
	OpRead                     // Read(From, To)
	OpReopen                   // Close, then Open
	OpCrash                    // halt the machine after K more mutating I/Os, then lose power (Mode, Seed)
	OpFault                    // arm an I/O fault
	OpFlip                     // Close, flip a bit at rest in a chunk file, Open
	// OpDamage closes the log cleanly or crashes its process, damages its
	// files at rest (a chunk removed, cut, zeroed in part, or garbage and
	// stale records appended), and opens it: Open must refuse with a
	// corruption error or recover every acknowledged operation.
	OpDamage
)

// Op is one step of a simulation over the default types.
type Op = OpOf[raftlog.LogID, []byte, raftlog.Vote, []byte]

// OpOf is one step of a simulation over the types L (log id), P (payload),
// V (vote) and U (user data): an operation on the log, or something done to
// its machine. Ops are plain values so a failing run can be replayed and
// shrunk. Only the fields of its Kind are used.
type OpOf[L, P, V, U any] struct {
	Kind    Kind
	Vote    V
	Entries []raftlog.Entry[L, P]
	ID      L
	At      uint64
	User    U
	NoUser  bool
	State   raftlog.State[L, V, U]
	Sync    bool
	From    uint64
	To      uint64
	K       int          // OpCrash: mutating I/Os before the halt; OpFault: Nth call
	Mode    fs.CrashMode // OpCrash
	Seed    uint64       // OpCrash: the crash's randomness; OpFlip, OpDamage: which file, where, what
	Fault   Fault        // OpFault
}

// Fault is an armed I/O fault.
type Fault struct {
	Op    faultinject.Op
	Err   syscall.Errno
	Short int // OpWrite: bytes written before the error (0: a plain error)
}

// Kind names the fault's class for counts: "write EIO", "write EIO short",
// "sync EIO" and so on.
func (f Fault) Kind() string {
	s := fmt.Sprintf("%v %s", f.Op, errnoName(f.Err))
	if f.Short > 0 {
		s += " short"
	}
	return s
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EIO:
		return "EIO"
	case syscall.ENOSPC:
		return "ENOSPC"
	}
	return fmt.Sprintf("errno %d", int(e))
}

// String names the value for logs and traces. Values of the caller's types
// print with %v; byte slices print as their length (payloads) or quoted
// (user data).
func (op OpOf[L, P, V, U]) String() string {
	switch op.Kind {
	case OpVote:
		return fmt.Sprintf("Vote%v", op.Vote)
	case OpAppend:
		ids := make([]string, len(op.Entries))
		for i, e := range op.Entries {
			ids[i] = fmt.Sprintf("%v:%s", e.ID, short(e.Payload))
		}
		return "Append[" + strings.Join(ids, " ") + "]"
	case OpCommit:
		return fmt.Sprintf("Commit%v", op.ID)
	case OpTruncate:
		return fmt.Sprintf("Truncate(%d)", op.At)
	case OpPurge:
		return fmt.Sprintf("Purge%v", op.ID)
	case OpUserData:
		if op.NoUser {
			return "UserData(None)"
		}
		return fmt.Sprintf("UserData(%s)", quoted(op.User))
	case OpState:
		return fmt.Sprintf("UpdateState(%v)", op.State)
	case OpFlush:
		return fmt.Sprintf("Flush(sync=%v)", op.Sync)
	case OpStep:
		return "Step"
	case OpSync:
		return "Sync"
	case OpRead:
		return fmt.Sprintf("Read(%d, %d)", op.From, op.To)
	case OpReopen:
		return "Reopen"
	case OpCrash:
		return fmt.Sprintf("Crash(after %d I/Os, %v, seed %d)", op.K, op.Mode, op.Seed)
	case OpFault:
		s := fmt.Sprintf("Fault(%v #%d %v)", op.Fault.Op, op.K, op.Fault.Err)
		if op.Fault.Short > 0 {
			s = fmt.Sprintf("Fault(%v #%d short %d bytes then %v)", op.Fault.Op, op.K, op.Fault.Short, op.Fault.Err)
		}
		return s
	case OpFlip:
		return fmt.Sprintf("Flip(seed %d)", op.Seed)
	case OpDamage:
		return fmt.Sprintf("Damage(seed %d)", op.Seed)
	}
	return fmt.Sprintf("Op(%d)", op.Kind)
}

// short prints a payload briefly: a byte slice or string as its length, any
// other value with %+v, cut at 40 characters.
func short(v any) string {
	switch v := v.(type) {
	case []byte:
		return fmt.Sprintf("%dB", len(v))
	case string:
		return fmt.Sprintf("%dB", len(v))
	}
	s := fmt.Sprintf("%+v", v)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// quoted prints user data: a byte slice or string quoted, any other value
// with %+v.
func quoted(v any) string {
	switch v := v.(type) {
	case []byte, string:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%+v", v)
}
