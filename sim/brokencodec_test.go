package sim_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/sim"
	"github.com/raftlog/raftlog/sim/simjson"
)

// The deliberately broken codecs, each one a mistake a user's codec can
// make, swapped into the JSON type set (simjson). The simulator must find
// each within brokenBudget seeds and say what is wrong.

// brokenBudget is the promise: each broken codec is caught within this
// many seeds of 200 operations. (Each is in fact caught by seed 1, within
// its first operations that carry such a value: the codec checks run on
// every value a run writes.)
const brokenBudget = 5

// floatSeq decodes a Command through a map of interface values, as a
// hand-written decoder on encoding/json's generic form does: the sequence
// number becomes a float64 and loses its low bits above 2^53. It does not
// round-trip.
type floatSeq struct{}

func (floatSeq) Append(dst []byte, c simjson.Command) ([]byte, error) {
	return codec.JSON[simjson.Command]().Append(dst, c)
}

func (floatSeq) Decode(src []byte) (simjson.Command, int, error) {
	var c simjson.Command
	b, n, err := codec.Bytes.Decode(src)
	if err != nil {
		return c, 0, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return c, 0, fmt.Errorf("%w: %v", codec.ErrInvalid, err)
	}
	c.Op, _ = m["op"].(string)
	c.Key, _ = m["key"].(string)
	c.Value, _ = m["value"].(string)
	for _, t := range asSlice(m["tags"]) {
		s, _ := t.(string)
		c.Tags = append(c.Tags, s)
	}
	f, _ := m["seq"].(float64)
	c.Seq = uint64(f)
	return c, n, nil
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// rotatingLabels writes a Meta's labels in an order that changes with every
// call (as ranging over a Go map does; a counter here, so the test is
// deterministic). Every encoding decodes to the same value: it round-trips,
// but it is not deterministic.
type rotatingLabels struct{ calls *atomic.Uint64 }

func (r rotatingLabels) Append(dst []byte, m simjson.Meta) ([]byte, error) {
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 0 {
		k := int(r.calls.Add(1) % uint64(len(keys)))
		keys = append(keys[k:], keys[:k]...)
	}
	dst = binary.AppendUvarint(dst, m.Applied)
	dst = binary.AppendUvarint(dst, uint64(len(m.Members)))
	for _, s := range m.Members {
		dst, _ = codec.String.Append(dst, s)
	}
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst, _ = codec.String.Append(dst, k)
		dst, _ = codec.String.Append(dst, m.Labels[k])
	}
	return dst, nil
}

func (rotatingLabels) Decode(src []byte) (simjson.Meta, int, error) {
	var m simjson.Meta
	off := 0
	uv := func() uint64 {
		v, n, err := codec.Uvarint.Decode(src[off:])
		if err != nil {
			off = -1
			return 0
		}
		off += n
		return v
	}
	str := func() string {
		if off < 0 {
			return ""
		}
		s, n, err := codec.String.Decode(src[off:])
		if err != nil {
			off = -1
			return ""
		}
		off += n
		return s
	}
	m.Applied = uv()
	for n := uv(); off >= 0 && n > 0 && n <= uint64(len(src)); n-- {
		m.Members = append(m.Members, str())
	}
	for n := uv(); off >= 0 && n > 0 && n <= uint64(len(src)); n-- {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		k := str()
		m.Labels[k] = str()
	}
	if off < 0 {
		return simjson.Meta{}, 0, fmt.Errorf("%w: meta", codec.ErrInvalid)
	}
	return m, off, nil
}

// paddedID stores an ID as 16 bytes, term and index big-endian, and decodes
// leniently: input shorter than 16 bytes is padded with zeros. A torn or cut
// id decodes as another id: it accepts a truncated encoding.
type paddedID struct{}

func (paddedID) Append(dst []byte, id simjson.ID) ([]byte, error) {
	dst = binary.BigEndian.AppendUint64(dst, id.Term)
	return binary.BigEndian.AppendUint64(dst, id.Index), nil
}

func (paddedID) Decode(src []byte) (simjson.ID, int, error) {
	var b [16]byte
	n := copy(b[:], src)
	return simjson.ID{Term: binary.BigEndian.Uint64(b[:]), Index: binary.BigEndian.Uint64(b[8:])}, n, nil
}

// uncheckedCommand is a length-prefixed JSON command whose Decode trusts
// the length: a length longer than the input slices out of range. It
// panics on bad bytes.
type uncheckedCommand struct{}

