//go:build failpoint

package sim

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/raftlog/raftlog/crashtest"
	"github.com/raftlog/raftlog/internal/failpoint"
	"github.com/raftlog/raftlog/raftlog"
)

// The crash campaign on the real file system. A child process (this test
// binary, run as TestOSCrashChild) drives a seeded workload on a real
// directory and reports on stdout every operation it finished ("OK k") and
// every sync acknowledged ("ACK k": operations 0..k are durable). It dies by
// a failpoint's panic at a marked moment, or by SIGKILL from the parent. The
// parent regenerates the same workload, reopens the directory and checks the
// simulator's invariants against what the child reported before dying.
//
// Run by .ci/failpoint-test: go test -tags failpoint ./sim -run TestOSCrash

// osFailpoints is every failpoint (crashtest.Failpoints, the documented
// list).
var osFailpoints = crashtest.Failpoints()

// dts and dmodel are the default types' typeset and model.
var dts = Default.ts

type dmodel = model[raftlog.LogID, []byte, raftlog.Vote, []byte]

const (
	osOps       = 400
	envDir      = "RAFTLOG_OSCRASH_DIR"
	envSeed     = "RAFTLOG_OSCRASH_SEED"
	osChunkRecs = 12
)

func TestOSCrashFailpoints(t *testing.T) {
	seed := uint64(1)
	for _, fp := range osFailpoints {
		for _, hit := range []int{1, 3, 10} {
			t.Run(fmt.Sprintf("%s/hit%d", strings.TrimPrefix(fp, failpoint.Prefix+"wal/"), hit), func(t *testing.T) {
				term := "panic"
				if hit > 1 {
					term = fmt.Sprintf("%d*off->panic", hit-1)
				}
				seed++
				runOSCrash(t, seed, fp+"="+term, -1)
			})
		}
	}
}

func TestOSCrashKill(t *testing.T) {
	for seed := uint64(100); seed < 108; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 9))
			runOSCrash(t, seed, "", 20+rng.IntN(osOps))
		})
	}
}

// runOSCrash runs the child with the failpoints given, or kills it after
// killAfter lines of output, then checks the directory it left.
func runOSCrash(t *testing.T, seed uint64, failpoints string, killAfter int) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOSCrashChild$")
	cmd.Env = append(os.Environ(), envDir+"="+dir, envSeed+"="+strconv.FormatUint(seed, 10), "GO_FAILPOINTS="+failpoints)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done, acked, lines := -1, -1, 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			n, _ := strconv.Atoi(f[1])
			switch f[0] {
			case "OK":
				done = n
			case "ACK":
				acked = max(acked, n)
			}
		}
		lines++
		if killAfter >= 0 && lines == killAfter {
			cmd.Process.Kill()
		}
	}
	werr := cmd.Wait()
	t.Logf("child: %d ops done, acknowledged through %d, exit %v", done+1, acked, werr)
	if werr == nil && killAfter < 0 {
		t.Logf("the failpoint did not fire (%s)", failpoints)
	}
	if werr != nil && killAfter < 0 && !strings.Contains(stderr.String(), "failpoint panic") {
		t.Fatalf("the child failed without the failpoint's panic: %v\n%s", werr, stderr.String())
	}

	// The models after each operation the child may have applied: those
	// it finished and the one in progress when it died.
	hist, ackAt := osModels(seed, done+1)
	lower := 0
	if acked >= 0 {
		lower = ackAt[acked]
	}
	l, err := raftlog.Open(dir, raftlog.Config{ChunkMaxRecords: osChunkRecs})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer l.Close()
	st, first, ents, err := snapshot(dts, l)
	if err != nil {
		t.Fatalf("reading the recovered log: %v", err)
	}
	key := dts.stateKey(st)
	j := -1
	for k := len(hist) - 1; k >= lower; k-- {
		if hist[k].equal(key, first, ents) {
			j = k
			break
		}
	}
	if j < 0 {
		t.Fatalf("recovered %v with %s: not the model after any of steps %d..%d", st, entriesString(ents), lower, len(hist)-1)
	}
	// Alive: it takes a write, syncs it and reads it back.
	id := raftlog.LogID{Term: 1000, Index: dts.next(st.Last)}
	if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: id, Payload: []byte("alive")}); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
	if err := l.Sync(); err != nil {
		t.Fatalf("sync after recovery: %v", err)
	}
	for e, err := range l.Read(id.Index, id.Index+1) {
		if err != nil || string(e.Payload) != "alive" {
			t.Fatalf("read after recovery: %v %q", err, e.Payload)
		}
	}
}

