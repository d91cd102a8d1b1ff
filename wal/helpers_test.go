package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

// testSM is a state machine over string records: the state is the list of
// records since the last checkpoint plus the count the checkpoint carries.
//
// A checkpoint "ckpt:N" says N records came before it. The first checkpoint
// of a log whose older chunks were purged sets base (the number of records
// in the purged chunks); recs then holds the records from base on, so a test
// compares recs with the suffix of its model from base.
type testSM struct {
	recs  []string // caller records from base on, in log order
	pos   []Position
	ckpts int
	base  int // records before recs[0] (purged chunks)
}

func (s *testSM) Apply(rec string, pos Position) error {
	if n, ok := strings.CutPrefix(rec, "ckpt:"); ok {
		var count int
		if _, err := fmt.Sscanf(n, "%d", &count); err != nil {
			return fmt.Errorf("bad checkpoint %q: %w", rec, err)
		}
		if s.ckpts == 0 && len(s.recs) == 0 {
			s.base = count // the log starts here: what came before was purged
		}
		s.ckpts++
		if count < s.base || count > s.base+len(s.recs) {
			return fmt.Errorf("checkpoint claims %d records, have %d (base %d)", count, s.base+len(s.recs), s.base)
		}
		s.recs, s.pos = s.recs[:count-s.base], s.pos[:count-s.base]
		return nil
	}
	s.recs = append(s.recs, rec)
	s.pos = append(s.pos, pos)
	return nil
}

func (s *testSM) Checkpoint(pending []string) string {
	return fmt.Sprintf("ckpt:%d", s.base+len(s.recs)+len(pending))
}

// add applies a record appended live, as a caller would.
func (s *testSM) add(rec string, pos Position) {
	s.recs = append(s.recs, rec)
	s.pos = append(s.pos, pos)
}

type testLog struct {
	t   testing.TB
	fs  fs.FS
	cfg Config
	w   *WAL[string]
	sm  *testSM
}

// logOn returns a testLog for cfg on fsys without opening it (Dir defaults
// to /wal).
func logOn(t testing.TB, fsys fs.FS, cfg Config) *testLog {
	if cfg.Dir == "" {
		cfg.Dir = "/wal"
	}
	cfg.FS = fsys
	return &testLog{t: t, fs: fsys, cfg: cfg}
}

func openTest(t testing.TB, fsys fs.FS, cfg Config) *testLog {
	t.Helper()
	l := logOn(t, fsys, cfg)
	if err := fsys.MkdirAll(l.cfg.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The directory must exist before the log: make its entry durable, so
	// that crash images keep it.
	if err := fsys.SyncDir(filepath.Dir(l.cfg.Dir)); err != nil {
		t.Fatal(err)
	}
	if err := l.reopen(); err != nil {
		t.Fatalf("open: %v", err)
	}
	return l
}

// on returns a testLog with the same config on another FS (a crash image),
// not opened.
func (l *testLog) on(t testing.TB, fsys fs.FS) *testLog {
	return logOn(t, fsys, l.cfg)
}

// errPanic marks an Open that panicked: reopen turns the panic into an error
// so that one bad input fails its test instead of killing the test binary.
var errPanic = errors.New("Open panicked")

func (l *testLog) reopen() (err error) {
	l.sm = &testSM{}
	l.w = nil
	defer func() {
		if r := recover(); r != nil {
			l.w = nil
			err = fmt.Errorf("%w: %v\n%s", errPanic, r, debug.Stack())
		}
	}()
	w, err := Open(l.cfg, codec.String, l.sm)
	l.w = w
	return err
}

func (l *testLog) append(recs ...string) []Position {
	l.t.Helper()
	var out []Position
	for _, r := range recs {
		p, err := l.w.Append(r)
		if err != nil {
			l.t.Fatalf("append %q: %v", r, err)
		}
		l.sm.add(r, p)
		out = append(out, p)
	}
	return out
}

func (l *testLog) sync() {
	l.t.Helper()
	if err := l.w.Sync(); err != nil {
		l.t.Fatalf("sync: %v", err)
	}
}

func (l *testLog) close() {
	l.t.Helper()
	if err := l.w.Close(); err != nil {
		l.t.Fatalf("close: %v", err)
	}
}

// path is the file of chunk id.
func (l *testLog) path(id uint64) string { return filepath.Join(l.cfg.Dir, ChunkName(id)) }

func recs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// newRand is the seeded RNG every randomised test uses; failure messages
// name the seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// clone returns an independent, fully durable copy of m holding everything
// written so far (what a process crash leaves).
func clone(m *fs.Mem) *fs.Mem { return m.Crash(newRand(0), fs.CrashProcess) }

func readFile(t testing.TB, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	require.NoError(t, err, "reading %s", name)
	return b
}

func fileSize(t testing.TB, fsys fs.FS, name string) int64 {
	t.Helper()
	fi, err := fsys.Stat(name)
	require.NoError(t, err, "stat %s", name)
	return fi.Size()
}

// patch overwrites name at off with b and syncs the file, so that a later
// Crash keeps the change.
func patch(t testing.TB, fsys fs.FS, name string, off int64, b []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	if off > 0 { // fs.File has no WriteAt: move the position by reading
		_, err = io.ReadFull(f, make([]byte, off))
		require.NoError(t, err, "seeking to %d in %s", off, name)
	}
	n, err := f.Write(b)
	require.NoError(t, err)
	require.Equal(t, len(b), n)
	require.NoError(t, f.Sync())
}

// flipBit flips one bit of the byte at off in name (synced).
func flipBit(t testing.TB, fsys fs.FS, name string, off int64, bit uint) {
	t.Helper()
	b := readFile(t, fsys, name)
	patch(t, fsys, name, off, []byte{b[off] ^ 1<<bit})
}

// resize truncates or zero-extends name to size and syncs it.
func resize(t testing.TB, fsys fs.FS, name string, size int64) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Sync())
}

