package workload_test

import (
	"errors"
	"testing"

	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
	"github.com/raftlog/raftlog/bench/workload"
)

// memStore is a store in memory that can be told to lie.
type memStore struct {
	data    map[uint64][]byte
	corrupt uint64 // Read of this index returns another's payload
	skip    uint64 // Scan leaves this index out
	flip    uint64 // Read and Scan of this index flip a bit past the index prefix
}

func (m *memStore) get(i uint64) []byte {
	p := m.data[i]
	if i == m.flip {
		p = append([]byte(nil), p...)
		p[len(p)-1] ^= 1
	}
	return p
}

func (m *memStore) Append(es []store.Entry) error {
	for _, e := range es {
		m.data[e.Index] = e.Payload
	}
	return nil
}

func (m *memStore) Read(i uint64) ([]byte, error) {
	if i == m.corrupt {
		return m.data[i+1], nil
	}
	if _, ok := m.data[i]; !ok {
		return nil, errors.New("no entry")
	}
	return m.get(i), nil
}

func (m *memStore) Scan(from, to uint64, fn func(uint64, []byte) error) error {
	for i := from; i < to; i++ {
		if i == m.skip {
			continue
		}
		if err := fn(i, m.get(i)); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) PurgeHead(uint64) error    { return nil }
func (m *memStore) TruncateTail(uint64) error { return nil }
func (m *memStore) Close() error              { return nil }

func opener(m *memStore) store.Opener {
	return func(string) (store.Store, error) { return m, nil }
}

func filled(n uint64) *memStore {
	m := &memStore{data: map[uint64][]byte{}}
	for i := uint64(1); i <= n+1; i++ {
		m.data[i] = payload.New(i, 100)
	}
	return m
}

func TestARunFailsOnAWrongPayload(t *testing.T) {
	for _, c := range []struct {
		workload string
		corrupt  uint64 // an index the run reads back
	}{
		{workload.Append, 51},  // every entry of a short run is read back
		{workload.RandRead, 7}, // 5000 draws of 100 indexes draw each one
		{workload.Purge, 51},   // the first entry kept after purging 50
		{workload.Reopen, 100}, // the last entry
	} {
		m := filled(100)
		m.corrupt = c.corrupt
		p := params(c.workload, t.TempDir(), 100)
		p.Reads = 5000
		_, err := workload.Run("mem", opener(m), p)
		var ve *workload.VerifyError
		var me *payload.MismatchError
		if !errors.As(err, &ve) || !errors.As(err, &me) || me.Index != c.corrupt {
			t.Errorf("%s over a store that lies at %d: got %v, want a VerifyError wrapping a MismatchError there", c.workload, c.corrupt, err)
		}
	}
}

func TestASequentialReadFailsOnAMissingEntry(t *testing.T) {
	m := filled(100)
	m.skip = 40
	_, err := workload.Run("mem", opener(m), params(workload.SeqRead, t.TempDir(), 100))
	var ve *workload.VerifyError
	if !errors.As(err, &ve) {
		t.Errorf("a scan that skips entry 40: got %v, want a VerifyError", err)
	}
}

func TestASequentialReadFailsOnAFlippedBit(t *testing.T) {
	for _, scan := range []bool{true, false} {
		m := filled(100)
		m.flip = 60
		var s store.Store = m
		if !scan {
			s = struct{ store.Store }{m} // only the Store methods: no Scanner
		}
		_, err := workload.Run("mem", func(string) (store.Store, error) { return s, nil }, params(workload.SeqRead, t.TempDir(), 100))
		var me *payload.MismatchError
		if !errors.As(err, &me) || me.Index != 60 {
			t.Errorf("scan %v, a bit flipped at the end of entry 60: got %v, want a MismatchError at 60", scan, err)
		}
	}
}
