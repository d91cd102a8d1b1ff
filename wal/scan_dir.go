package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// Found is one item Scan reports: a record, or the damage that ended the
// scan of a chunk.
type Found[R any] struct {
	// Chunk is the chunk's id; File its path.
	Chunk uint64
	File  string
	// N numbers the chunk's records from 0 (markers included).
	N int
	// Offset is the record's offset in the file; Size its framed size.
	Offset int64
	Size   int
	// Kind says what the record is.
	Kind Kind
	// Rec is the decoded record (KindRecord and KindCheckpoint).
	Rec R
	// Version and Salt are what the chunk's header says.
	Version uint16
	Salt    uint64
	// Value is the offset a KindSynced or KindTrim record states, or the
	// next chunk a KindSeal names.
	Value uint64
	// Seal is the content of a KindSeal record.
	Seal SealInfo
	// Err, when not nil, is damage at Offset: the chunk's scan stops
	// there and the next chunk follows.
	Err error
}

// Scan reads every chunk file in dir as it is on disk, in order, and calls fn
// for each record and for the damage, if any, that ends a chunk. It takes no
// lock and modifies nothing, so it can inspect a log that is open elsewhere
// (seeing only what has been written) or one that fails to open. A record's
// length is trusted up to what is left of its file, as in recovery. Zeros
// that fill a version 2 chunk from the end of its records to the end of its
// file (written ahead, Config.PreallocateBytes) end its scan as the end of
// the file would: whether they are damage depends on how the log was closed,
// which only Open judges. An error from fn stops the scan and is returned.
// A nil fsys is fs.OS().
func Scan[R any](fsys fs.FS, dir string, c codec.Codec[R], fn func(Found[R]) error) error {
	if fsys == nil {
		fsys = fs.OS()
	}
	names, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, name := range names {
		id, ok := ParseChunkName(name)
		if !ok {
			continue
		}
		if err := scanChunk(fsys, filepath.Join(dir, name), id, c, fn); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

func scanChunk[R any](fsys fs.FS, path string, id uint64, c codec.Codec[R], fn func(Found[R]) error) error {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	sc := newChunkScan(f, id, fi.Size(), readLimit)
	herr, err := sc.header()
	if err != nil {
		return err
	}
	if herr != nil {
		var e error = &CorruptionError{File: path, Chunk: id, Offset: 0, Reason: herr.reason}
		if herr.badVersion {
			e = &VersionError{File: path, Version: herr.version}
		}
		return fn(Found[R]{Chunk: id, File: path, Err: e})
	}
	for n := 0; ; n++ {
		kind, body, at, err := sc.next()
		if err == io.EOF {
			return nil
		}
		item := Found[R]{Chunk: id, File: path, Version: sc.h.version, Salt: sc.h.salt, N: n, Offset: at, Size: int(sc.off - at)}
		if err != nil {
			if !isFramingError(err) {
				return err
			}
			if sc.h.version >= 2 {
				if end, zerr := sc.nonZeroEnd(at); zerr != nil {
					return zerr
				} else if end == at {
					return nil
				}
			}
			item.Size, item.Err = 0, &CorruptionError{File: path, Chunk: id, Offset: at, Reason: "damaged record", Err: err}
			return fn(item)
		}
		switch kind {
		case kindSynced, kindTrim:
			item.Kind = KindSynced
			if kind == kindTrim {
				item.Kind = KindTrim
			}
			item.Value, item.Err = markerValue(body, id+uint64(at))
		case kindSeal:
			item.Kind = KindSeal
			var sl seal
			sl, item.Err = parseSeal(body, id+uint64(at))
			item.Value = sl.next
			item.Seal = SealInfo{Next: sl.next, Salt: sl.salt, Start: sl.start, Records: int(sl.records)}
		case kindRecord, kindCheckpoint:
			item.Kind = KindRecord
			if kind == kindCheckpoint {
				item.Kind = KindCheckpoint
			}
			var used int
			item.Rec, used, item.Err = c.Decode(body)
			if item.Err == nil && used != len(body) {
				item.Err = fmt.Errorf("codec used %d of %d bytes", used, len(body))
			}
		default:
			item.Err = fmt.Errorf("unknown record kind %d", kind)
		}
		if item.Err != nil {
			item.Err = &CorruptionError{File: path, Chunk: id, Offset: at, Reason: "record does not decode", Err: item.Err}
		}
		if err := fn(item); err != nil {
			return err
		}
		if item.Err != nil {
			return nil
		}
	}
}

// SealInfo is what a seal says: the next chunk's id (global offset) and
// salt, the log's first offset when the chunk was sealed, and how many
// caller records (checkpoint included) the chunk holds.
type SealInfo struct {
	Next, Salt, Start uint64
	Records           int
}

// ErrStop may be returned by a Scan callback to end the scan early; Scan then
// returns nil.
var ErrStop = errors.New("wal: stop scanning")
