package payload

import (
	"errors"
	"testing"
)

func TestCheckAcceptsWhatNewMade(t *testing.T) {
	for _, size := range []int{1, 7, 8, 9, 128, 4096} {
		c := NewChecker(size)
		for _, i := range []uint64{1, 2, 1 << 40} {
			if err := c.Check(i, New(i, size)); err != nil {
				t.Errorf("size %d index %d: %v", size, i, err)
			}
		}
	}
}

func TestCheckCatchesWrongIndexLengthAndByte(t *testing.T) {
	c := NewChecker(128)
	var m *MismatchError
	if err := c.Check(5, New(6, 128)); !errors.As(err, &m) || m.Offset != 0 {
		t.Errorf("another index's payload: got %v, want a mismatch at byte 0", err)
	}
	if err := c.Check(5, New(5, 127)); !errors.As(err, &m) || m.Offset != -1 || m.Got != 127 {
		t.Errorf("a short payload: got %v, want a length mismatch", err)
	}
	p := New(5, 128)
	p[100] ^= 1
	if err := c.Check(5, p); !errors.As(err, &m) || m.Offset != 100 {
		t.Errorf("one flipped bit: got %v, want a mismatch at byte 100", err)
	}
}

func TestPayloadsOfNeighboursDifferBeyondTheIndex(t *testing.T) {
	a, b := New(1, 64), New(2, 64)
	same := 0
	for i := 8; i < 64; i++ {
		if a[i] == b[i] {
			same++
		}
	}
	if same > 8 {
		t.Errorf("entries 1 and 2 share %d of 56 stream bytes: the stream does not depend on the index", same)
	}
}

func seq(from, to uint64) func(func(uint64) bool) {
	return func(yield func(uint64) bool) {
		for i := from; i < to && yield(i); i++ {
		}
	}
}

func TestDigestMatchesOnlyWhatWasWritten(t *testing.T) {
	good := NewDigest(128)
	for i := uint64(1); i <= 50; i++ {
		if err := good.Add(i, New(i, 128)); err != nil {
			t.Fatalf("Add(%d): %v", i, err)
		}
	}
	if !good.Matches(seq(1, 51)) {
		t.Error("the digest of entries 1 to 50 does not match them")
	}
	if good.Matches(seq(1, 50)) || good.Matches(seq(2, 52)) {
		t.Error("the digest of entries 1 to 50 matches another range")
	}

	flipped := NewDigest(128)
	for i := uint64(1); i <= 50; i++ {
		p := New(i, 128)
		if i == 30 {
			p[100] ^= 1
		}
		if err := flipped.Add(i, p); err != nil {
			t.Fatalf("Add(%d): %v", i, err)
		}
	}
	if flipped.Matches(seq(1, 51)) {
		t.Error("a flipped bit in entry 30 went unnoticed")
	}

	var m *MismatchError
	if err := NewDigest(128).Add(5, New(6, 128)); !errors.As(err, &m) || m.Index != 5 {
		t.Errorf("Add of another index's payload: %v, want a MismatchError", err)
	}
	if err := NewDigest(128).Add(5, New(5, 64)); !errors.As(err, &m) || m.Offset != -1 {
		t.Errorf("Add of a short payload: %v, want a length mismatch", err)
	}
}

// BenchmarkDigest128 is the cost a sequential read adds per 128 B entry.
func BenchmarkDigest128(b *testing.B) {
	d := NewDigest(128)
	p := New(42, 128)
	for b.Loop() {
		if err := d.Add(42, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck128 is the cost of a full check of a 128 B payload, which a
// random read pays outside its timed call.
func BenchmarkCheck128(b *testing.B) {
	c := NewChecker(128)
	p := New(42, 128)
	for b.Loop() {
		if err := c.Check(42, p); err != nil {
			b.Fatal(err)
		}
	}
}
