package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
)

// tornHead reports whether chunk file f, whose head is not intact (no
// intact header or checkpoint: res), can be what a crash leaves of its head
// being written: nothing after the head's own synced marker is an intact
// synced marker, nor is an intact record right after the end that the
// checkpoint's frame gives (or that recordAfterCheckpoint finds, if its
// length field is what is damaged). A head is made durable before anything
// else is written to its chunk, so such records mean the chunk was in use
// and its head was damaged at rest: they may have been acknowledged, and
// the chunk must not be removed as one whose creation a crash cut short.
// (In version 2 a sealed predecessor or META says as much; a version 1 log
// has neither.)
// Anything else past the head proves nothing: a power loss can leave stale
// bytes in blocks the file was given but whose data never landed. So the
// evidence counts only where it is bound to this chunk: a marker names its
// place, and a record is believed only when the header or the head's
// marker shows that the head's first sector is this chunk's. For an intact
// head it returns false: headOnly judges those, and its callers ask only
// about damaged ones.
func (w *WAL[R]) tornHead(f chunkFile, res replayed) (bool, error) {
	if res.version != 0 && res.checkpoint {
		return false, nil // an intact head: headOnly judges it
	}
	c := &chunk{id: f.id, path: w.chunkPath(f.id)}
	if err := w.openChunkFile(c, false); err != nil {
		return false, err
	}
	defer c.f.Close()
	sc := newChunkScan(c.f, c.id, f.size, readLimit)
	// The header may be what is damaged: then check seeded as version 1
	// and as version 2 with the salt the header holds.
	var raw [ChunkHeaderSize]byte
	if _, err := c.f.ReadAt(raw[:], 0); err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
	}
	cp := int64(ChunkHeaderSize + markerSize) // the checkpoint's frame
	hdr, herr := parseHeader(raw[:], f.id)
	seeds := []header{hdr}
	if herr != nil {
		seeds = []header{{version: formatV1}, {version: FormatVersion, salt: binary.LittleEndian.Uint64(raw[20:])}}
	}
	for _, h := range seeds {
		sc.h = h
		if herr != nil {
			head, err := sc.nextMarker(ChunkHeaderSize)
			if err != nil {
				return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
			}
			if head != ChunkHeaderSize {
				// Neither the header nor the head's marker (which names
				// its place) is this chunk's: the head's first sector
				// never landed, and what follows may be any file's stale
				// bytes, where a version 1 record, whose checksum binds
				// no place, would verify. One damaged byte leaves one of
				// the two.
				continue
			}
		}
		found := false
		if err := sc.markers(ChunkHeaderSize+1, func(int64, uint64) bool { found = true; return false }); err != nil {
			return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
		}
		if found {
			return false, nil
		}
		found, err := recordAfterCheckpoint(sc, cp)
		if err != nil {
			return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
		}
		if found {
			return false, nil
		}
	}
	return true, nil
}

// recordAfterCheckpoint reports whether an intact record starts where the
// checkpoint whose frame starts at file offset cp ends (checked with sc's
// header): where its length field says, or, if that field is what is
// damaged, where a frame whose length differs from it in one byte ends,
// provided that frame verifies. A damaged length would otherwise hide the
// records after the checkpoint, and with them the evidence that the chunk
// was in use. Each of the 1,020 variants costs a look at the record where
// it ends (through the scan's buffer, a read of up to scanBuffer bytes
// when the place is outside it); only one with an intact record there has
// the checkpoint's frame checksummed, so the checkpoint may have any size.
// A record and a frame that verify by chance (odds 2^-64) only make
// recovery refuse a chunk it would have removed.
func recordAfterCheckpoint(sc *chunkScan, cp int64) (bool, error) {
	found := false
	err := eachLength(sc, cp, func(n uint32, kind byte, stated bool) (bool, error) {
		ok, err := recordStartsAt(sc, cp+int64(n)+codec.Overhead)
		if !ok || err != nil {
			return false, err
		}
		if !stated {
			ok, err = frameVerifies(sc, cp, n, kind)
		}
		// The stated length reaching a record: the length is intact, and
		// the damage elsewhere in the head.
		found = ok
		return ok, err
	})
	return found, err
}

// frameVerifies reports whether the record frame at file offset cp, read as
// having a body of n bytes and the given kind, passes its checksum.
func frameVerifies(sc *chunkScan, cp int64, n uint32, kind byte) (bool, error) {
	b := make([]byte, codec.HeaderSize+int64(n)+codec.TrailerSize)
	if _, err := sc.f.ReadAt(b, cp); err != nil {
		return false, err
	}
	binary.LittleEndian.PutUint32(b, n)
	b[4] = kind
	_, _, _, err := codec.DecodeRecordSeed(b, readLimit, sc.seed(cp))
	return err == nil, nil
}
