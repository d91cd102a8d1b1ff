package raftlogstore

import (
	"bytes"
	"testing"

	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/raftlog"
)

func appendN(t testing.TB, s store.Store, n uint64) {
	t.Helper()
	for i := uint64(1); i <= n; i++ {
		if err := s.Append([]store.Entry{{Index: i, Payload: payload.New(i, 128)}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGroupCommitAndCounters(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gc := s.(store.GroupCommitter)
	for i := uint64(1); i <= 10; i++ {
		if err := gc.AppendNoSync([]store.Entry{{Index: i, Payload: payload.New(i, 128)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := gc.Sync(); err != nil {
		t.Fatal(err)
	}
	c := s.(store.Counter).Counters()
	if c["entries"] != 10 || c["fsyncs"] < 1 || c["fsyncs"] > 2 || c["index_bytes"] <= 0 {
		t.Errorf("after 10 buffered appends and one Sync: %v; want 10 entries, 1 or 2 fsyncs, some index bytes", c)
	}
	p, err := s.Read(7)
	if err != nil || !bytes.Equal(p, payload.New(7, 128)) {
		t.Errorf("Read(7) = %x, %v", p, err)
	}
}

func TestPurgeAndTruncateKeepTheMiddle(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendN(t, s, 20)
	if err := s.PurgeHead(10); err != nil {
		t.Fatal(err)
	}
	if err := s.TruncateTail(19); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	err = s.(store.Scanner).Scan(11, 19, func(i uint64, _ []byte) error { got = append(got, i); return nil })
	if err != nil || len(got) != 8 || got[0] != 11 || got[7] != 18 {
		t.Errorf("Scan(11, 19) after purging 10 and truncating at 19: %v, %v", got, err)
	}
	if _, err := s.Read(10); err == nil {
		t.Error("Read(10) of a purged entry succeeded")
	}
	if _, err := s.Read(19); err == nil {
		t.Error("Read(19) of a truncated entry succeeded")
	}
}

// BenchmarkReadCacheHit measures raftlog's Read of one entry its cache
// holds, through its public API, with the allocations per read.
func BenchmarkReadCacheHit(b *testing.B) {
	l, err := raftlog.Open(b.TempDir(), raftlog.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for i := uint64(1); i <= 1000; i++ {
		if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: i}, Payload: payload.New(i, 128)}); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil {
		b.Fatal(err)
	}
	hits := l.Stat().CacheHits
	b.ReportAllocs()
	i := uint64(1)
	for b.Loop() {
		for _, err := range l.Read(i, i+1) {
			if err != nil {
				b.Fatal(err)
			}
		}
		i = i%1000 + 1
	}
	if st := l.Stat(); st.CacheMisses != 0 || st.CacheHits-hits != uint64(b.N) {
		b.Fatalf("%d reads: %d hits, %d misses; want every read a hit", b.N, st.CacheHits-hits, st.CacheMisses)
	}
}