func (uncheckedCommand) Append(dst []byte, c simjson.Command) ([]byte, error) {
	return codec.JSON[simjson.Command]().Append(dst, c)
}

func (uncheckedCommand) Decode(src []byte) (simjson.Command, int, error) {
	var c simjson.Command
	l, n := binary.Uvarint(src)
	body := src[n : n+int(l)] // no check against len(src)
	if err := json.Unmarshal(body, &c); err != nil {
		return c, 0, fmt.Errorf("%w: %v", codec.ErrInvalid, err)
	}
	return c, n + int(l), nil
}

// caught runs seeds 1..brokenBudget over types until one fails, and returns
// that seed and its violation.
func caught[L, P, V, U any](t *testing.T, types raftlog.Types[L, P, V, U], gen sim.Gen[L, P, V, U]) (uint64, *sim.Violation) {
	t.Helper()
	s, err := sim.New(types, gen)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= brokenBudget; seed++ {
		if res := s.Run(sim.Config{Seed: seed, Ops: 200}); res.Violation != nil {
			return seed, res.Violation
		}
	}
	t.Fatalf("no violation in %d seeds", brokenBudget)
	return 0, nil
}

// jsonTypes is the type set of simjson.
type jsonTypes = raftlog.Types[simjson.ID, simjson.Command, simjson.Ballot, simjson.Meta]

// TestBrokenCodecsAreCaught swaps each broken codec into the JSON type set
// and requires a violation within brokenBudget seeds that says what is
// wrong.
func TestBrokenCodecsAreCaught(t *testing.T) {
	base := simjson.Types
	for _, tc := range []struct {
		name string
		set  func(*jsonTypes)
		want string
	}{
		{"no round trip", func(t *jsonTypes) { t.Payload = floatSeq{} }, "does not round-trip"},
		{"not deterministic", func(t *jsonTypes) { t.UserData = rotatingLabels{calls: new(atomic.Uint64)} }, "is not deterministic: two encodings differ"},
		{"accepts a truncated encoding", func(t *jsonTypes) { t.LogID = paddedID{} }, "accepts a truncated encoding"},
		{"panics on bad bytes", func(t *jsonTypes) { t.Payload = uncheckedCommand{} }, "Decode panics on"},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "-"), func(t *testing.T) {
			types := base
			tc.set(&types)
			seed, v := caught(t, types, simjson.Gen)
			if !strings.Contains(v.What, tc.want) {
				t.Fatalf("seed %d: the violation does not say %q: %v", seed, tc.want, v)
			}
			t.Logf("caught at seed %d, op %d: %s", seed, v.Step, v.What[:min(len(v.What), 200)])
		})
	}
}

// TestWorkingCodecsPass: the same checks on the built-in codecs and the
// JSON type set find nothing (the broken ones above differ only in the
// codec swapped in).
func TestWorkingCodecsPass(t *testing.T) {
	for seed := uint64(1); seed <= brokenBudget; seed++ {
		if res := sim.Run(sim.Config{Seed: seed}); res.Violation != nil || res.CodecChecks == 0 {
			t.Fatalf("default types, seed %d: %v after %d codec checks", seed, res.Violation, res.CodecChecks)
		}
	}
	s, err := sim.New(simjson.Types, simjson.Gen)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= brokenBudget; seed++ {
		if res := s.Run(sim.Config{Seed: seed}); res.Violation != nil || res.CodecChecks == 0 {
			t.Fatalf("JSON types, seed %d: %v after %d codec checks", seed, res.Violation, res.CodecChecks)
		}
	}
}

// TestBrokenWithIndexIsCaughtThroughTheLog: a mistake no codec check can
// see, a Types.WithIndex that forgets the term, makes the log's index hand
// back ids that differ from those appended; the model's byte-for-byte
// comparison of what the log reads back finds it.
func TestBrokenWithIndexIsCaughtThroughTheLog(t *testing.T) {
	types := simjson.Types
	types.WithIndex = func(id simjson.ID, i uint64) simjson.ID { return simjson.ID{Index: i} }
	seed, v := caught(t, types, simjson.Gen)
	if strings.HasPrefix(v.What, "codec:") {
		t.Fatalf("seed %d: want a violation found through the log, got a codec one: %v", seed, v)
	}
	t.Logf("caught at seed %d, op %d: %s", seed, v.Step, v.What[:min(len(v.What), 200)])
}
