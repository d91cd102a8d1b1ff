package payload

import (
	"encoding/binary"
	"hash/crc32"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Digest checks payloads cheaply inside a timed loop: Add checks a payload's
// length and the index in its first bytes, and folds its bytes into a CRC-32C
// (hardware-accelerated, about 10 ns for 128 B). After the loop, Matches
// compares the CRC with the one of the payloads that should have come, made
// outside the timed section. A damaged byte anywhere changes the CRC; a
// payload of another index fails Add at once.
type Digest struct {
	size  int
	crc   uint32
	count uint64
}

// NewDigest returns a Digest for payloads of size bytes.
func NewDigest(size int) *Digest { return &Digest{size: size} }

// Add checks that got has the length and the index prefix of entry index's
// payload (a *MismatchError if not) and folds it into the digest.
func (d *Digest) Add(index uint64, got []byte) error {
	if len(got) != d.size {
		return &MismatchError{Index: index, Got: len(got), Want: d.size, Offset: -1}
	}
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], index)
	for i := 0; i < len(w) && i < len(got); i++ {
		if got[i] != w[i] {
			return &MismatchError{Index: index, Got: len(got), Want: d.size, Offset: i}
		}
	}
	d.crc = crc32.Update(d.crc, castagnoli, got)
	d.count++
	return nil
}

// Count is the number of payloads added.
func (d *Digest) Count() uint64 { return d.count }

// Matches reports whether the digest is that of the payloads of indexes, in
// order (made here, at their full cost).
func (d *Digest) Matches(indexes func(yield func(uint64) bool)) bool {
	want := NewDigest(d.size)
	p := make([]byte, d.size)
	for i := range indexes {
		Fill(p, i)
		want.crc = crc32.Update(want.crc, castagnoli, p)
		want.count++
	}
	return want.crc == d.crc && want.count == d.count
}
