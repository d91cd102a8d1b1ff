package faultinject_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	fi "github.com/raftlog/raftlog/faultinject"
	"github.com/raftlog/raftlog/fs"
)

// open opens name for reading and writing, creating it.
func open(t *testing.T, fsys fs.FS, name string) fs.File {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func content(t *testing.T, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func mustWrite(t *testing.T, fsys fs.FS, name string, data []byte) {
	t.Helper()
	if err := fs.WriteFile(fsys, name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkInjected fails unless err is an injected fault carrying want.
func checkInjected(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, fi.ErrInjected) || !errors.Is(err, want) {
		t.Fatalf("err = %v, want an injected %v", err, want)
	}
}

func logString(faults []fi.Fault) string {
	var b strings.Builder
	for _, f := range faults {
		fmt.Fprintf(&b, "\n\t%v", f)
	}
	return b.String()
}

func TestNthFiresOnce(t *testing.T) {
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpWrite, Nth: 3})
	f := open(t, ffs, "/a.wal")
	var want []byte
	for i := 1; i <= 6; i++ {
		chunk := []byte(fmt.Sprintf("w%d;", i))
		n, err := f.Write(chunk)
		if i == 3 {
			checkInjected(t, err, syscall.EIO)
			if n != 0 {
				t.Fatalf("failed write %d returned n = %d, want 0", i, n)
			}
			continue
		}
		if err != nil || n != len(chunk) {
			t.Fatalf("write %d = %d, %v; want %d, nil", i, n, err, len(chunk))
		}
		want = append(want, chunk...)
	}
	if got := content(t, mem, "/a.wal"); !bytes.Equal(got, want) {
		t.Fatalf("content = %q, want %q", got, want)
	}
	if log := ffs.Injected(); len(log) != 1 || log[0].Call != 3 {
		t.Fatalf("log = %s; want one fault at call 3", logString(log))
	}
}

// run makes the same sequence of writes and reads through a fresh FS with the
// given seed and returns its log.
func run(t *testing.T, seed uint64) []fi.Fault {
	ffs := fi.New(fs.NewMem(), fi.Options{Seed: seed},
		fi.Rule{Op: fi.OpWrite, Prob: 0.2, ShortWrite: -1},
		fi.Rule{Op: fi.OpWrite, Prob: 0.1},
		fi.Rule{Op: fi.OpRead, Prob: 0.2, FlipBits: 2},
	)
	f := open(t, ffs, "/a")
	buf := make([]byte, 16)
	for i := range 200 {
		f.Write([]byte("0123456789abcdef"))
		f.ReadAt(buf, int64(i%4))
	}
	return ffs.Injected()
}

func TestProbDeterministic(t *testing.T) {
	a, b := run(t, 42), run(t, 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("seed 42 gave two different logs:%s\nand%s", logString(a), logString(b))
	}
	if len(a) < 40 || len(a) > 160 {
		t.Fatalf("seed 42: %d faults in 400 calls with Prob 0.2-0.3; want about 100", len(a))
	}
	for seed := uint64(1); seed <= 5; seed++ {
		if !reflect.DeepEqual(a, run(t, seed)) {
			return
		}
	}
	t.Fatal("seeds 1-5 all gave the same log as seed 42")
}

func TestTimes(t *testing.T) {
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpSync, Times: 2})
	f := open(t, ffs, "/a")
	for i := 1; i <= 5; i++ {
		err := f.Sync()
		if failed := err != nil; failed != (i <= 2) {
			t.Fatalf("sync %d: err = %v; want a fault only on syncs 1 and 2", i, err)
		}
	}
	if n := len(ffs.Injected()); n != 2 {
		t.Fatalf("%d faults logged, want 2", n)
	}
}