// frame is one record frame of a chunk file, at file offsets [off, end).
type frame struct {
	kind     codec.Kind
	off, end int64
	body     []byte
}

// parseChunk checks a chunk file's header and returns its frames; the file
// must be intact, but for zeros written ahead past its records.
func parseChunk(t testing.TB, data []byte) []frame {
	t.Helper()
	require.GreaterOrEqual(t, len(data), ChunkHeaderSize)
	id := binaryStart(data)
	h, herr := parseHeader(data[:ChunkHeaderSize], id)
	require.Nil(t, herr)
	var out []frame
	for off := int64(ChunkHeaderSize); off < int64(len(data)); {
		if !slices.ContainsFunc(data[off:], func(b byte) bool { return b != 0 }) {
			break // the zeros written ahead
		}
		kind, body, n, err := codec.DecodeRecordSeed(data[off:], 0, recordSeed(h.version, h.salt, id+uint64(off)))
		require.NoError(t, err, "frame at offset %d", off)
		out = append(out, frame{kind: kind, off: off, end: off + int64(n), body: body})
		off += int64(n)
	}
	return out
}

func binaryStart(h []byte) uint64 { return binary.LittleEndian.Uint64(h[12:]) }

// frameAt returns the frame holding file offset p; the header is frame{0, 32}.
func frameAt(frames []frame, p int64) frame {
	for _, f := range frames {
		if p >= f.off && p < f.end {
			return f
		}
	}
	return frame{off: 0, end: ChunkHeaderSize}
}

// chunkNames returns the chunk file names in dir, sorted.
func chunkNames(t testing.TB, fsys fs.FS, dir string) []string {
	t.Helper()
	names, err := fsys.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, n := range names {
		if _, ok := ParseChunkName(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// statNames returns the file names of every chunk that st lists.
func statNames(st Stat) []string {
	var out []string
	for _, c := range append(slices.Clone(st.Closed), st.Open) {
		out = append(out, ChunkName(c.ID))
	}
	return out
}

// requireLoads checks that every position loads back its record.
func requireLoads(t testing.TB, w *WAL[string], pos []Position, want []string, msg string, args ...any) {
	t.Helper()
	require.Len(t, pos, len(want))
	for i, p := range pos {
		got, err := w.Load(p)
		require.NoError(t, err, "Load(%+v) of record %d: %s", p, i, fmt.Sprintf(msg, args...))
		require.Equal(t, want[i], got, "Load(%+v) of record %d: %s", p, i, fmt.Sprintf(msg, args...))
	}
}

// expectPrefix returns the records (and their positions) whose frames end at
// or before global offset end.
func expectPrefix(all []string, pos []Position, end uint64) ([]string, []Position) {
	n := 0
	for n < len(pos) && pos[n].End() <= end {
		n++
	}
	return all[:n], pos[:n]
}

// syncBuffer is a bytes.Buffer safe for a logger used by the worker.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// encode is the index file's bytes, as indexFile.write writes them.
func (x indexFile) encode() []byte {
	b := append(x.header(), x.summary...)
	return binary.LittleEndian.AppendUint32(b, codec.Checksum(b))
}
