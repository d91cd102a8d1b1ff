package crashtest

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

// Machine is one simulated machine: an in-memory disk behind a fault
// injector, with its seed's randomness. It is made by Run (or Check) for one
// seed and must be used by one goroutine at a time.
type Machine struct {
	seed    uint64
	rng     *rand.Rand
	crashes int
	mem     *fs.Mem
	fi      *faultinject.FS
	open    []io.Closer // logs opened through OpenLog on the current disk
	salts   uint64      // chunk-salt streams handed out by LogConfig
	byMode  map[fs.CrashMode]int
	trace   []string
}

// maxTrace bounds the trace kept for a failure report: its last lines.
const maxTrace = 400

func newMachine(seed uint64) *Machine {
	m := &Machine{seed: seed, rng: rand.New(rand.NewPCG(seed, 0xc7a5)), mem: fs.NewMem(), byMode: map[fs.CrashMode]int{}}
	m.fi = faultinject.New(m.mem, faultinject.Options{Seed: seed})
	return m
}

// Seed is the number the machine was made for.
func (m *Machine) Seed() uint64 { return m.seed }

// Rand is the randomness of the machine's seed, for the code under test and its workload.
// Crash points and crash modes that the Machine draws come from a stream of
// their own, so drawing from Rand does not change them.
func (m *Machine) Rand() *rand.Rand { return m.rng }

// FS is the machine's disk as the running process sees it: the current
// disk through the fault injector. After a Crash it is a new disk: call FS
// again (OpenLog and LogConfig do).
func (m *Machine) FS() fs.FS { return m.fi }

// Disk is the current disk without the fault injector, to inspect files
// (or damage them, with fs.Mem.Corrupt) between runs of the code.
func (m *Machine) Disk() *fs.Mem { return m.mem }

// LogConfig returns cfg set up for this machine: FS the machine's disk, Rand
// a source of chunk salts drawn from its seed (each call its own stream), and
// ManualFlush on, so that the log does I/O only inside the calls the code
// makes (Sync, Step, WaitIdle, Close, Open) and a seed replays exactly.
func (m *Machine) LogConfig(cfg raftlog.Config) raftlog.Config {
	m.salts++
	cfg.FS = m.fi
	cfg.Rand = rand.NewChaCha8(saltKey(m.seed, m.salts))
	cfg.ManualFlush = true
	return cfg
}

func saltKey(seed, stream uint64) [32]byte {
	var k [32]byte
	for i := range 8 {
		k[i] = byte(seed >> (8 * i))
		k[8+i] = byte(stream >> (8 * i))
	}
	return k
}

// IOs is the number of mutating I/Os the current disk has done (see
// CrashAfter).
func (m *Machine) IOs() uint64 { return m.mem.Ops() }

// CrashAfter halts the machine after k more mutating I/Os: those k succeed,
// and every later one fails with an error matching fs.ErrHalted, as a
// machine that lost power would no longer write anything. The code sees its
// log poisoned; the test then calls Crash (or PowerLoss) to see what
// survived. CrashAfter(0) halts at once.
func (m *Machine) CrashAfter(k uint64) {
	m.logf("crash armed after %d more I/Os (at I/O %d)", k, m.mem.Ops()+k)
	m.mem.HaltAfter(k)
}

// CrashSoon arms CrashAfter(k) with k drawn from its seed in [0, n) and
// returns k. n must be positive.
func (m *Machine) CrashSoon(n uint64) uint64 {
	k := m.machineRand().Uint64N(n)
	m.CrashAfter(k)
	return k
}

// Halted reports whether the machine has halted (CrashAfter's point was
// reached): every mutating I/O now fails.
func (m *Machine) Halted() bool { return m.mem.Halted() }

// Crash ends the machine's current life in the given mode and boots it
// again with the disk that survived (see fs.CrashMode): everything synced is
// there; what was not survives in part as the mode says. The old disk halts
// first, so nothing more reaches it, and every log opened on it through
// OpenLog is closed (its errors belong to the dead process) so that its
// goroutines end. Faults added with Fault are gone with the old disk.
func (m *Machine) Crash(mode fs.CrashMode) {
	m.crashes++
	m.byMode[mode]++
	m.logf("crash %d: %v at I/O %d (halted %v)", m.crashes, mode, m.mem.Ops(), m.mem.Halted())
	old := m.mem
	old.HaltAfter(0)
	for _, c := range m.open {
		c.Close() // the dead process's log: it can write nothing now
	}
	m.open = nil
	m.mem = old.Crash(m.machineRand(), mode)
	m.fi = faultinject.New(m.mem, faultinject.Options{Seed: m.seed ^ uint64(m.crashes)})
}

// PowerLoss crashes the machine in a power-loss mode drawn from its seed
// (fs.CrashOrdered or fs.CrashReordered, the latter twice as often: it is
// the harsher) and returns the mode.
func (m *Machine) PowerLoss() fs.CrashMode {
	mode := []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered, fs.CrashReordered}[m.machineRand().IntN(3)]
	m.Crash(mode)
	return mode
}

// RandomCrash crashes the machine in any mode drawn from its seed (a power
// loss three times in four, a process crash otherwise) and returns it.
func (m *Machine) RandomCrash() fs.CrashMode {
	mode := []fs.CrashMode{fs.CrashOrdered, fs.CrashReordered, fs.CrashReordered, fs.CrashProcess}[m.machineRand().IntN(4)]
	m.Crash(mode)
	return mode
}

// machineRand is the stream the Machine's own draws come from: its seed and
// the number of crashes so far decide it, not what the code drew from Rand.
func (m *Machine) machineRand() *rand.Rand {
	return rand.New(rand.NewPCG(m.seed, uint64(m.crashes)<<32|m.mem.Ops()))
}

// Fault adds fault-injection rules on the current disk (see
// faultinject.Rule): for example, an EIO on the 3rd fsync is
// faultinject.Rule{Op: faultinject.OpSync, Nth: 3, Times: 1}. Every injected
// error matches faultinject.ErrInjected. A Crash removes them.
func (m *Machine) Fault(rules ...faultinject.Rule) {
	for _, r := range rules {
		m.logf("fault armed: %+v", r)
	}
	m.fi.Add(rules...)
}

// ClearFaults removes the faults added on the current disk.
func (m *Machine) ClearFaults() { m.fi.Clear() }

// Injected lists the faults injected on the current disk so far.
func (m *Machine) Injected() []faultinject.Fault { return m.fi.Injected() }

// Crashes counts the crashes so far, by mode.
func (m *Machine) Crashes() map[fs.CrashMode]int {
	c := make(map[fs.CrashMode]int, len(m.byMode))
	for k, v := range m.byMode {
		c[k] = v
	}
	return c
}

// Logf adds a line to the machine's trace, which Check prints (its last
// lines) when a seed fails and compares between two runs of a seed.
func (m *Machine) Logf(format string, args ...any) { m.logf(format, args...) }

func (m *Machine) logf(format string, args ...any) {
	m.trace = append(m.trace, fmt.Sprintf(format, args...))
	if len(m.trace) > 2*maxTrace {
		m.trace = append(m.trace[:0], m.trace[len(m.trace)-maxTrace:]...)
	}
}
