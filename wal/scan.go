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
	size  int64 // file size when the scan started
	max   int   // record body limit
	buf   []byte
	bufAt int64 // file offset of buf[0]
	off   int64 // file offset of the next record
}

func newChunkScan(f fs.File, size int64, max int) *chunkScan {
	return &chunkScan{f: f, size: size, max: max}
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

// header returns the chunk header's bytes, or fewer when the file is shorter.
func (s *chunkScan) header() ([]byte, error) {
	n := min(int64(ChunkHeaderSize), s.size)
	b, err := s.window(n)
	if err != nil {
		return nil, err
	}
	s.off = n
	return b, nil
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
	kind, body, _, err = codec.DecodeRecord(b, s.max)
	if err != nil {
		return 0, nil, at, err
	}
	s.off += n
	return kind, body, at, nil
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

// durableClaim looks past a damaged record at file offset from of chunk id
// for an intact synced marker that sits where it says it does, and returns
// the largest global offset such markers state was durable (0 if none). A
// marker is only written after the fsync it reports, so a claim beyond the
// damage proves the damage is not a torn write but corruption of durable
// data.
func durableClaim(f fs.File, id uint64, from, size int64) (uint64, error) {
	var best uint64
	buf := make([]byte, 0, scanBuffer+markerSize)
	for at := from; at < size; {
		n := min(int64(scanBuffer+markerSize), size-at)
		buf = buf[:n]
		got, err := f.ReadAt(buf, at)
		if int64(got) < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		for p := 0; p+markerSize <= len(buf); p++ {
			if buf[p] != markerBody || buf[p+1] != 0 || buf[p+2] != 0 || buf[p+3] != 0 || codec.Kind(buf[p+4]) != kindSynced {
				continue
			}
			if _, body, _, err := codec.DecodeRecord(buf[p:p+markerSize], markerBody); err == nil {
				if v, err := markerValue(body, id+uint64(at)+uint64(p)); err == nil {
					best = max(best, v)
				}
			}
		}
		if at+n >= size {
			break
		}
		at += n - (markerSize - 1) // overlap so a marker across the boundary is seen
	}
	return best, nil
}
