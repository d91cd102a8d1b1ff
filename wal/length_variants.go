package wal

import (
	"encoding/binary"
	"errors"
	"io"

	"github.com/raftlog/raftlog/codec"
)

// eachLength calls try with the length field of the record header at file
// offset at (stated true), then with each of the 1,020 values that differ
// from it in one byte, until try stops it: a damaged length field hides
// where its record ends, and with it the records after. The field is read
// raw, as a damaged one may be over any limit; kind is the header's kind
// byte. Nothing is tried when the header lies past the end of the file.
func eachLength(sc *chunkScan, at int64, try func(n uint32, kind byte, stated bool) (stop bool, err error)) error {
	var hdr [codec.HeaderSize]byte
	if _, err := sc.f.ReadAt(hdr[:], at); errors.Is(err, io.EOF) {
		return nil
	} else if err != nil {
		return err
	}
	if stop, err := try(binary.LittleEndian.Uint32(hdr[:]), hdr[4], true); stop || err != nil {
		return err
	}
	for b := range 4 {
		for v := range 256 {
			if byte(v) == hdr[b] {
				continue
			}
			n := hdr
			n[b] = byte(v)
			if stop, err := try(binary.LittleEndian.Uint32(n[:]), hdr[4], false); stop || err != nil {
				return err
			}
		}
	}
	return nil
}

// recordStartsAt reports whether an intact record starts at file offset at
// (through the scan's buffer, a read of up to scanBuffer bytes when the
// place is outside it).
func recordStartsAt(sc *chunkScan, at int64) (bool, error) {
	if at >= sc.size {
		return false, nil
	}
	sc.off = at
	_, _, _, err := sc.next()
	if isFramingError(err) {
		return false, nil
	}
	return err == nil, err
}