func TestPathPatterns(t *testing.T) {
	cases := []struct {
		pattern, name string
		match         bool
	}{
		{"*.wal", "/d/000001.wal", true},
		{"*.wal", "/d/000001.tmp", false},
		{"000001.wal", "/d/000001.wal", true},
		{"000001.wal", "/d/000002.wal", false},
		{"/d/*", "/d/000001.tmp", true},
		{"/d/*", "/e/000001.tmp", false},
		{"/d/000001.wal", "/d/000001.wal", true},
		{"/d/000001.wal", "/d//./000001.wal", true}, // paths are cleaned
		{"d/*.wal", "d/x.wal", true},
		{"", "/e/anything", true},
		{"[0-9]*", "/d/7.log", true},
		{"[0-9]*", "/d/x7.log", false},
	}
	for _, c := range cases {
		t.Run(c.pattern+"~"+c.name, func(t *testing.T) {
			mem := fs.NewMem()
			for _, d := range []string{"/d", "/e", "d"} {
				if err := mem.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			mustWrite(t, mem, c.name, []byte("x"))
			ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpRemove, Path: c.pattern})
			err := ffs.Remove(c.name)
			_, serr := mem.Stat(c.name)
			if c.match {
				checkInjected(t, err, syscall.EIO)
				if serr != nil {
					t.Fatalf("a failed Remove removed %s", c.name)
				}
			} else if err != nil || serr == nil {
				t.Fatalf("pattern %q touched %s: Remove = %v, file left: %v", c.pattern, c.name, err, serr == nil)
			}
		})
	}
}

func TestRenameMatchesEitherName(t *testing.T) {
	mem := fs.NewMem()
	mustWrite(t, mem, "/CURRENT.tmp", []byte("x"))
	ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpRename, Path: "CURRENT"})
	err := ffs.Rename("/CURRENT.tmp", "/CURRENT")
	checkInjected(t, err, syscall.EIO)
	var le *os.LinkError
	if !errors.As(err, &le) || le.Old != "/CURRENT.tmp" || le.New != "/CURRENT" {
		t.Fatalf("err = %#v, want an *os.LinkError naming both files", err)
	}
	if _, err := mem.Stat("/CURRENT.tmp"); err != nil {
		t.Fatal("a failed Rename moved the file")
	}
}

func TestShortWrite(t *testing.T) {
	cases := []struct {
		short, size, want int
	}{
		{5, 10, 5},
		{9, 10, 9},
		{10, 10, 9}, // clamped: a short write is short
		{100, 10, 9},
		{1, 1, 0},
		{3, 0, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d_of_%d", c.short, c.size), func(t *testing.T) {
			mem := fs.NewMem()
			ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpWrite, Nth: 2, ShortWrite: c.short})
			f := open(t, ffs, "/a")
			if _, err := f.Write([]byte("head;")); err != nil {
				t.Fatal(err)
			}
			buf := []byte("0123456789")[:c.size]
			n, err := f.Write(buf)
			checkInjected(t, err, syscall.EIO)
			if n != c.want {
				t.Fatalf("n = %d, want %d", n, c.want)
			}
			if got, want := string(content(t, mem, "/a")), "head;"+string(buf[:c.want]); got != want {
				t.Fatalf("content = %q, want %q", got, want)
			}
			wantWhat := fmt.Sprintf("short write %d/%d bytes", c.want, c.size)
			if log := ffs.Injected(); len(log) != 1 || log[0].What != wantWhat {
				t.Fatalf("log = %s; want one %q", logString(log), wantWhat)
			}
		})
	}
}

func TestRandomShortWrite(t *testing.T) {
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{Seed: 7}, fi.Rule{Op: fi.OpWrite, ShortWrite: -1})
	f := open(t, ffs, "/a")
	var want []byte
	counts := map[int]bool{}
	for i := range 50 {
		buf := bytes.Repeat([]byte{byte('a' + i%26)}, 40)
		n, err := f.Write(buf)
		checkInjected(t, err, syscall.EIO)
		if n < 0 || n >= len(buf) {
			t.Fatalf("seed 7, write %d: n = %d, want in [0, %d)", i+1, n, len(buf))
		}
		counts[n] = true
		want = append(want, buf[:n]...)
	}
	if got := content(t, mem, "/a"); !bytes.Equal(got, want) {
		t.Fatalf("seed 7: content = %q, want the reported prefixes %q", got, want)
	}
	if len(counts) < 5 {
		t.Fatalf("seed 7: only %d distinct counts in 50 random short writes", len(counts))
	}
}

