package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// Summarizer is an optional extension of a StateMachine: when the state
// machine implements it, every chunk that is sealed, and the last chunk of a
// log closed cleanly, get an index file (IndexName) holding the state
// machine's summary of the chunk, and Open applies that summary instead of
// reading the chunk: a reopen then reads a few bytes per entry rather than
// the whole log.
//
// An index file is a cache. It is bound to its chunk (id, salt, and the
// offset where the chunk's records end), checksummed, and written without
// an fsync; Open reads the chunk in full when the file is missing, damaged,
// or describes another chunk or another end, and when Config.ReadAll is set.
// What Open then does not read, it does not verify: damage in a chunk whose
// summary Open applied is found by the read of the damaged entry (a
// *CorruptionError) or by a full check (Config.ReadAll, `raftlog verify`).
type Summarizer[R any] interface {
	// Summarize appends to dst the summary of chunk [chunk, end) as the
	// state machine holds it now, at the chunk's end: when the chunk is
	// sealed, pending and pendingPos are the records of the current
	// AppendBatch already appended to it (as for Checkpoint), which the
	// state machine has not applied yet. It is called on the appending
	// goroutine, or by Close once everything is durable.
	Summarize(dst []byte, chunk, end uint64, pending []R, pendingPos []Position) []byte
	// ApplySummary applies, at Open, the summary of the chunk starting at
	// chunk, in place of its records. summary is valid only during the
	// call: Open reads every index file into one buffer. The chunks are applied in log order,
	// each by summary or by replay. An error (a summary that does not
	// decode) must leave the state machine as it was: Open then replays the
	// chunk instead.
	ApplySummary(summary []byte, chunk uint64) error
}

// IndexName is the name of the index file of the chunk starting at global
// offset id: the chunk's name with ".idx" for ".wal".
func IndexName(id uint64) string { return strings.TrimSuffix(ChunkName(id), ".wal") + ".idx" }

func (w *WAL[R]) indexPath(id uint64) string { return filepath.Join(w.cfg.Dir, IndexName(id)) }

// parseIndexName returns the chunk id an index file name (or its temporary
// name) belongs to.
func parseIndexName(name string) (uint64, bool) {
	name = strings.TrimSuffix(name, ".tmp")
	if !strings.HasSuffix(name, ".idx") {
		return 0, false
	}
	return ParseChunkName(strings.TrimSuffix(name, ".idx") + ".wal")
}

// The index file:
//
//	magic "RAFTIDX\0"  version u16  flags u16  reserved u32
//	chunk u64  salt u64  end u64  start u64  records u32  length u32
//	summary[length]  crc u32
//
// end: the global offset where the chunk's records end (its seal's offset,
// or the log's end after a clean Close); start: the log's first offset as
// the WAL knew it then; records: the chunk's caller records, checkpoint
// included; crc: CRC-32C of everything before it.
const (
	indexVersion    = 1
	indexHeaderSize = 56
)

var indexMagic = [8]byte{'R', 'A', 'F', 'T', 'I', 'D', 'X', 0}

// indexFile is an index file's header and summary.
type indexFile struct {
	chunk, salt, end, start uint64
	records                 uint32
	summary                 []byte
}

// header is the file's bytes before the summary.
func (x indexFile) header() []byte {
	b := make([]byte, 0, indexHeaderSize)
	b = append(b, indexMagic[:]...)
	b = binary.LittleEndian.AppendUint16(b, indexVersion)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 0)
	for _, v := range []uint64{x.chunk, x.salt, x.end, x.start} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	b = binary.LittleEndian.AppendUint32(b, x.records)
	return binary.LittleEndian.AppendUint32(b, uint32(len(x.summary)))
}

