package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
)

// repair runs before recover in Repair mode. It walks the log from its
// first chunk to the first damage that the default recovery would refuse
// (a damaged record or header, a chunk cut short, a missing or foreign
// successor, bytes past the end of a cleanly closed log), keeps a backup of
// every file it then changes or removes, and cuts the log there: the
// damaged chunk is truncated (or removed, with the seal of the chunk before
// it), and every later chunk file is moved aside. Damage the default
// recovery handles itself (a torn tail, an interrupted rotation) is left to
// it. What cannot be cut around, because nothing before it survives (the
// log's first live chunk is missing, or damaged before the end of its
// checkpoint), still fails. A cut that takes the log's only record of
// where it starts with it writes that record again (see startAfterCut).
//
// Every step is a rename of a whole file, or a truncation or replacement
// after a durable copy, so a crash during a repair loses nothing: the next
// repair, or a person, finds every byte either in the log or in a backup.
func (w *WAL[R]) repair() error {
	m, hasMeta, merr := readMeta(w.fs, w.cfg.Dir)
	if merr != nil && !errors.Is(merr, ErrCorrupt) {
		return merr
	}
	files, err := w.listChunks()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		if hasMeta || merr != nil {
			return &MissingChunkError{Dir: w.cfg.Dir, Want: m.firstChunk(),
				Reason: "there is a META file, so the log existed, but no chunk file is left: nothing to repair from"}
		}
		return nil
	}
	res := make([]replayed, len(files))
	for i, f := range files {
		if res[i], err = w.peek(f); err != nil {
			return err
		}
	}
	start, k := logStart(files, res)
	if !w.cfg.CutDamagedCheckpoints {
		if start, k, err = w.planRewrites(files, res, start, k); err != nil {
			return err
		}
	}
	if (k == len(files) || files[k].id != start) && m.repair && m.salt > start {
		// The log's first chunk looks missing, and an earlier repair
		// recorded where the log starts: its cut may have taken every
		// other record of it (a crash can tear the trim it wrote again
		// from the cut that made room for it).
		start = m.salt
		k = len(files)
		if j := slices.IndexFunc(files, func(f chunkFile) bool { return f.id >= start }); j >= 0 {
			k = j
		}
	}
	if k == len(files) || files[k].id != start || !res[k].checkpoint {
		// The record of where the log starts may lie past damage, in
		// the chunk where the log now starts (a purge that left only it).
		if start, k, err = w.startPastDamage(files, res, start, k); err != nil {
			return err
		}
	}
	if k == len(files) || files[k].id != start || !res[k].checkpoint {
		return &MissingChunkError{Dir: w.cfg.Dir, Want: start, First: files[min(k, len(files)-1)].id,
			Reason: "the log's first chunk is missing, or damaged before the end of its checkpoint: no part of the log is left to keep"}
	}
	// after is where the log starts once cut: start, unless the cut
	// takes the trims that set it (see startAfterCut).
	cut, at, reason, keepStart, after := -1, int64(0), "", false, start
	for i := k; i < len(files); i++ {
		a, r := w.firstDamage(files, res, i, m)
		if a < 0 {
			continue
		}
		if !res[i].checkpoint {
			a = 0 // a chunk without its checkpoint holds nothing to keep
		}
		post, kept, err := w.startAfterCut(files, res, i, a)
		if err != nil {
			return err
		}
		keepStart, after = post > kept, post
		cut, at, reason = i, a, r
		break
	}
	if cut >= 0 {
		// What the cut drops is read, and shown to the state machine,
		// before anything changes: a read that fails fails the repair,
		// which could not say what it drops.
		if err := w.observeCut(files, cut, at); err != nil {
			return err
		}
	}
	// Every refusal is behind: from here on the repair changes the
	// directory.
	if err := w.repairMeta(merr != nil, hasMeta, files, res[len(res)-1]); err != nil {
		return err
	}
	last := files[len(files)-1]
	end := last.id + uint64(last.size)
	short := cut < 0 && m.clean && end < m.end
	if cut >= 0 || short || m.repair {
		// Before the first cut, META says that a repair cut the log, from
		// where and where it ended: until the log is written or closed
		// again, after its caller had this repair's report, any other
		// Open refuses it (InterruptedRepairError), so that a crash that
		// loses the report cannot leave a shorter log that opens without
		// a word. An earlier repair's range stays in it.
		p := meta{repair: true, last: end, salt: after, end: end}
		switch {
		case cut >= 0:
			p.last = cutFrom(files, res, cut, at)
		case short:
			p.end = m.end
		}
		if m.clean {
			p.end = max(p.end, m.end)
		}
		if m.repair {
			p.last, p.end, p.mark = min(p.last, m.last), max(p.end, m.end), m.mark
			w.cut(w.earlierCut(files, m))
			w.keptStart = true // that repair may have written the start again
		}
		if cm, ok := w.sm.(CutMarker); ok {
			p.mark = cm.CutMark(p.mark)
		}
		if err := writeMeta(w.fs, w.cfg.Dir, p); err != nil {
			return err
		}
		w.meta = metaRepair
	}
	if cut >= 0 {
		if keepStart {
			err = w.cutKeepingStart(files, res, cut, at, after, reason)
		} else {
			err = w.cutAt(files, res, cut, at, reason)
		}
		if err != nil {
			return err
		}
		w.repaired = true
	}
	if short {
		// No damage, yet the log ends short of where it was closed: the
		// bytes between are gone, with no file left to cut. Say so.
		w.cut(Cut{File: w.chunkPath(m.last), Chunk: m.last, Offset: int64(end - min(end, m.last)),
			Bytes: int64(m.end - end), Durable: true,
			Reason: fmt.Sprintf("the log was closed cleanly at offset %d, but its files end at %d: those bytes are gone", m.end, end)})
	}
	// A log with nothing cut keeps its META: should this open fail later
	// on, a cleanly closed log must still say where it ended, or a later
	// loss of its last bytes would pass for a torn write.
	return nil
}