// bitDiff counts the bits that differ between a and b.
func bitDiff(a, b []byte) int {
	n := 0
	for i := range a {
		n += bits.OnesCount8(a[i] ^ b[i])
	}
	return n
}

func TestFlipBitsReadAt(t *testing.T) {
	for _, flips := range []int{1, 3, 64} {
		t.Run(fmt.Sprint(flips), func(t *testing.T) {
			mem := fs.NewMem()
			data := make([]byte, 4096)
			rand.NewChaCha8([32]byte{1}).Read(data)
			mustWrite(t, mem, "/seg", data)
			ffs := fi.New(mem, fi.Options{Seed: 3}, fi.Rule{Op: fi.OpRead, Nth: 2, FlipBits: flips})
			f := open(t, ffs, "/seg")
			buf := make([]byte, 1000)
			if n, err := f.ReadAt(buf, 100); err != nil || n != 1000 || !bytes.Equal(buf, data[100:1100]) {
				t.Fatalf("first ReadAt = %d, %v, corrupted %v; want a clean read", n, err, !bytes.Equal(buf, data[100:1100]))
			}
			n, err := f.ReadAt(buf, 100)
			if err != nil || n != 1000 {
				t.Fatalf("flipped ReadAt = %d, %v; want 1000, nil", n, err)
			}
			if d := bitDiff(buf, data[100:1100]); d != flips {
				t.Fatalf("seed 3: %d bits differ, want %d", d, flips)
			}
			log := ffs.Injected()
			if len(log) != 1 || log[0].Err != nil || !strings.HasPrefix(log[0].What, fmt.Sprintf("flipped %d bit(s) at byte ", flips)) {
				t.Fatalf("log = %s; want one flip", logString(log))
			}
			// The logged offsets are file offsets of the bytes that changed.
			for _, s := range strings.Split(log[0].What[strings.Index(log[0].What, "byte ")+len("byte "):], ", ") {
				var off int
				if _, err := fmt.Sscan(s, &off); err != nil || off < 100 || off >= 1100 || buf[off-100] == data[off] {
					t.Fatalf("logged offset %q is not a changed byte of the read at 100 (%s)", s, log[0])
				}
			}
			if got := content(t, mem, "/seg"); !bytes.Equal(got, data) {
				t.Fatal("a flip changed the file itself")
			}
		})
	}
}

func TestFlipBitsRead(t *testing.T) {
	mem := fs.NewMem()
	mustWrite(t, mem, "/a", []byte{0x00, 0xff})
	ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpRead, FlipBits: 100, Times: 1})
	f := open(t, ffs, "/a")
	buf := make([]byte, 8)
	n, err := f.Read(buf)
	if err != nil || n != 2 {
		t.Fatalf("Read = %d, %v; want 2, nil", n, err)
	}
	// More flips than bits read: every bit read is flipped, nothing past n.
	if !bytes.Equal(buf[:n], []byte{0xff, 0x00}) || !bytes.Equal(buf[n:], make([]byte, 6)) {
		t.Fatalf("buf = %x, want ff00 and zeros", buf)
	}
	if log := ffs.Injected(); len(log) != 1 || log[0].What != "flipped 16 bit(s) at byte 0, 1 of the read" {
		t.Fatalf("log = %s", logString(log))
	}
	if n, err := f.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read at end = %d, %v; want 0, EOF", n, err)
	}
}

