package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/internal/failpoint"
)

// MetaFileName is the file in a log's directory that records that the log
// exists and, after a clean Close, exactly where it ends. It is what lets
// Open tell a log whose files were removed or cut from a new or shorter one:
// without it, a directory whose only chunk was deleted would open as an
// empty log.
//
// It is written whole, through a temporary file renamed over it, and holds
// either "open" (the log may be written; after a crash its end is whatever
// recovery finds), "closed at end E in chunk C with salt S", or "a repair
// cut the log from offset F, where it ended at E" (see
// InterruptedRepairError). The first write after Open marks it open before
// touching any chunk; Close marks it closed once everything is durable.
const MetaFileName = "META"

const (
	metaTemp = MetaFileName + ".tmp"
	// metaVersion is the version of a META file that says open or
	// closed; metaVersionRepair that of one that says a repair cut the
	// log: code that reads version 1 only refuses it rather than taking
	// the log for one that was merely open.
	metaVersion       = 1
	metaVersionRepair = 2
	metaSize          = 44 // version 1
	metaSizeRepair    = 52 // version 2: a mark (CutMarker) before the checksum
	metaFlagClean     = 1
	metaFlagRepair    = 2
)

var metaMagic = [8]byte{'R', 'A', 'F', 'T', 'M', 'E', 'T', 'A'}

// metaState is what the META file says, as far as the WAL knows.
type metaState int

const (
	metaNone   metaState = iota // no META file (a new log, or one from before version 2)
	metaOpen                    // the log may have been written since its last clean Close
	metaClean                   // the log was closed cleanly and not written since
	metaRepair                  // a repair cut the log, and it was not written or closed since
)

// meta is the content of the META file.
type meta struct {
	clean bool
	// repair: a repair cut the log from global offset last, where it
	// ended at end, and it was not written or closed since; salt is then
	// where the log starts (its first live chunk).
	repair bool
	last   uint64 // id of the last chunk (clean), where the cut began (repair)
	salt   uint64 // its salt (clean), the log's start (repair)
	end    uint64 // global offset where the log ends (clean), ended (repair)
	mark   uint64 // what the state machine said of the records cut (repair, CutMarker)
}

// firstChunk is the chunk a log with this META cannot be without, as far
// as META says: the last one of a clean log, the first live one of a log
// a repair cut, else chunk 0.
func (m meta) firstChunk() uint64 {
	switch {
	case m.clean:
		return m.last
	case m.repair:
		return m.salt
	}
	return 0
}

func (m meta) encode() []byte {
	b := make([]byte, 0, metaSize)
	b = append(b, metaMagic[:]...)
	version := uint16(metaVersion)
	if m.repair {
		version = metaVersionRepair
	}
	b = binary.LittleEndian.AppendUint16(b, version)
	var flags uint16
	if m.clean {
		flags |= metaFlagClean
	}
	if m.repair {
		flags |= metaFlagRepair
	}
	b = binary.LittleEndian.AppendUint16(b, flags)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, m.last)
	b = binary.LittleEndian.AppendUint64(b, m.salt)
	b = binary.LittleEndian.AppendUint64(b, m.end)
	if m.repair {
		b = binary.LittleEndian.AppendUint64(b, m.mark)
	}
	return binary.LittleEndian.AppendUint32(b, codec.Checksum(b))
}

// isMetaPath reports whether path names a META file (a cut or an error
// about META rather than a chunk).
func isMetaPath(path string) bool { return filepath.Base(path) == MetaFileName }

// readMeta reads the META file of dir; ok is false when there is none.
func readMeta(fsys fs.FS, dir string) (m meta, ok bool, err error) {
	path := filepath.Join(dir, MetaFileName)
	b, err := fs.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return meta{}, false, nil
	}
	if err != nil {
		return meta{}, false, fmt.Errorf("wal: reading %s: %w", path, err)
	}
	bad := func(reason string) error {
		return &CorruptionError{File: path, Offset: 0, Reason: "damaged META file: " + reason}
	}
	if len(b) < 16 || [8]byte(b[:8]) != metaMagic {
		return meta{}, false, bad(fmt.Sprintf("%d bytes, bad magic", len(b)))
	}
	sizes := map[uint16]int{metaVersion: metaSize, metaVersionRepair: metaSizeRepair}
	size, known := sizes[binary.LittleEndian.Uint16(b[8:])]
	if !known {
		// A version field that one damaged byte changed is damage; a
		// file of a version this code does not know, a version error.
		for _, n := range sizes {
			if len(b) == n && binary.LittleEndian.Uint32(b[n-4:]) != codec.Checksum(b[:n-4]) {
				return meta{}, false, bad("checksum mismatch")
			}
		}
		return meta{}, false, &VersionError{File: path, Version: binary.LittleEndian.Uint16(b[8:])}
	}
	switch {
	case len(b) != size:
		return meta{}, false, bad(fmt.Sprintf("%d bytes, want %d", len(b), size))
	case binary.LittleEndian.Uint32(b[size-4:]) != codec.Checksum(b[:size-4]):
		return meta{}, false, bad("checksum mismatch")
	}
	version, flags := binary.LittleEndian.Uint16(b[8:]), binary.LittleEndian.Uint16(b[10:])
	switch {
	case flags&^(metaFlagClean|metaFlagRepair) != 0, flags == metaFlagClean|metaFlagRepair,
		(version == metaVersionRepair) != (flags&metaFlagRepair != 0),
		binary.LittleEndian.Uint32(b[12:]) != 0:
		return meta{}, false, bad(fmt.Sprintf("version %d with flags %#x, reserved %#x", version, flags, binary.LittleEndian.Uint32(b[12:])))
	}
	m = meta{
		clean:  flags&metaFlagClean != 0,
		repair: flags&metaFlagRepair != 0,
		last:   binary.LittleEndian.Uint64(b[16:]),
		salt:   binary.LittleEndian.Uint64(b[24:]),
		end:    binary.LittleEndian.Uint64(b[32:]),
	}
	if m.repair {
		m.mark = binary.LittleEndian.Uint64(b[40:])
	}
	return m, true, nil
}

// Exists reports whether dir holds a log: a META file or a chunk file. A
// directory that does not exist holds none. A nil fsys is fs.OS().
func Exists(fsys fs.FS, dir string) (bool, error) {
	if fsys == nil {
		fsys = fs.OS()
	}
	names, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if _, ok := ParseChunkName(n); ok || n == MetaFileName {
			return true, nil
		}
	}
	return false, nil
}

// writeMeta replaces the META file durably: a temporary file, fsynced, then
// renamed over it, then the directory fsynced. A crash at any point leaves
// the old content or the new one.
func writeMeta(fsys fs.FS, dir string, m meta) error {
	tmp, path := filepath.Join(dir, metaTemp), filepath.Join(dir, MetaFileName)
	// A new file, never one opened by the temporary name: after a crash
	// that kept the new name of a rename but not the removal of the old
	// one, the old name is a second link to META, and truncating it would
	// empty META.
	if err := removeTemp(fsys, tmp); err != nil {
		return err
	}
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("wal: writing %s: %w", tmp, err)
	}
	_, err = f.Write(m.encode())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: writing %s: %w", tmp, err)
	}
	if err := failpoint.Inject("wal/beforeMetaRename"); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fmt.Errorf("wal: renaming %s: %w", tmp, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("wal: syncing directory after writing %s: %w", path, err)
	}
	return nil
}

// removeTemp removes a temporary file left by an earlier attempt, if any.
func removeTemp(fsys fs.FS, tmp string) error {
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wal: removing %s: %w", tmp, err)
	}
	return nil
}