// cutFrom is the global offset where a cut at file offset at of chunk i
// begins: at the seal of the chunk before when chunk i goes whole.
func cutFrom(files []chunkFile, res []replayed, i int, at int64) uint64 {
	if at == 0 && i > 0 && res[i-1].seal != nil {
		return files[i-1].id + uint64(res[i-1].valid-sealSize)
	}
	return files[i].id + uint64(at)
}

// earlierCut is the report of the cut of an earlier repair that META
// still records (m.repair): the log was neither written nor closed after
// it, so its own report may have reached no one.
func (w *WAL[R]) earlierCut(files []chunkFile, m meta) Cut {
	c := Cut{File: filepath.Join(w.cfg.Dir, MetaFileName), Bytes: int64(m.end - min(m.end, m.last)), Durable: true, Earlier: true, Mark: m.mark,
		Reason: fmt.Sprintf("an earlier repair cut the log from offset %d, where it ended at %d, and the log was neither written nor closed since: "+
			"that repair's report may have reached no one; the bytes it cut are in the .broken backups beside the chunks", m.last, m.end)}
	for _, f := range files {
		if f.id <= m.last {
			c.File, c.Chunk, c.Offset = w.chunkPath(f.id), f.id, int64(m.last-f.id)
		}
	}
	return c
}

// logStart returns where the log starts, as the trims and seals in res
// say, and the index in files of its first live chunk (len(files) if
// none is left); the chunks before it are obsolete, their removal cut
// short, and recovery finishes it.
func logStart(files []chunkFile, res []replayed) (uint64, int) {
	start := uint64(0)
	for _, r := range res {
		start = max(start, r.trim)
		if r.seal != nil {
			start = max(start, r.seal.start)
		}
	}
	k := 0
	for k < len(files) && files[k].id < start {
		k++
	}
	return start, k
}