// TestZeroTail: the read reports success and returns its bytes up to an
// RNG-chosen one, zeros from there; the file keeps its bytes, the log says
// where the zeros start, and a seed repeats the same start.
func TestZeroTail(t *testing.T) {
	mem := fs.NewMem()
	data := bytes.Repeat([]byte{0xa5}, 4096)
	mustWrite(t, mem, "/seg", data)
	var starts []string
	for range 2 {
		ffs := fi.New(mem, fi.Options{Seed: 9}, fi.Rule{Op: fi.OpRead, Nth: 2, ZeroTail: true})
		f := open(t, ffs, "/seg")
		buf := make([]byte, 1000)
		if n, err := f.ReadAt(buf, 100); err != nil || n != 1000 || !bytes.Equal(buf, data[100:1100]) {
			t.Fatalf("first ReadAt = %d, %v; want a clean read", n, err)
		}
		n, err := f.ReadAt(buf, 100)
		if err != nil || n != 1000 {
			t.Fatalf("zeroed ReadAt = %d, %v; want 1000, nil", n, err)
		}
		from := bytes.IndexByte(buf, 0)
		if from < 0 || !bytes.Equal(buf[:from], data[100:100+from]) || !bytes.Equal(buf[from:], make([]byte, 1000-from)) {
			t.Fatalf("read %x: want the file's bytes, then zeros to the end", buf)
		}
		log := ffs.Injected()
		if want := fmt.Sprintf("zeroed %d byte(s) from byte %d", 1000-from, 100+from); len(log) != 1 || log[0].What != want || log[0].Err != nil {
			t.Fatalf("log = %s; want one %q", logString(log), want)
		}
		starts = append(starts, log[0].What)
		if got := content(t, mem, "/seg"); !bytes.Equal(got, data) {
			t.Fatal("a zero tail changed the file itself")
		}
	}
	if starts[0] != starts[1] {
		t.Errorf("seed 9 zeroed %q, then %q", starts[0], starts[1])
	}
	ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpRead, ZeroTail: true, Times: 1})
	f := open(t, ffs, "/seg")
	buf := make([]byte, 8)
	if n, err := f.Read(buf); err != nil || n != 8 || bytes.Equal(buf, data[:8]) {
		t.Fatalf("Read = %d, %v, %x; want 8 bytes ending in zeros", n, err, buf)
	}
	if log := ffs.Injected(); len(log) != 1 || !strings.HasSuffix(log[0].What, " of the read") {
		t.Fatalf("log = %s", logString(log))
	}
}

func TestLatency(t *testing.T) {
	var slept []time.Duration
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{Sleep: func(d time.Duration) { slept = append(slept, d) }},
		fi.Rule{Op: fi.OpSync, Latency: 5 * time.Millisecond},
		fi.Rule{Op: fi.OpRemove, Latency: 7 * time.Second, Err: syscall.ENOSPC},
	)
	f := open(t, ffs, "/a")
	if err := f.Sync(); err != nil {
		t.Fatalf("a delayed Sync failed: %v", err)
	}
	checkInjected(t, ffs.Remove("/a"), syscall.ENOSPC)
	if want := []time.Duration{5 * time.Millisecond, 7 * time.Second}; !slices.Equal(slept, want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
	log := ffs.Injected()
	if len(log) != 2 || log[0].What != "delay 5ms" || log[0].Err != nil || log[1].What != "delay 7s then error" {
		t.Fatalf("log = %s", logString(log))
	}
	if mem.Ops() != 2 { // the creating open and the sync
		t.Fatalf("inner ops = %d, want 2", mem.Ops())
	}
}

func TestErrors(t *testing.T) {
	custom := errors.New("custom")
	cases := []struct {
		err, want error
	}{
		{nil, syscall.EIO},
		{syscall.ENOSPC, syscall.ENOSPC},
		{custom, custom},
	}
	for _, c := range cases {
		ffs := fi.New(fs.NewMem(), fi.Options{}, fi.Rule{Op: fi.OpSync, Err: c.err})
		f := open(t, ffs, "/a")
		err := f.Sync()
		checkInjected(t, err, c.want)
		if c.want != syscall.EIO && errors.Is(err, syscall.EIO) {
			t.Fatalf("%v also matches EIO", err)
		}
		var pe *os.PathError
		if !errors.As(err, &pe) || pe.Op != "sync" || pe.Path != "/a" {
			t.Fatalf("err = %#v, want an *os.PathError for sync /a", err)
		}
		var ie *fi.Error
		if !errors.As(err, &ie) || ie.Fault.Seq != 1 || ie.Err != c.want {
			t.Fatalf("err = %v, want a *faultinject.Error for fault #1", err)
		}
		if want := "sync /a: faultinject: injected fault #1 (error): " + c.want.Error(); err.Error() != want {
			t.Fatalf("err = %q, want %q", err, want)
		}
	}
}