// osWorkload generates the child's operations: the simulator's workload
// without what a real disk cannot do on request (crashes, faults, flips).
func osWorkload(seed uint64, each func(k int, op Op, m *dmodel) bool) {
	g := newGenerator(dts, seed)
	m := newModel(dts)
	for k := 0; k < osOps; {
		op := g.next(m, false)
		switch op.Kind {
		case OpCrash, OpFault, OpFlip, OpReopen:
			continue
		case OpStep:
			op = Op{Kind: OpFlush}
		}
		if !each(k, op, m) {
			return
		}
		k++
	}
}

// applyModel applies op to m, returning the intermediate models (one per
// entry of an append).
func applyModel(m *dmodel, op Op) []*dmodel {
	var steps []*dmodel
	c := m.clone()
	var o outcome
	switch op.Kind {
	case OpVote:
		o = c.vote(op.Vote)
	case OpAppend:
		es := dts.entries(op.Entries)
		if o = c.clone().appendEntries(es, 0); o.err == nil {
			for _, e := range es {
				c.appendEntries([]ment[raftlog.LogID, []byte]{e}, 0)
				steps = append(steps, c.clone())
			}
			*m = *c
			return steps
		}
	case OpCommit:
		o = c.commit(op.ID)
	case OpTruncate:
		o = c.truncate(op.At)
	case OpPurge:
		o = c.purge(op.ID)
	case OpUserData:
		u := raftlog.Some(op.User)
		if op.NoUser {
			u = raftlog.None[[]byte]()
		}
		o = c.userData(u, 0)
	case OpState:
		o = c.updateState(op.State, 0)
	default:
		return nil
	}
	if o.err != nil || o.noop {
		return nil
	}
	*m = *c
	return []*dmodel{c.clone()}
}

// osModels replays the first n operations on the model: hist[k] is the model
// after the k-th accepted step, ackAt[i] the step reached after operation i.
func osModels(seed uint64, n int) (hist []*dmodel, ackAt []int) {
	hist = []*dmodel{newModel(dts)}
	osWorkload(seed, func(k int, op Op, m *dmodel) bool {
		if k > n {
			return false
		}
		hist = append(hist, applyModel(m, op)...)
		ackAt = append(ackAt, len(hist)-1)
		return true
	})
	return hist, ackAt
}

// TestOSCrashChild is the child process; it does nothing unless run by
// runOSCrash.
func TestOSCrashChild(t *testing.T) {
	dir := os.Getenv(envDir)
	if dir == "" {
		t.Skip("only run as the child of TestOSCrash*")
	}
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	l, err := raftlog.Open(dir, raftlog.Config{ChunkMaxRecords: osChunkRecs})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
		mu.Unlock()
	}
	osWorkload(seed, func(k int, op Op, m *dmodel) bool {
		applyModel(m, op)
		var err error
		switch op.Kind {
		case OpVote:
			_, err = l.SaveVote(op.Vote)
		case OpAppend:
			_, err = l.Append(op.Entries...)
		case OpCommit:
			_, err = l.Commit(op.ID)
		case OpTruncate:
			_, err = l.Truncate(op.At)
		case OpPurge:
			_, err = l.Purge(op.ID)
		case OpUserData:
			u := raftlog.Some(op.User)
			if op.NoUser {
				u = raftlog.None[[]byte]()
			}
			_, err = l.SaveUserData(u)
		case OpState:
			_, err = l.UpdateState(op.State)
		case OpFlush:
			k := k
			sync := op.Sync
			err = l.Flush(sync, func(err error) {
				if err == nil && sync {
					say("ACK %d", k)
				}
			})
		case OpSync:
			if err = l.Sync(); err == nil {
				say("ACK %d", k)
			}
		case OpRead:
			for _, e2 := range l.Read(op.From, op.To) {
				if e2 != nil {
					break
				}
			}
		}
		if err != nil && (errors.Is(err, raftlog.ErrPoisoned) || op.Kind == OpSync || op.Kind == OpFlush) {
			say("POISONED %v", err)
			os.Exit(3)
		}
		say("OK %d", k)
		return true
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
