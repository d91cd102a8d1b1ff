package raftlog

import (
	"fmt"
	"io"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/wal"
)

// Dump writes a listing of every chunk file and every record in it, as they
// are on disk, after handing everything written so far to the flush worker
// and waiting for it to be written (not synced). See DumpDir for the format.
func (l *Log[L, P, V, U]) Dump(w io.Writer) error {
	if err := l.WaitIdle(); err != nil {
		return err
	}
	return DumpDir(l.cfg.FS, l.dir, l.t, w)
}

// DumpDir writes a listing of the log in dir without opening it (no lock, no
// repair), so it also works on a log that fails to open. Each chunk starts
// with a line naming its file; each record follows on its own line:
//
//	r-00_000_000_000_000_000_000.wal
//	  R-00000: [000_000_032, 000_000_057) Size(25): Synced(0)
//	  R-00001: [000_000_057, 000_000_073) Size(16): Checkpoint({Vote:<none> Last:<none> Committed:<none> Purged:<none> UserData:<none>})
//	  R-00002: [000_000_073, 000_000_103) Size(30): Append({Term:1 Index:1}, "one")
//
// with offsets inside the file. Damage prints "  Error: ..." and ends that
// chunk's listing. A nil fsys is fs.OS().
func DumpDir[L, P, V, U any](fsys fs.FS, dir string, t Types[L, P, V, U], w io.Writer) error {
	if err := t.validate(); err != nil {
		return err
	}
	var werr error
	out := func(format string, args ...any) {
		if werr == nil {
			_, werr = fmt.Fprintf(w, format, args...)
		}
	}
	chunk := uint64(1<<64 - 1)
	err := wal.Scan(fsys, dir, recordCodec[L, P, V, U]{t: &t}, func(f wal.Found[record[L, P, V, U]]) error {
		if f.Chunk != chunk {
			chunk = f.Chunk
			out("%s\n", wal.ChunkName(f.Chunk))
		}
		if f.Err != nil {
			out("  Error: %v\n", f.Err)
			return werr
		}
		out("  R-%05d: [%s, %s) Size(%d): %s\n", f.N, pad9(uint64(f.Offset)), pad9(uint64(f.Offset)+uint64(f.Size)), f.Size, foundString(f))
		return werr
	})
	if err != nil {
		return err
	}
	return werr
}

func foundString[L, P, V, U any](f wal.Found[record[L, P, V, U]]) string {
	switch f.Kind {
	case wal.KindSynced:
		return fmt.Sprintf("Synced(%d)", f.Value)
	case wal.KindTrim:
		return fmt.Sprintf("Trim(%d)", f.Value)
	case wal.KindSeal:
		return fmt.Sprintf("Seal(next: %d, start: %d, records: %d)", f.Seal.Next, f.Seal.Start, f.Seal.Records)
	case wal.KindCheckpoint:
		return fmt.Sprintf("Checkpoint(%v)", f.Rec)
	}
	return f.Rec.String()
}

// pad9 renders n with at least 9 digits, grouped in threes by underscores.
func pad9(n uint64) string {
	s := fmt.Sprintf("%09d", n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '_')
		}
		out = append(out, s[i])
	}
	return string(out)
}
