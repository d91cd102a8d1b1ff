// Package payload derives every entry's bytes from its index, so that a
// reader can check what it got back without keeping what was written.
package payload

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Fill writes the payload of entry index into p (its whole length): the
// index in the first 8 bytes (little-endian, cut to len(p)), then a
// splitmix64 stream seeded by the index, so that an entry read at the wrong
// index, a short payload or a damaged byte all show.
func Fill(p []byte, index uint64) {
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], index)
	n := copy(p, w[:])
	x := index
	for ; n < len(p); n += 8 {
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		if n+8 <= len(p) {
			binary.LittleEndian.PutUint64(p[n:], z)
			continue
		}
		binary.LittleEndian.PutUint64(w[:], z)
		copy(p[n:], w[:])
	}
}

// New returns a fresh payload of size bytes for entry index.
func New(index uint64, size int) []byte {
	p := make([]byte, size)
	Fill(p, index)
	return p
}

// MismatchError says that the payload read at Index is not the one written.
type MismatchError struct {
	Index     uint64
	Got, Want int // lengths
	Offset    int // first differing byte, or -1 when only the lengths differ
}

func (e *MismatchError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("payload of entry %d: %d bytes, want %d", e.Index, e.Got, e.Want)
	}
	return fmt.Sprintf("payload of entry %d differs at byte %d", e.Index, e.Offset)
}

// Checker checks payloads of one size, reusing its buffer. It is not safe
// for concurrent use.
type Checker struct {
	want []byte
}

// NewChecker returns a Checker for payloads of size bytes.
func NewChecker(size int) *Checker {
	return &Checker{want: make([]byte, size)}
}

// Check returns a *MismatchError unless got is the payload of entry index.
func (c *Checker) Check(index uint64, got []byte) error {
	Fill(c.want, index)
	if len(got) != len(c.want) {
		return &MismatchError{Index: index, Got: len(got), Want: len(c.want), Offset: -1}
	}
	if !bytes.Equal(got, c.want) {
		off := 0
		for got[off] == c.want[off] {
			off++
		}
		return &MismatchError{Index: index, Got: len(got), Want: len(c.want), Offset: off}
	}
	return nil
}