// startPastDamage looks past the damage in each chunk for intact trims
// (markers that sit where they say they were written), which peek does not
// read, and returns the log's start and first live chunk as the largest of
// them says, when that is further than start and names a chunk present;
// otherwise start and k as they were. A trim is written only after the
// purge record that it follows, and chunks are removed only once it is
// durable: a start it states is where the log starts, even when damage
// lies before it.
func (w *WAL[R]) startPastDamage(files []chunkFile, res []replayed, start uint64, k int) (uint64, int, error) {
	past := start
	for i, f := range files {
		r := res[i]
		if r.damage == nil || r.version == 0 {
			continue
		}
		c, err := w.openRead(f)
		if err != nil {
			return 0, 0, err
		}
		sc := newChunkScan(c.f, f.id, f.size, readLimit)
		sc.h = header{version: r.version, salt: r.salt}
		err = sc.markersOf(kindTrim, r.damage.at+1, func(_ int64, v uint64) bool { past = max(past, v); return true })
		c.f.Close()
		if err != nil {
			return 0, 0, err
		}
	}
	j := slices.IndexFunc(files, func(f chunkFile) bool { return f.id >= past })
	if past == start || j < 0 || files[j].id != past {
		return start, k, nil
	}
	return past, j, nil
}

// planRewrites registers the damaged checkpoints this repair rewrites
// rather than cuts (see rebuild) and reads their chunks again past them,
// into res; it returns the log's start and first live chunk as res then
// shows them. A checkpoint qualifies in chunk 0 when the empty state a new
// log starts with encodes to exactly its length. After the log's first
// live chunk, it qualifies always: the state it is rewritten with is known
// only to recovery, once the repair has made its other changes, and a
// checkpoint that the state does not fit is then cut after all
// (*CheckpointRewriteError). The log's first live chunk never qualifies:
// the state it starts with was in the chunks a purge removed. A chunk
// that reading past its checkpoint shows to be the log's
// first live chunk (a purge recorded in it) is read as it was, and cut:
// recovery would start from that very checkpoint.
func (w *WAL[R]) planRewrites(files []chunkFile, res []replayed, start uint64, k int) (uint64, int, error) {
	orig := slices.Clone(res)
	for i := range files {
		want := int64(-1)
		switch {
		case files[i].id == 0:
			n, err := w.checkpointLen()
			if err != nil {
				return 0, 0, err
			}
			want = n
		case i <= k:
			continue
		}
		e, ok, err := w.damagedCheckpoint(files, res, i, want)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			continue
		}
		if w.rebuilds == nil {
			w.rebuilds = map[uint64]rebuild{}
		}
		w.rebuilds[files[i].id] = e
		if res[i], err = w.peek(files[i]); err != nil {
			return 0, 0, err
		}
	}
	for {
		start, k := logStart(files, res)
		undone := false
		for j := 0; j < len(files) && j <= k; j++ {
			if _, ok := w.rebuilds[files[j].id]; ok && files[j].id != 0 {
				delete(w.rebuilds, files[j].id)
				res[j], undone = orig[j], true
			}
		}
		if !undone {
			return start, k, nil
		}
	}
}

// startAfterCut returns where the log starts once cut at file offset at of
// chunk i (post), and where the records the cut keeps say it starts
// (kept): the largest trim or seal's start before the cut. The log left is
// the run of contiguous chunks that ends where the cut does, from kept on
// (chunks before kept are obsolete). When that run begins after kept, the
// chunks between were removed by a purge whose trim the cut takes with it
// (start, the largest trim, is at or past the run's first chunk, which
// proves the removal): post is where the run begins, and the cut must
// write it again (cutKeepingStart). The chunks of a purge whose trim is cut
// but whose chunks are still there stay in the run: that purge is undone.
func (w *WAL[R]) startAfterCut(files []chunkFile, res []replayed, i int, at int64) (post, kept uint64, err error) {
	for j := range i {
		kept = max(kept, res[j].trim)
		if res[j].seal != nil {
			kept = max(kept, res[j].seal.start)
		}
	}
	if at > 0 {
		part, err := w.peek(chunkFile{id: files[i].id, size: at})
		if err != nil {
			return 0, 0, err
		}
		kept = max(kept, part.trim)
	}
	last := i
	if at == 0 {
		last = i - 1 // chunk i goes whole
	}
	first := max(last, 0)
	for first > 0 && files[first-1].id+uint64(files[first-1].size) == files[first].id {
		first--
	}
	return max(kept, files[first].id), kept, nil
}

