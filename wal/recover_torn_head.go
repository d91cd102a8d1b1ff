package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// tornHead reports whether chunk file f, whose head is not intact (no
// intact header or checkpoint: res), can be what a crash leaves of its head
// being written: nothing after the head's own synced marker is an intact
// synced marker, nor is an intact record right after the end that the
// checkpoint's frame gives (or that checkpointEnds finds, if its length
// field is what is damaged). A head is made durable before anything else is
// written to its chunk, so such records mean the chunk was in use and its
// head was damaged at rest: they may have been acknowledged, and the chunk
// must not be removed as one whose creation a crash cut short. (In version 2
// a sealed predecessor or META says as much; a version 1 log has neither.)
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
		if herr != nil && sc.nextMarker(ChunkHeaderSize) != ChunkHeaderSize {
			// Neither the header nor the head's marker (which names its
			// place) is this chunk's: the head's first sector never
			// landed, and what follows may be any file's stale bytes,
			// where a version 1 record, whose checksum binds no place,
			// would verify. One damaged byte leaves one of the two.
			continue
		}
		found := false
		if err := sc.markers(ChunkHeaderSize+1, func(int64, uint64) bool { found = true; return false }); err != nil {
			return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
		}
		if found {
			return false, nil
		}
		ends, err := checkpointEnds(c.f, cp, f.size, sc.seed(cp))
		if err != nil {
			return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
		}
		for _, end := range ends {
			sc.off = end
			_, _, _, err := sc.next()
			switch {
			case err == nil:
				return false, nil // a record right after the checkpoint
			case !errors.Is(err, codec.ErrIncomplete) && !errors.Is(err, codec.ErrChecksum) && !errors.Is(err, codec.ErrTooLarge):
				return false, fmt.Errorf("wal: reading %s: %w", c.path, err)
			}
		}
	}
	return true, nil
}

// lengthRepairWindow bounds the checkpoint frames checkpointEnds tries: a
// checkpoint is a small record, and each try checksums its whole frame.
const lengthRepairWindow = 64 << 10

// checkpointEnds returns the file offsets, before size, where the
// checkpoint whose frame starts at file offset cp may end: where its length
// field says, and, when that frame fails its checksum (seeded with seed),
// where each frame ends whose length differs from the field in one byte and
// that verifies. A damaged length field would otherwise hide where the
// records after the checkpoint start, and with them the evidence that the
// chunk was in use. Only frames that end within lengthRepairWindow bytes of
// cp are tried; a frame that verifies by chance (odds 2^-32 per try) can
// only make recovery refuse a chunk it would have removed.
func checkpointEnds(f fs.File, cp, size int64, seed uint32) ([]int64, error) {
	if cp >= size {
		return nil, nil
	}
	buf := make([]byte, min(size-cp, lengthRepairWindow))
	if _, err := f.ReadAt(buf, cp); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(buf) < codec.HeaderSize {
		return nil, nil
	}
	// The length is read raw: a damaged one may be over any limit.
	stated := binary.LittleEndian.Uint32(buf)
	var ends []int64
	if end := cp + int64(stated) + codec.Overhead; end < size {
		ends = append(ends, end)
	}
	verifies := func(n uint32) bool {
		if int64(n)+codec.Overhead > int64(len(buf)) {
			return false
		}
		var hdr [codec.HeaderSize]byte
		binary.LittleEndian.PutUint32(hdr[:], n)
		hdr[4] = buf[4]
		crc := codec.UpdateChecksum(codec.UpdateChecksum(seed, hdr[:]), buf[codec.HeaderSize:codec.HeaderSize+n])
		return crc == binary.LittleEndian.Uint32(buf[codec.HeaderSize+n:])
	}
	if verifies(stated) {
		return ends, nil
	}
	for b := range 4 {
		for v := range 256 {
			if byte(v) == buf[b] {
				continue
			}
			var n [4]byte
			copy(n[:], buf[:4])
			n[b] = byte(v)
			if l := binary.LittleEndian.Uint32(n[:]); verifies(l) {
				if end := cp + int64(l) + codec.Overhead; end < size {
					ends = append(ends, end)
				}
			}
		}
	}
	return ends, nil
}