func TestCreate(t *testing.T) {
	for _, op := range []fi.Op{fi.OpCreate, fi.OpOpen} {
		t.Run(op.String(), func(t *testing.T) {
			mem := fs.NewMem()
			mustWrite(t, mem, "/old", []byte("x"))
			// The OpOpen rule is limited to the new name: it shows that a
			// rule for either op can fail a creation.
			ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: op, Path: "new"})
			open(t, ffs, "/old")
			_, err := ffs.OpenFile("/new", os.O_CREATE|os.O_WRONLY, 0o644)
			checkInjected(t, err, syscall.EIO)
			if _, err := mem.Stat("/new"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("a failed create made the file: %v", err)
			}
			if _, err := ffs.OpenFile("/old", os.O_RDONLY, 0); err != nil {
				t.Fatal(err)
			}
			if o, c := ffs.Calls(fi.OpOpen), ffs.Calls(fi.OpCreate); o != 3 || c != 1 {
				t.Fatalf("Calls = open %d, create %d; want 3, 1", o, c)
			}
			if log := ffs.Injected(); len(log) != 1 || log[0].Op != op || log[0].Call != map[fi.Op]int{fi.OpCreate: 1, fi.OpOpen: 2}[op] {
				t.Fatalf("log = %s", logString(log))
			}
		})
	}
}

// TestInnerNotPerformed checks, for every op, that a faulted call changes
// nothing: the Mem's count of mutating operations stays put and the effect
// is absent.
func TestInnerNotPerformed(t *testing.T) {
	cases := []struct {
		op    fi.Op
		call  func(ffs *fi.FS, f fs.File) error
		check func(mem *fs.Mem) error
	}{
		{fi.OpWrite, func(_ *fi.FS, f fs.File) error { _, err := f.Write([]byte("more")); return err },
			func(mem *fs.Mem) error { return wantContent(mem, "/d/f", "data") }},
		{fi.OpRead, func(_ *fi.FS, f fs.File) error { _, err := f.Read(make([]byte, 4)); return err }, nil},
		{fi.OpSync, func(_ *fi.FS, f fs.File) error { return f.Sync() }, nil},
		{fi.OpTruncate, func(_ *fi.FS, f fs.File) error { return f.Truncate(1) },
			func(mem *fs.Mem) error { return wantContent(mem, "/d/f", "data") }},
		{fi.OpRemove, func(ffs *fi.FS, _ fs.File) error { return ffs.Remove("/d/f") },
			func(mem *fs.Mem) error { return wantContent(mem, "/d/f", "data") }},
		{fi.OpRename, func(ffs *fi.FS, _ fs.File) error { return ffs.Rename("/d/f", "/d/g") },
			func(mem *fs.Mem) error { return wantContent(mem, "/d/f", "data") }},
		{fi.OpSyncDir, func(ffs *fi.FS, _ fs.File) error { return ffs.SyncDir("/d") }, nil},
		{fi.OpMkdir, func(ffs *fi.FS, _ fs.File) error { return ffs.MkdirAll("/d/sub", 0o755) },
			func(mem *fs.Mem) error { return wantAbsent(mem, "/d/sub") }},
		{fi.OpReadDir, func(ffs *fi.FS, _ fs.File) error { _, err := ffs.ReadDir("/d"); return err }, nil},
		{fi.OpLock, func(ffs *fi.FS, _ fs.File) error { _, err := ffs.Lock("/d"); return err },
			func(mem *fs.Mem) error { return wantAbsent(mem, "/d/"+fs.LockFileName) }},
	}
	for _, c := range cases {
		t.Run(c.op.String(), func(t *testing.T) {
			mem := fs.NewMem()
			if err := mem.MkdirAll("/d", 0o755); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, mem, "/d/f", []byte("data"))
			ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: c.op, Err: syscall.ENOSPC})
			f, err := ffs.OpenFile("/d/f", os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			before := mem.Ops()
			checkInjected(t, c.call(ffs, f), syscall.ENOSPC)
			if after := mem.Ops(); after != before {
				t.Fatalf("the inner FS performed %d mutating op(s)", after-before)
			}
			if c.check != nil {
				if err := c.check(mem); err != nil {
					t.Fatal(err)
				}
			}
			if n := ffs.Calls(c.op); n != 1 {
				t.Fatalf("Calls(%v) = %d, want 1", c.op, n)
			}
		})
	}
}