// firstDamage returns the file offset in chunk i where the log must be cut,
// and why, or -1 when chunk i is fine (or its damage is one the default
// recovery handles: a torn tail, an interrupted rotation).
func (w *WAL[R]) firstDamage(files []chunkFile, res []replayed, i int, m meta) (int64, string) {
	r, f := res[i], files[i]
	last := i == len(files)-1
	if i > 0 && m.clean && files[i-1].id == m.last {
		// Close finishes every rotation, and a rotation after a reopen
		// marks META open before it creates its file: this file, whole,
		// is not the log's.
		return 0, fmt.Sprintf("the log was closed cleanly with %s as its last chunk, but this file follows it", ChunkName(m.last))
	}
	if r.version == 0 {
		return 0, "the chunk's header is damaged: " + r.damage.reason
	}
	if !r.checkpoint && r.damage == nil {
		if last && i > 0 && w.interrupted(files, res, i-1) {
			return -1, "" // an interrupted rotation: recovery drops the new chunk
		}
		return 0, "the chunk holds no intact checkpoint"
	}
	if r.damage != nil {
		// A torn tail lies past the chunk's head: the head of a chunk
		// after another one was durable before that one was sealed, so
		// damage in it is no torn write (recovery refuses it, see
		// finishLast; a repair interrupted after moving the chunks after
		// it aside leaves such a chunk the newest).
		if last && !m.clean && (r.checkpoint || i == 0) {
			if c, err := w.openRead(f); err == nil {
				sc := newChunkScan(c.f, f.id, f.size, readLimit)
				sc.h = header{version: r.version, salt: r.salt}
				claim, err := sc.durableClaim(r.damage.at)
				c.f.Close()
				if err == nil && claim <= f.id+uint64(r.damage.at) {
					return -1, "" // a torn tail: recovery cuts it
				}
			}
		}
		return r.damage.at, r.damage.String()
	}
	if !last && !(m.clean && f.id == m.last) { // the last chunk of a clean log is checked as the last
		next, nres := files[i+1], res[i+1]
		switch {
		case r.seal == nil && r.version >= 2 && i == len(files)-2 && w.interrupted(files, res, i):
			return -1, "" // an interrupted rotation: recovery drops the new chunk
		case r.seal == nil && r.version >= 2:
			return r.valid, "the chunk ends without its seal"
		case r.seal == nil && f.id+uint64(f.size) != next.id:
			return f.size, fmt.Sprintf("the next chunk starts at %d, not where this one ends (%d)", next.id, f.id+uint64(f.size))
		case r.seal != nil && (r.seal.next != next.id || nres.version != 0 && nres.salt != r.seal.salt):
			return r.valid - sealSize, fmt.Sprintf("the seal names %s, which is missing", ChunkName(r.seal.next))
		}
		return -1, ""
	}
	if r.seal != nil {
		return r.valid - sealSize, fmt.Sprintf("the seal names %s, which is missing", ChunkName(r.seal.next))
	}
	if m.clean && f.id == m.last && f.id+uint64(r.valid) > m.end {
		return int64(m.end - f.id), "bytes past the end of a log that was closed cleanly"
	}
	if m.clean && r.unwritten > 0 {
		return r.valid, "zero bytes past the end of a log that was closed cleanly"
	}
	return -1, ""
}

// interrupted reports whether files[i] and files[i+1], the newest, are what
// a crash leaves in the middle of a rotation, which the default recovery
// undoes by itself (see interruptedRotation).
func (w *WAL[R]) interrupted(files []chunkFile, res []replayed, i int) bool {
	if i+1 != len(files)-1 || !headOnly(res[i+1]) {
		return false
	}
	ok, err := w.interruptedRotation(files[i], res[i], res[i+1])
	return err == nil && ok
}

