package wal

import (
	"errors"
	"io"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// scanBuffer is how much of a chunk a scan reads at a time. Records larger
// than this grow the buffer to fit, bounded by the record limit and by the
// bytes left in the file.
const scanBuffer = 1 << 20

// chunkScan reads one chunk file front to back: its header, then one framed
// record at a time. Memory is bounded by scanBuffer plus the largest record.
type chunkScan struct {
	f     fs.File
	id    uint64 // the chunk's id: global offset of file offset 0
	size  int64  // file size when the scan started
	max   int    // record body limit
	h     header // what the header says, once read
	buf   []byte
	bufAt int64 // file offset of buf[0]
	off   int64 // file offset of the next record
}

func newChunkScan(f fs.File, id uint64, size int64, max int) *chunkScan {
	return &chunkScan{f: f, id: id, size: size, max: max}
}

// seed is the checksum seed of a record at file offset at.
func (s *chunkScan) seed(at int64) uint32 {
	return recordSeed(s.h.version, s.h.salt, s.id+uint64(at))
}

// window returns the file's bytes [s.off, s.off+n), reading them if needed.
// n must not run past the file's size.
func (s *chunkScan) window(n int64) ([]byte, error) {
	if s.off >= s.bufAt && s.off+n <= s.bufAt+int64(len(s.buf)) {
		return s.buf[s.off-s.bufAt : s.off-s.bufAt+n], nil
	}
	want := max(n, scanBuffer)
	want = min(want, s.size-s.off)
	if int64(cap(s.buf)) < want {
		s.buf = make([]byte, want)
	}
	s.buf = s.buf[:want]
	got, err := s.f.ReadAt(s.buf, s.off)
	if int64(got) < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // the file shrank under us
		}
		s.buf = s.buf[:0]
		return nil, err
	}
	s.bufAt = s.off
	return s.buf[:n], nil
}

// header reads and checks the chunk's header; a *headerError says why it is
// unusable, an error an I/O failure.
func (s *chunkScan) header() (*headerError, error) {
	n := min(int64(ChunkHeaderSize), s.size)
	b, err := s.window(n)
	if err != nil {
		return nil, err
	}
	s.off = n
	h, herr := parseHeader(b, s.id)
	s.h = h
	return herr, nil
}

// next decodes the record at s.off and advances past it. It returns io.EOF
// exactly at the end of the file; a codec error (incomplete, checksum, too
// large) leaves s.off at the damaged record. The body aliases the scan buffer
// and is valid until the next call.
func (s *chunkScan) next() (kind codec.Kind, body []byte, at int64, err error) {
	at = s.off
	if at >= s.size {
		return 0, nil, at, io.EOF
	}
	left := s.size - at
	h, err := s.window(min(int64(codec.HeaderSize), left))
	if err != nil {
		return 0, nil, at, err
	}
	bodyLen, _, err := codec.ParseHeader(h, s.max)
	if err != nil {
		return 0, nil, at, err
	}
	n := int64(codec.RecordSize(bodyLen))
	if n > left {
		return 0, nil, at, &codec.IncompleteError{Need: int(n), Have: int(left)}
	}
	b, err := s.window(n)
	if err != nil {
		return 0, nil, at, err
	}
	kind, body, _, err = codec.DecodeRecordSeed(b, s.max, s.seed(at))
	if err != nil {
		return 0, nil, at, err
	}
	s.off += n
	return kind, body, at, nil
}

// nonZeroEnd returns the file offset just past the last byte that is not
// zero from offset from on, or from if every byte to the end of the file is
// zero: the unwritten part of a zero-filled tail (Config.PreallocateBytes),
// not a damaged record. It reads through the scan buffer and leaves s.off
// alone.
func (s *chunkScan) nonZeroEnd(from int64) (int64, error) {
	off := s.off
	defer func() { s.off = off }()
	end := from
	for s.off = from; s.off < s.size; {
		b, err := s.window(min(s.size-s.off, scanBuffer))
		if err != nil {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != 0 {
				end = s.off + int64(i) + 1
				break
			}
		}
		s.off += int64(len(b))
	}
	return end, nil
}