func wantContent(mem *fs.Mem, name, want string) error {
	got, err := fs.ReadFile(mem, name)
	if err != nil || string(got) != want {
		return fmt.Errorf("%s = %q, %v; want %q", name, got, err, want)
	}
	return nil
}

func wantAbsent(mem *fs.Mem, name string) error {
	if _, err := mem.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s exists (%v), want it absent", name, err)
	}
	return nil
}

func TestLog(t *testing.T) {
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{},
		fi.Rule{Op: fi.OpWrite, Nth: 2, ShortWrite: 3},
		fi.Rule{Op: fi.OpSync, Path: "*.wal"},
	)
	if err := mem.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f := open(t, ffs, "/d/r-000.wal")
	g := open(t, ffs, "/d/other")
	f.Write([]byte("abcdef"))
	f.Write([]byte("abcdef"))
	g.Sync() // does not match *.wal
	f.Sync()
	ffs.Clear()
	f.Sync() // no rules
	ffs.Add(fi.Rule{Op: fi.OpRemove, Err: syscall.ENOENT})
	ffs.Remove("/d/other")

	want := []fi.Fault{
		{Seq: 1, Op: fi.OpWrite, Path: "/d/r-000.wal", Call: 2, Rule: 0, What: "short write 3/6 bytes", Err: syscall.EIO},
		{Seq: 2, Op: fi.OpSync, Path: "/d/r-000.wal", Call: 2, Rule: 1, What: "error", Err: syscall.EIO},
		{Seq: 3, Op: fi.OpRemove, Path: "/d/other", Call: 1, Rule: 2, What: "error", Err: syscall.ENOENT},
	}
	got := ffs.Injected()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("log = %s\nwant%s", logString(got), logString(want))
	}
	wantStrings := []string{
		"#1 write /d/r-000.wal call 2: short write 3/6 bytes: input/output error",
		"#2 sync /d/r-000.wal call 2: error: input/output error",
		"#3 remove /d/other call 1: error: no such file or directory",
	}
	for i, f := range got {
		if f.String() != wantStrings[i] {
			t.Errorf("String() = %q, want %q", f, wantStrings[i])
		}
	}
	got[0].What = "changed"
	if ffs.Injected()[0].What == "changed" {
		t.Fatal("Injected returned the log itself, not a copy")
	}
}

func TestCalls(t *testing.T) {
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{}, fi.Rule{Op: fi.OpRead, Nth: 1})
	f := open(t, ffs, "/a")
	f.Write([]byte("x"))
	f.Write([]byte("y"))
	f.ReadAt(make([]byte, 1), 0) // faulted
	f.Read(make([]byte, 1))
	ffs.Remove("/missing") // fails in the inner FS, still a call
	ffs.ReadDir("/")
	want := map[fi.Op]int{fi.OpOpen: 1, fi.OpCreate: 1, fi.OpWrite: 2, fi.OpRead: 2, fi.OpRemove: 1, fi.OpReadDir: 1}
	for op := fi.OpOpen; op <= fi.OpLock; op++ {
		if got := ffs.Calls(op); got != want[op] {
			t.Errorf("Calls(%v) = %d, want %d", op, got, want[op])
		}
	}
}

// TestFirstRuleWins pins down the evaluation order: every matching rule
// counts the call, and only the first that fires is applied.
func TestFirstRuleWins(t *testing.T) {
	ffs := fi.New(fs.NewMem(), fi.Options{},
		fi.Rule{Op: fi.OpSync, Nth: 2, Err: syscall.ENOSPC},
		fi.Rule{Op: fi.OpSync, Nth: 2, Err: syscall.EROFS}, // counted past its Nth: never fires
		fi.Rule{Op: fi.OpSync, Nth: 3, Err: syscall.EDQUOT},
	)
	f := open(t, ffs, "/a")
	var got []error
	for range 4 {
		if err := f.Sync(); err != nil {
			got = append(got, errors.Unwrap(err).(*fi.Error).Err)
		}
	}
	if want := []error{syscall.ENOSPC, syscall.EDQUOT}; !slices.Equal(got, want) {
		t.Fatalf("errors = %v, want %v", got, want)
	}
}