// cutAt cuts the log at file offset at of chunk i: it keeps chunk i's bytes
// before at (removing the chunk, and the seal of the one before it, when at
// is 0) and moves every later chunk aside, keeping a backup of everything.
func (w *WAL[R]) cutAt(files []chunkFile, res []replayed, i int, at int64, reason string) error {
	for j := len(files) - 1; j > i; j-- {
		if err := w.moveAsideCut(files[j], files[i], reason); err != nil {
			return err
		}
	}
	f := files[i]
	path := w.chunkPath(f.id)
	if at > 0 {
		backup, err := w.truncateWithBackup(path, at)
		if backup != "" {
			w.cut(Cut{File: path, Chunk: f.id, Offset: at, Bytes: f.size - at, Durable: true, Backup: backup, Reason: reason})
		}
		return err
	}
	if err := w.moveAsideCut(f, f, reason); err != nil {
		return err
	}
	// The chunk before it is sealed and names it: cut its seal too.
	prev, pres := files[i-1], res[i-1]
	if pres.seal == nil {
		return nil
	}
	ppath := w.chunkPath(prev.id)
	backup, err := w.truncateWithBackup(ppath, pres.valid-sealSize)
	if backup != "" {
		w.cut(Cut{File: ppath, Chunk: prev.id, Offset: pres.valid - sealSize, Bytes: sealSize, Durable: true, Backup: backup,
			Reason: "the seal naming " + ChunkName(f.id) + ", which was removed"})
	}
	return err
}

// observeCut tells the DropObserver what a cut at file offset at of chunk
// i drops, before anything changes: a read that fails fails the repair,
// which could not say what it drops.
func (w *WAL[R]) observeCut(files []chunkFile, i int, at int64) error {
	f := files[i]
	if at > 0 {
		c, err := w.openRead(f)
		if err != nil {
			return err
		}
		err = w.salvage(c, f.size, at)
		c.f.Close()
		if err != nil {
			return err
		}
	} else if err := w.observeWhole(f); err != nil {
		return err
	}
	for _, later := range files[i+1:] {
		if err := w.observeWhole(later); err != nil {
			return err
		}
	}
	return nil
}

// moveAsideCut moves chunk f aside, cut whole because of the damage in
// chunk damaged (f itself, or one before it), and reports the cut.
func (w *WAL[R]) moveAsideCut(f, damaged chunkFile, reason string) error {
	path := w.chunkPath(f.id)
	backup, err := w.moveAside(path)
	if backup != "" {
		why := reason
		if f.id != damaged.id {
			why = fmt.Sprintf("follows the damage in %s: %s", ChunkName(damaged.id), reason)
		}
		w.cut(Cut{File: path, Chunk: f.id, Bytes: f.size, Durable: true, Backup: backup, Reason: why})
	}
	return err
}

