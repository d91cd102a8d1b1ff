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