func TestInvalidRules(t *testing.T) {
	bad := []fi.Rule{
		{},
		{Op: 99},
		{Op: fi.OpWrite, Path: "["},
		{Op: fi.OpWrite, Nth: -1},
		{Op: fi.OpWrite, Prob: -0.5},
		{Op: fi.OpWrite, Times: -1},
		{Op: fi.OpWrite, Latency: -time.Second},
		{Op: fi.OpSync, ShortWrite: 3},
		{Op: fi.OpWrite, FlipBits: 1},
		{Op: fi.OpRead, FlipBits: -1},
		{Op: fi.OpRead, FlipBits: 1, Err: syscall.EIO},
		{Op: fi.OpWrite, ZeroTail: true},
		{Op: fi.OpRead, ZeroTail: true, Err: syscall.EIO},
		{Op: fi.OpRead, ZeroTail: true, FlipBits: 1},
	}
	for _, r := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New accepted %+v", r)
				}
			}()
			fi.New(fs.NewMem(), fi.Options{}, r)
		}()
	}
}

func TestOpString(t *testing.T) {
	want := []string{"open", "create", "read", "write", "sync", "truncate", "remove", "rename", "syncdir", "mkdir", "readdir", "lock"}
	for i, w := range want {
		if got := (fi.OpOpen + fi.Op(i)).String(); got != w {
			t.Errorf("Op %d = %q, want %q", i+1, got, w)
		}
	}
	if got := fi.Op(0).String(); got != "Op(0)" {
		t.Errorf("Op(0) = %q", got)
	}
}

func TestConcurrent(t *testing.T) {
	const writers, writes = 4, 200
	mem := fs.NewMem()
	ffs := fi.New(mem, fi.Options{Seed: 9},
		fi.Rule{Op: fi.OpWrite, Prob: 0.2, ShortWrite: -1},
		fi.Rule{Op: fi.OpSync, Prob: 0.1},
		fi.Rule{Op: fi.OpRead, Prob: 0.1, FlipBits: 1},
	)
	var wg sync.WaitGroup
	faults := make([]int, writers)
	written := make([]int, writers)
	for w := range writers {
		f := open(t, ffs, fmt.Sprintf("/w%d", w))
		wg.Go(func() {
			buf := make([]byte, 32)
			for range writes {
				n, err := f.Write(buf)
				written[w] += n
				if err != nil {
					faults[w]++
				}
				if err := f.Sync(); err != nil {
					faults[w]++
				}
				f.ReadAt(buf[:8], 0)
			}
		})
	}
	wg.Go(func() { // readers of the log while it grows
		for range 100 {
			ffs.Injected()
			ffs.Calls(fi.OpWrite)
		}
		ffs.Add(fi.Rule{Op: fi.OpMkdir})
	})
	wg.Wait()

	total := 0
	for w := range writers {
		total += faults[w]
		if n := len(content(t, mem, fmt.Sprintf("/w%d", w))); n != written[w] {
			t.Errorf("seed 9: /w%d holds %d bytes, writes reported %d", w, n, written[w])
		}
	}
	log := ffs.Injected()
	flips := 0
	for i, f := range log {
		if f.Seq != i+1 {
			t.Fatalf("log entry %d has Seq %d", i, f.Seq)
		}
		if f.Op == fi.OpRead {
			flips++
		}
	}
	if len(log)-flips != total {
		t.Fatalf("seed 9: %d error faults logged, %d errors returned", len(log)-flips, total)
	}
	if got := ffs.Calls(fi.OpWrite); got != writers*writes {
		t.Fatalf("Calls(write) = %d, want %d", got, writers*writes)
	}
}