// rawBody returns the body of the record at s.off without checking its
// checksum, and advances past it. Only the AcceptTornRecord bug uses it.
func (s *chunkScan) rawBody() (codec.Kind, []byte, bool) {
	left := s.size - s.off
	h, err := s.window(min(int64(codec.HeaderSize), left))
	if err != nil {
		return 0, nil, false
	}
	bodyLen, kind, err := codec.ParseHeader(h, s.max)
	if err != nil || int64(codec.RecordSize(bodyLen)) > left {
		return 0, nil, false
	}
	b, err := s.window(int64(codec.RecordSize(bodyLen)))
	if err != nil {
		return 0, nil, false
	}
	s.off += int64(codec.RecordSize(bodyLen))
	return kind, b[codec.HeaderSize : codec.HeaderSize+bodyLen], true
}

// durableClaim looks past a damaged record at file offset from for intact
// synced markers that sit where they say they do, and returns the largest
// global offset such markers state was durable (0 if none). A marker is only
// written after the fsync it reports, so a claim beyond the damage proves
// the damage is not a torn write but corruption of durable data.
func (s *chunkScan) durableClaim(from int64) (uint64, error) {
	var best uint64
	err := s.markers(from, func(_ int64, v uint64) bool {
		best = max(best, v)
		return true
	})
	return best, err
}

// nextMarker returns the file offset of the first intact synced marker at
// or after from, or -1; the error is a failed read.
func (s *chunkScan) nextMarker(from int64) (int64, error) {
	found := int64(-1)
	err := s.markers(from, func(off int64, _ uint64) bool {
		found = off
		return false
	})
	return found, err
}

// markers calls fn with the file offset and value of every intact synced
// marker at or after from, in order, until fn returns false. A marker is
// intact when its frame checks out with the checksum seed of the place it
// is found at and it names that place.
func (s *chunkScan) markers(from int64, fn func(off int64, v uint64) bool) error {
	return s.markersOf(kindSynced, from, fn)
}

// markersOf is markers for markers of the given kind (synced or trim).
func (s *chunkScan) markersOf(kind codec.Kind, from int64, fn func(off int64, v uint64) bool) error {
	buf := make([]byte, 0, scanBuffer+markerSize)
	for at := from; at < s.size; {
		n := min(int64(scanBuffer+markerSize), s.size-at)
		buf = buf[:n]
		got, err := s.f.ReadAt(buf, at)
		if int64(got) < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		for p := 0; p+markerSize <= len(buf); p++ {
			if buf[p] != markerBody || buf[p+1] != 0 || buf[p+2] != 0 || buf[p+3] != 0 || codec.Kind(buf[p+4]) != kind {
				continue
			}
			off := at + int64(p)
			if _, body, _, err := codec.DecodeRecordSeed(buf[p:p+markerSize], markerBody, s.seed(off)); err == nil {
				if v, err := markerValue(body, s.id+uint64(off)); err == nil && !fn(off, v) {
					return nil
				}
			}
		}
		if at+n >= s.size {
			break
		}
		at += n - (markerSize - 1) // overlap so a marker across the boundary is seen
	}
	return nil
}

// endsWithClosingMarker reports whether the file ends with an intact
// synced marker vouching for every byte before it, as a clean Close ends
// the newest chunk.
func (s *chunkScan) endsWithClosingMarker() bool {
	at := s.size - markerSize
	if at < ChunkHeaderSize {
		return false
	}
	var b [markerSize]byte
	if n, _ := s.f.ReadAt(b[:], at); n < markerSize {
		return false
	}
	kind, body, _, err := codec.DecodeRecordSeed(b[:], markerBody, s.seed(at))
	if err != nil || kind != kindSynced {
		return false
	}
	v, err := markerValue(body, s.id+uint64(at))
	return err == nil && v == s.id+uint64(at)
}

// tailSeal reports whether the file ends with an intact seal, whatever lies
// before it: a damaged chunk with an intact seal was complete when sealed.
func (s *chunkScan) tailSeal() (seal, bool) {
	at := s.size - sealSize
	if at < ChunkHeaderSize {
		return seal{}, false
	}
	b := make([]byte, sealSize)
	if n, _ := s.f.ReadAt(b, at); n < sealSize {
		return seal{}, false
	}
	kind, body, _, err := codec.DecodeRecordSeed(b, sealBody, s.seed(at))
	if err != nil || kind != kindSeal {
		return seal{}, false
	}
	sl, err := parseSeal(body, s.id+uint64(at))
	return sl, err == nil
}