// write writes the file's bytes to f in three parts, the summary in place:
// a summary is megabytes for a chunk of small entries, and a copy of it
// beside the original would double the memory a seal takes.
func (x indexFile) write(f fs.File) error {
	h := x.header()
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], codec.UpdateChecksum(codec.Checksum(h), x.summary))
	for _, part := range [][]byte{h, x.summary, crc[:]} {
		if _, err := f.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// errIndex is why an index file cannot be used; Open then reads the chunk.
var errIndex = errors.New("index file unusable")

func decodeIndex(b []byte) (indexFile, error) {
	var x indexFile
	if len(b) < indexHeaderSize+4 || [8]byte(b[:8]) != indexMagic {
		return x, fmt.Errorf("%w: not an index file", errIndex)
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != indexVersion {
		return x, fmt.Errorf("%w: version %d", errIndex, v)
	}
	n := binary.LittleEndian.Uint32(b[52:])
	if uint64(len(b)) != indexHeaderSize+uint64(n)+4 {
		return x, fmt.Errorf("%w: %d bytes, the header says %d", errIndex, len(b), indexHeaderSize+uint64(n)+4)
	}
	body := b[:len(b)-4]
	if codec.Checksum(body) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return x, fmt.Errorf("%w: checksum mismatch", errIndex)
	}
	x.chunk = binary.LittleEndian.Uint64(b[16:])
	x.salt = binary.LittleEndian.Uint64(b[24:])
	x.end = binary.LittleEndian.Uint64(b[32:])
	x.start = binary.LittleEndian.Uint64(b[40:])
	x.records = binary.LittleEndian.Uint32(b[48:])
	x.summary = body[indexHeaderSize:]
	return x, nil
}

// writeIndex writes chunk c's index file: to a temporary name, then renamed.
// No fsync: the file is a cache that Open checks before it trusts it. A
// failure is logged, not fatal: Open then reads the chunk.
func (w *WAL[R]) writeIndex(x indexFile) {
	path := w.indexPath(x.chunk)
	tmp := path + ".tmp"
	err := removeTemp(w.fs, tmp) // a new file: the old name may link to an index file (see writeMeta)
	if err == nil {
		var f fs.File
		if f, err = w.fs.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
			err = x.write(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err == nil {
		err = w.fs.Rename(tmp, path)
	}
	if err != nil {
		w.cfg.Logger.Warn("wal: writing an index file failed; Open will read the chunk instead", "file", path, "err", err)
		w.fs.Remove(tmp)
		return
	}
	w.cfg.Logger.Debug("wal: wrote an index file", "file", path, "bytes", indexHeaderSize+len(x.summary)+4)
}

// writeIndexes writes the index files of the chunks a round sealed, after
// the round's callbacks: a Sync that rotated does not wait for them.
func (w *WAL[R]) writeIndexes() {
	for i, x := range w.indexes {
		if c := w.chunkAt(x.chunk); c != nil && c.id == x.chunk && !c.removed.Load() {
			w.writeIndex(*x)
		}
		w.indexes[i] = nil
	}
	w.indexes = w.indexes[:0]
}

// removeIndex removes chunk id's index file, if any.
func (w *WAL[R]) removeIndex(id uint64) {
	path := w.indexPath(id)
	if err := w.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.cfg.Logger.Warn("wal: removing an index file failed", "file", path, "err", err)
	}
}

// readIndex reads the index file of chunk id, if there is a usable one
// for a chunk with this salt whose records end at end, into *buf (whose
// storage it reuses and keeps).
func (w *WAL[R]) readIndex(id, salt, end uint64, buf *[]byte) (indexFile, bool) {
	path := w.indexPath(id)
	b, err := fs.ReadFileInto(w.fs, path, *buf)
	*buf = b
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.cfg.Logger.Debug("wal: cannot read an index file; reading the chunk", "file", path, "err", err)
		}
		return indexFile{}, false
	}
	x, err := decodeIndex(b)
	switch {
	case err != nil:
	case x.chunk != id || x.salt != salt:
		err = fmt.Errorf("%w: it is for another chunk", errIndex)
	case x.end != end:
		err = fmt.Errorf("%w: it ends at %d, the chunk at %d", errIndex, x.end, end)
	}
	if err != nil {
		w.cfg.Logger.Debug("wal: ignoring an index file; reading the chunk", "file", path, "err", err)
		return indexFile{}, false
	}
	return x, true
}

// indexOf is the summary of chunk c as the state machine holds it now, at
// the chunk's end (see Summarizer.Summarize), ready to be written.
func (w *WAL[R]) indexOf(c *chunk, end uint64, pending []R, pendingPos []Position) *indexFile {
	if w.sum == nil {
		return nil
	}
	return &indexFile{chunk: c.id, salt: c.salt, end: end, start: w.start, records: uint32(c.records),
		summary: w.sum.Summarize(nil, c.id, end, pending, pendingPos)}
}
