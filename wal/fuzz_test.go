package wal

import (
	"errors"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// FuzzRecover hands Open a last chunk of arbitrary bytes, after a closed
// chunk that is intact: Open must never panic, must fail only with a typed
// error (corruption, version), and when it succeeds the log must keep every
// record of the closed chunk and take new writes.
func FuzzRecover(f *testing.F) {
	// Seeds: the second chunk of a real log, cut and damaged in a few ways.
	m := fs.NewMem()
	l := openTest(f, m, Config{ChunkMaxRecords: 3, ManualWorker: true})
	l.append(recs("a", 5)...)
	l.close()
	st := chunkNames(f, m, "/wal")
	second := readFile(f, m, "/wal/"+st[1])
	f.Add(second)
	f.Add(second[:len(second)/2])
	f.Add(second[:ChunkHeaderSize])
	f.Add([]byte{})
	flipped := append([]byte(nil), second...)
	flipped[len(flipped)/2] ^= 0x10
	f.Add(flipped)
	first := readFile(f, m, "/wal/"+st[0])
	id, _ := ParseChunkName(st[1])

	f.Fuzz(func(t *testing.T, last []byte) {
		m := fs.NewMem()
		m.MkdirAll("/wal", 0o755)
		fs.WriteFile(m, "/wal/"+ChunkName(0), first, 0o644)
		fs.WriteFile(m, "/wal/"+ChunkName(id), last, 0o644)
		sm := &testSM{}
		w, err := Open(Config{Dir: "/wal", FS: m, ChunkMaxRecords: 3, ManualWorker: true}, codec.String, sm)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrMissingChunk) {
				t.Fatalf("Open failed with an untyped error: %v", err)
			}
			return
		}
		if len(sm.recs) < 2 || sm.recs[0] != "a-0000" || sm.recs[1] != "a-0001" {
			t.Fatalf("the closed chunk's records are gone: %q", sm.recs)
		}
		if _, err := w.Append("alive"); err != nil {
			t.Fatalf("append after recovery: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close after recovery: %v", err)
		}
	})
}

// FuzzDecodeIndex: an index file of any bytes is refused or decoded, never a
// panic, and one that decodes encodes back to the same bytes.
func FuzzDecodeIndex(f *testing.F) {
	good := indexFile{chunk: 4096, salt: 7, end: 5000, start: 32, records: 9, summary: []byte("summary")}.encode()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(good[:indexHeaderSize])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := decodeIndex(b)
		if err != nil {
			if !errors.Is(err, errIndex) {
				t.Fatalf("an unusable index file gave %v, not errIndex", err)
			}
			return
		}
		if got := x.encode(); string(got) != string(b) {
			t.Fatalf("decoded %+v, which encodes to other bytes", x)
		}
	})
}