// cutKeepingStart is cutAt for a cut that takes with it the only record of
// where the log starts (start): a purge recorded past the damage, whose
// chunk removals had begun. The log is cut where cutAt would cut it, and
// where the cut ends it, in place of the bytes there, go the caller's
// record of what discarded the removed chunks' contents (StartKeeper) and
// a trim stating start: the log left starts where it did, at its first
// live chunk, without expecting what the chunks that are gone held. Both
// are written, with the cut of their chunk, before any later chunk is
// moved aside: until they are durable, the records in those chunks still
// say where the log starts, so a crash at any step leaves a log the next
// repair cuts the same way.
func (w *WAL[R]) cutKeepingStart(files []chunkFile, res []replayed, i int, at int64, start uint64, reason string) error {
	if at == 0 && i == 0 {
		return &MissingChunkError{Dir: w.cfg.Dir, Want: start, First: files[0].id,
			Reason: "the log's first chunk holds no intact checkpoint: no part of the log is left to keep"}
	}
	// The log ends at at in chunk i, or, when chunk i goes whole, where
	// the chunk before it ends its records, in place of its seal.
	j, end := i, at
	if at == 0 {
		j, end = i-1, res[i-1].valid
		if res[i-1].seal != nil {
			end -= sealSize
		}
	}
	f, r := files[j], res[j]
	// The caller's record goes first: should a crash tear the two apart,
	// a trim that survives alone lies past the torn record, so the next
	// repair cuts there and writes both again.
	var trim []byte
	kept := ""
	if sk, ok := w.sm.(StartKeeper[R]); ok {
		recs := sk.KeepStart()
		if len(recs) > 0 {
			kept = fmt.Sprintf(", after %d caller record(s) found among them (what discarded the removed chunks' contents)", len(recs))
		}
		for _, rec := range recs {
			at := f.id + uint64(end) + uint64(len(trim))
			b, begin := codec.StartRecord(trim, kindRecord)
			b, err := w.codec.Append(b, rec)
			if err != nil {
				return fmt.Errorf("wal: encoding a record to keep before the log's start in %s: %w", w.chunkPath(f.id), err)
			}
			trim = codec.FinishRecordSeed(b, begin, recordSeed(r.version, r.salt, at))
		}
	}
	pos := f.id + uint64(end) + uint64(len(trim))
	trim = appendMarker(trim, kindTrim, start, pos, recordSeed(r.version, r.salt, pos))
	path := w.chunkPath(f.id)
	// The chunk's index file describes the records cut; the chunk, sealed
	// again after the records written, could end where it ended, and a
	// later Open take the summary of the old records for it.
	if err := w.fs.Remove(w.indexPath(f.id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wal: removing the index file of %s: %w", path, err)
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return fmt.Errorf("wal: syncing directory after removing the index file of %s: %w", path, err)
	}
	// The records are durable before the cut: a cut that a crash kept
	// without them would drop the purges cut from the only place they
	// were (the chunk may hold them past the damage).
	backup, err := w.changeWithBackup(path, func(fl fs.File) error {
		if _, err := fl.WriteAt(trim, end); err != nil {
			return err
		}
		if err := fl.Sync(); err != nil {
			return err
		}
		return fl.Truncate(end + int64(len(trim)))
	}, fmt.Sprintf("cutting %s at offset %d and writing the log's start there", path, end))
	if backup != "" {
		why := reason
		if j != i {
			why = "the seal naming " + ChunkName(files[i].id) + ", which was removed"
		}
		w.cut(Cut{File: path, Chunk: f.id, Offset: end, Bytes: f.size - end, Durable: true, Backup: backup, KeptStart: true,
			Reason: fmt.Sprintf("%s; the record that the log starts at offset %d was among the bytes cut, and is written again at offset %d%s", why, start, end, kept)})
		w.keptStart = true
	}
	if err != nil {
		return err
	}
	first := i + 1
	if at == 0 {
		first = i
	}
	for k := len(files) - 1; k >= first; k-- {
		if err := w.moveAsideCut(files[k], files[i], reason); err != nil {
			return err
		}
	}
	return nil
}

// observeWhole tells the DropObserver about every intact record of a chunk
// file that recovery does not keep (a repair removes it, or damage before
// it makes it unreachable). The error is a failed read.
func (w *WAL[R]) observeWhole(f chunkFile) error {
	if _, ok := w.sm.(DropObserver[R]); !ok {
		return nil
	}
	c, err := w.openRead(f)
	if err != nil {
		return err
	}
	defer c.f.Close()
	w.observing = true
	_, err = w.replay(c, f.size, replayPeek)
	w.observing = false
	var ve *VersionError
	if errors.As(err, &ve) {
		return nil // a header naming no version this code reads: no record checks out
	}
	return err
}

func (w *WAL[R]) openRead(f chunkFile) (*chunk, error) {
	c := &chunk{id: f.id, path: w.chunkPath(f.id), end: f.id}
	return c, w.openChunkFile(c, false)
}

// moveAside renames path to a backup name in the same directory (which
// listChunks ignores) and makes the rename durable. It returns the backup's
// name once the rename is done, with the error of a failed sync after it:
// the file may then be gone from the log, and the caller reports it so.
func (w *WAL[R]) moveAside(path string) (string, error) {
	backup, err := w.backupName(path)
	if err != nil {
		return "", err
	}
	if err := w.fs.Rename(path, backup); err != nil {
		return "", fmt.Errorf("wal: moving %s aside: %w", path, err)
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return backup, fmt.Errorf("wal: syncing directory after moving %s aside: %w", path, err)
	}
	return backup, nil
}

// repairMeta replaces a damaged META file (keeping a copy), or writes a
// missing one that the log must have (needsMeta); either says the log is
// open. Each is reported as a cut of META.
func (w *WAL[R]) repairMeta(damaged, exists bool, files []chunkFile, newest replayed) error {
	path := filepath.Join(w.cfg.Dir, MetaFileName)
	switch {
	case damaged:
		backup, err := w.replaceDamagedMeta()
		if err != nil {
			return err
		}
		w.cut(Cut{File: path, Reason: "the META file is damaged", Durable: true, Backup: backup})
	case !exists && needsMeta(files, newest):
		if err := writeMeta(w.fs, w.cfg.Dir, meta{}); err != nil {
			return err
		}
		w.cut(Cut{File: path, Durable: true,
			Reason: "the META file is missing from a log that holds more than a new log's head: a new one was written, and the log kept as its chunks hold it"})
	}
	return nil
}

// replaceDamagedMeta keeps a durable copy of the damaged META file, then
// replaces it with one that says the log is open, and returns the copy's
// name. It never leaves the directory without a META file, even for a
// moment a crash could catch: META is what says a log exists, so that a
// damaged first chunk is not taken for one whose creation a crash cut
// short. A crash before the replacement leaves the damaged file, which the
// next repair copies again.
func (w *WAL[R]) replaceDamagedMeta() (string, error) {
	backup, err := w.copyAside(filepath.Join(w.cfg.Dir, MetaFileName))
	if err != nil {
		return "", err
	}
	if err := writeMeta(w.fs, w.cfg.Dir, meta{}); err != nil {
		return "", err
	}
	return backup, nil
}

// copyAside copies path to a backup in the same directory and makes the
// copy and its name durable. It returns the backup's name.
func (w *WAL[R]) copyAside(path string) (string, error) {
	backup, err := w.backupName(path)
	if err != nil {
		return "", err
	}
	if err := copyFile(w.fs, path, backup); err != nil {
		return "", err
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return "", fmt.Errorf("wal: syncing directory after copying %s: %w", path, err)
	}
	return backup, nil
}

// truncateWithBackup copies path to a backup, makes the copy durable, then
// truncates path to size and makes that durable.
func (w *WAL[R]) truncateWithBackup(path string, size int64) (string, error) {
	return w.changeWithBackup(path, func(f fs.File) error { return f.Truncate(size) },
		fmt.Sprintf("cutting %s at offset %d", path, size))
}

// changeWithBackup copies path to a backup and makes the copy durable, then
// makes change to the file and makes that durable; it returns the backup's
// path. A failed change is reported as what failed, with the backup's path
// if the change was attempted: it may have landed, and the caller reports
// it so.
func (w *WAL[R]) changeWithBackup(path string, change func(fs.File) error, what string) (string, error) {
	backup, err := w.copyAside(path)
	if err != nil {
		return "", err
	}
	f, err := w.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", err
	}
	err = change(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return backup, fmt.Errorf("wal: %s: %w", what, err)
	}
	return backup, nil
}

// backupName returns path + ".broken", or ".broken.N" for the first N that
// is free.
func (w *WAL[R]) backupName(path string) (string, error) {
	for n := 0; ; n++ {
		name := path + ".broken"
		if n > 0 {
			name += "." + strconv.Itoa(n)
		}
		if _, err := w.fs.Stat(name); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		} else if err != nil {
			return "", err
		}
	}
}

// copyFile copies src to a new file dst and fsyncs it.
func copyFile(fsys fs.FS, src, dst string) error {
	in, err := fsys.OpenFile(src, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := fsys.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: copying %s to %s: %w", src, dst, err)
	}
	return nil
}
