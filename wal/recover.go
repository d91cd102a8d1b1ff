package wal

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/raftlog/raftlog/fs"
)

// recover rebuilds the WAL from the files in the directory.
//
// The chunks of the log are the contiguous run of chunk files that ends
// with the newest; anything before a gap must be obsolete (a purge's trim
// record says so). Every chunk but the newest was complete when its
// successor was written: in version 2 it ends with a seal naming that
// successor, written only once the successor's head was durable, so a
// sealed chunk proves its successor must exist, and any damage in it is
// corruption. The newest chunk may end in a torn write: damage past the
// last durable point recorded in it (a synced marker) is cut off; damage
// before it is corruption, as is any damage at all in a log whose META file
// says it was closed cleanly. A crash between creating a chunk and sealing
// the one before leaves an unsealed chunk followed by one holding only its
// head: that head is removed.
//
// Recovery modifies only the newest chunk (truncating it, or removing it),
// so a crash during recovery followed by another recovery ends in the same
// state. Every cut is in the Report and logged.
func (w *WAL[R]) recover() (err error) {
	defer func() {
		if err == nil {
			w.removeIndexTemps()
		}
	}()
	if w.cfg.Recovery == Repair {
		if err := w.repair(); err != nil {
			return err
		}
	}
	m, hasMeta, err := readMeta(w.fs, w.cfg.Dir)
	if err != nil {
		return err
	}
	if m.repair && w.cfg.Recovery != Repair {
		return &InterruptedRepairError{Dir: w.cfg.Dir, From: m.last, End: m.end}
	}
	files, err := w.listChunks()
	if err != nil {
		return err
	}
	if len(files) == 0 {
		if hasMeta {
			return &MissingChunkError{Dir: w.cfg.Dir, Want: m.firstChunk(),
				Reason: "the META file says the log exists, but no chunk file is left"}
		}
		w.meta = metaNone
		return w.startFresh()
	}
	if !hasMeta {
		if m, hasMeta, err = w.metaMissing(files); err != nil {
			return err
		}
	}
	switch {
	case !hasMeta:
		w.meta = metaNone
	case m.clean:
		w.meta = metaClean
	case m.repair:
		w.meta = metaRepair
	default:
		w.meta = metaOpen
	}
	if newest := files[len(files)-1]; m.clean && newest.id > m.last {
		return &StrayChunkError{File: w.chunkPath(newest.id), Chunk: newest.id, Last: m.last}
	}
	interrupted := false
	if len(files) > 1 && !m.clean {
		// The last chunk of a log closed cleanly is not one a rotation
		// cut short began (see above). Not reading it twice is what lets
		// a reopen use its index file alone.
		if interrupted, err = w.dropInterruptedRotation(files); err != nil {
			return err
		}
		if interrupted {
			files = files[:len(files)-1]
		}
	}
	// Replay the run of contiguous chunks that ends with the last one.
	r := len(files) - 1
	for r > 0 && files[r-1].id+uint64(files[r-1].size) == files[r].id {
		r--
	}
	rc := &recovery[R]{w: w, files: files, r: r, meta: m, hasMeta: hasMeta, interrupted: interrupted}
	if err := rc.run(); err != nil {
		closeChunks(rc.live)
		return err
	}
	return nil
}

// recovery is one run of recover.
type recovery[R any] struct {
	w       *WAL[R]
	files   []chunkFile
	r       int // files[r:] are the run being replayed; live[j] is files[r+j]
	meta    meta
	hasMeta bool
	live    []*chunk
	trim    uint64
	// indexBuf is the buffer every index file is read into: a summary is
	// only read during ApplySummary.
	indexBuf []byte
	// cutAt is the file offset where the newest chunk's torn tail starts,
	// or -1; interrupted says an interrupted rotation's chunk was removed.
	// Either way recovery starts a new chunk.
	cutAt       int64
	interrupted bool
}

// file returns the file of live chunk j.
func (rc *recovery[R]) file(j int) chunkFile { return rc.files[rc.r+j] }

func (rc *recovery[R]) run() error {
	w := rc.w
	r, n := rc.r, len(rc.files)
	rc.cutAt = -1
	var prevSeal *seal
	var last replayed
	for i := r; i < n; i++ {
		c := &chunk{id: rc.files[i].id, path: w.chunkPath(rc.files[i].id), end: rc.files[i].id, size: rc.files[i].size}
		rc.live = append(rc.live, c)
		if err := w.openChunkFile(c, i >= n-2); err != nil {
			return err
		}
		res, indexed, err := rc.fromIndex(c, rc.files[i], i == n-1)
		if err == nil && !indexed {
			res, err = w.replay(c, rc.files[i].size, replayApply)
		}
		if err != nil {
			return err
		}
		if prevSeal != nil && res.version != 0 && res.salt != prevSeal.salt {
			return rc.corrupt(i-r, 0, "the chunk is not the one its predecessor was sealed with (salt differs)", nil)
		}
		rc.trim = max(rc.trim, res.trim)
		if res.seal != nil {
			rc.trim = max(rc.trim, res.seal.start)
		}
		last = res
		if i == n-1 {
			break
		}
		if err := rc.checkClosed(i-r, res); err != nil {
			obsolete, oerr := rc.obsolete(i)
			if oerr != nil {
				return oerr
			}
			if !obsolete {
				return err
			}
			// Damage in a chunk that a later trim made obsolete (its
			// removal was cut short): nothing in it is needed, and the
			// next chunk's checkpoint restores the state.
			w.cfg.Logger.Warn("wal: ignoring damage in an obsolete chunk awaiting removal", "file", c.path, "err", err)
		}
		prevSeal = res.seal
	}
	if err := rc.finishLast(last); err != nil {
		return err
	}
	if len(rc.live) == 0 {
		return w.startFresh()
	}
	if sk, ok := w.sm.(StartKeeper[R]); ok && w.keptStart {
		sk.KeptStart()
	}
	return rc.install(last)
}

// checkClosed checks live chunk j, which has a successor: it was complete, so
// any damage is corruption, and in version 2 it must end with its seal.
func (rc *recovery[R]) checkClosed(j int, res replayed) error {
	switch {
	case res.damage != nil:
		return rc.corrupt(j, res.damage.at, res.damage.reason+" in a closed chunk, which was durable in full", res.damage.cause)
	case res.seal == nil && res.version >= 2:
		return rc.corrupt(j, res.valid, "the chunk ends without the seal that its successor's content proves was written", nil)
	}
	return nil
}

// obsolete reports whether file i lies wholly before the start of the log
// as the later chunks state it (their trim records and seals).
func (rc *recovery[R]) obsolete(i int) (bool, error) {
	end := rc.files[i].id + uint64(rc.files[i].size)
	for _, f := range rc.files[i+1:] {
		res, err := rc.w.peek(f)
		if err != nil {
			return false, err
		}
		start := res.trim
		if res.seal != nil {
			start = max(start, res.seal.start)
		}
		if start >= end {
			return true, nil
		}
	}
	return false, nil
}

// dropInterruptedRotation looks at the newest chunk file and the one
// before it. If the newest holds nothing past its head (or not even an
// intact head), and the one before it is not complete (it has no intact
// seal, or damage that its own markers do not prove was durable: under a
// power loss the seal's sector can land while earlier ones do not), a crash
// cut a rotation short: the new chunk was created but its predecessor was
// never made durable with its seal, so nothing in the new chunk was ever
// acknowledged. The new chunk is removed; its predecessor becomes the
// newest again (and recovery cuts its torn tail, if any). Anything else is
// left for the replay to judge.
func (w *WAL[R]) dropInterruptedRotation(files []chunkFile) (bool, error) {
	// The two files may overlap: a recovery that cut the older one's torn
	// tail creates the newer one before it truncates the older one.
	pf, nf := files[len(files)-2], files[len(files)-1]
	nres, err := w.peek(nf)
	if err != nil {
		return false, err
	}
	if !headOnly(nres) {
		return false, nil
	}
	pres, err := w.peek(pf)
	if err != nil {
		return false, err
	}
	if ok, err := w.interruptedRotation(pf, pres, nres); err != nil || !ok {
		return false, err
	}
	if pres.version == formatV1 && (nres.version == 0 || !nres.checkpoint) {
		// A version 1 chunk never has a seal, so its lack proves
		// nothing: only a head that a crash could have left does.
		if torn, err := w.tornHead(nf, nres); err != nil || !torn {
			return false, err // damage at rest: the replay reports it
		}
		if err := w.confirmTornHead(nf, nres, "removing it as the leftover of an interrupted rotation"); err != nil {
			return false, err
		}
	}
	why := "removing " + ChunkName(nf.id) + " as the leftover of an interrupted rotation"
	if err := w.confirm(nf, nres, why); err != nil {
		return false, err
	}
	if err := w.confirm(pf, pres, why); err != nil {
		return false, err
	}
	path := w.chunkPath(nf.id)
	if w.cfg.Recovery == Strict {
		return false, fmt.Errorf("%w: %s holds only the head of a chunk whose predecessor %s was never sealed durably (an interrupted rotation)",
			ErrTornTail, path, w.chunkPath(pf.id))
	}
	if err := w.removeFile(path); err != nil {
		return false, err
	}
	w.cut(Cut{File: path, Chunk: nf.id, Offset: 0, Bytes: nf.size - nres.unwritten,
		Reason: "a chunk created by a rotation that a crash interrupted before its predecessor was sealed durably: it held nothing acknowledged"})
	return true, nil
}

// headOnly reports whether a chunk holds nothing past its head (or not
// even an intact head): what a rotation leaves before its seal.
func headOnly(res replayed) bool {
	return res.version == 0 || !res.checkpoint || res.version >= 2 && !res.pastHead
}

// interruptedRotation reports whether chunk file pf (read as pres), followed
// by a chunk holding only its head (read as nres), is what a crash leaves
// in the middle of a rotation: pf is not complete, and lost nothing that
// the new head or its own markers prove was durable.
func (w *WAL[R]) interruptedRotation(pf chunkFile, pres, nres replayed) (bool, error) {
	if nres.vouched > pf.id+uint64(pres.valid) {
		// The new chunk's head vouches for bytes of its predecessor that
		// are gone: they were durable, so this is damage, not a crash.
		return false, nil
	}
	switch {
	case pres.damage == nil && pres.seal != nil:
		return false, nil // complete and sealed: the new chunk is its successor
	case pres.damage != nil && w.meta == metaClean:
		return false, nil // a cleanly closed log: the replay reports the damage
	case pres.damage != nil:
		claim, err := w.claimPast(pf, pres, pres.damage.at)
		if err != nil {
			return false, err
		}
		if claim > pf.id+uint64(pres.damage.at) {
			return false, nil // damage to durable data: the replay reports it
		}
		// The successor is about to be removed on the strength of this
		// claim, read once.
		if err := w.confirmClaim(pf, pres, pres.damage.at, claim, "removing its successor as the leftover of an interrupted rotation"); err != nil {
			return false, err
		}
	}
	return true, nil
}

// metaMissing is called when the directory has no META file. If the log
// must have one (needsMeta) it fails with a *CorruptionError naming META,
// before recovery changes anything, unless META exists when read again:
// then another process created the log while this one read it (a
// read-only tool), and it returns what META says. That second read is
// sound because a log writes META before any byte that needsMeta counts,
// and this one read those bytes first.
func (w *WAL[R]) metaMissing(files []chunkFile) (meta, bool, error) {
	need, err := w.mustHaveMeta(files)
	if err != nil || !need {
		return meta{}, false, err
	}
	if m, ok, err := readMeta(w.fs, w.cfg.Dir); err != nil || ok {
		return m, ok, err
	}
	return meta{}, false, &CorruptionError{File: filepath.Join(w.cfg.Dir, MetaFileName),
		Reason: "the META file is missing, yet the log holds more than the head of a new log's first chunk, and a log writes META " +
			"before anything past that head: either META was removed (Repair writes a new one and keeps the log as its chunks hold it), " +
			"or a power loss left a deleted log's bytes (a freed block's old content) in this new log's first chunk (then nothing " +
			"here was ever acknowledged: remove the directory; Repair would keep the deleted log's entries)"}
}

// mustHaveMeta is needsMeta for the chunk files files, reading no more of
// the newest than it must: its header, and its records only when it is
// chunk 0 of version 2 alone (what a new log's first write leaves). A log
// of version 1, which never has META, is not read twice.
func (w *WAL[R]) mustHaveMeta(files []chunkFile) (bool, error) {
	f := files[len(files)-1]
	c := &chunk{id: f.id, path: w.chunkPath(f.id)}
	if err := w.openChunkFile(c, false); err != nil {
		return false, err
	}
	sc := newChunkScan(c.f, c.id, f.size, readLimit)
	herr, err := sc.header()
	c.f.Close()
	switch {
	case err != nil || herr != nil:
		return false, err // a damaged header: the replay judges it
	case sc.h.version < 2:
		return false, nil
	case len(files) > 1 || f.id != 0:
		return needsMeta(files, replayed{version: sc.h.version}), nil
	}
	newest, err := w.peek(f)
	if err != nil {
		return false, err
	}
	return needsMeta(files, newest), nil
}

// needsMeta reports whether a log of chunk files files, the newest read as
// newest, must have a META file. A log of version 2 writes META once its
// first chunk's head is durable and before anything else (a record, a
// rotation; an upgraded version 1 log before its first write), so without
// META it can only be a new log whose first write a crash cut short: chunk
// 0 alone, holding at most its head. Anything more means META was removed,
// or that the chunk holds a deleted log's first sector, which a power loss
// left in a new log's first chunk (a freed block's old content; it starts
// at offset 0 too, with its own salt, so its records verify): opening it
// would give a new log entries it never had.
func needsMeta(files []chunkFile, newest replayed) bool {
	return newest.version >= 2 && (newest.pastHead || len(files) > 1 || files[0].id != 0)
}

// peek reads a chunk file without applying its records. With a
// RawApplier it decodes no caller record: the apply pass hands their
// bodies to ApplyRaw, which decodes no payload, so a record the codec
// refuses would otherwise look like damage to peek alone, and a sound log
// fail to open. (What ApplyRaw itself would refuse, peek cannot know: it
// must not call the state machine.)
func (w *WAL[R]) peek(f chunkFile) (replayed, error) {
	if w.raw != nil {
		return w.readChunk(f, replayFrames)
	}
	return w.readChunk(f, replayPeek)
}

// readChunk reads a chunk file in mode, which applies nothing.
func (w *WAL[R]) readChunk(f chunkFile, mode replayMode) (replayed, error) {
	c := &chunk{id: f.id, path: w.chunkPath(f.id), end: f.id}
	if err := w.openChunkFile(c, false); err != nil {
		return replayed{}, err
	}
	defer c.f.Close()
	return w.replay(c, f.size, mode)
}

// finishLast classifies the damage, if any, of the newest chunk and cuts a
// torn tail; it also checks what the META file says of the log's end.
func (rc *recovery[R]) finishLast(res replayed) error {
	w := rc.w
	i := len(rc.live) - 1
	c := rc.live[i]
	size := rc.file(i).size
	if rc.meta.clean && c.id != rc.meta.last {
		for _, l := range rc.live {
			if l.id == rc.meta.last {
				return rc.corrupt(i, 0, fmt.Sprintf("the log was closed cleanly with %s as its last chunk, but this chunk follows it", ChunkName(rc.meta.last)), nil)
			}
		}
	}
	if res.version == 0 || !res.checkpoint {
		reason := "the chunk holds no intact checkpoint"
		at := int64(0)
		if res.damage != nil {
			reason, at = res.damage.String(), res.damage.at
		}
		torn, err := w.tornHead(rc.file(i), res)
		switch {
		case err != nil:
			return err
		case !torn:
			return rc.corrupt(i, at, reason+", and the chunk holds more than a head: it was in use", nil)
		case len(rc.live) > 1:
			return rc.corrupt(i, at, reason+", yet its predecessor was sealed after its head was durable", nil)
		case rc.hasMeta || c.id != 0 || rc.r > 0:
			return rc.corrupt(i, at, reason+", and it is the log's only chunk", nil)
		}
		// The log's first chunk, never made durable: a crash while the
		// log was being created. Nothing was acknowledged.
		why := "removing it as a chunk whose creation a crash cut short"
		if err := w.confirm(rc.file(i), res, why); err != nil {
			return err
		}
		if err := w.confirmTornHead(rc.file(i), res, why); err != nil {
			return err
		}
		if w.cfg.Recovery == Strict {
			return fmt.Errorf("%w: the log's first chunk %s holds no intact checkpoint", ErrTornTail, c.path)
		}
		c.f.Close()
		c.f = nil
		if err := w.removeFile(c.path); err != nil {
			return err
		}
		w.cut(Cut{File: c.path, Chunk: c.id, Offset: 0, Bytes: size - res.unwritten,
			Reason: "the log's first chunk, whose creation a crash cut short: it held nothing acknowledged"})
		rc.live = nil
		return nil
	}
	if res.damage != nil {
		d := res.damage
		if rc.meta.clean {
			return rc.corrupt(i, d.at, fmt.Sprintf("%s in a log that was closed cleanly at offset %d of %s",
				d.reason, rc.meta.end-rc.meta.last, ChunkName(rc.meta.last)), d.cause)
		}
		claim, err := w.claimPast(rc.file(i), res, d.at)
		if err != nil {
			return err
		}
		if claim > c.id+uint64(d.at) {
			return rc.corrupt(i, d.at, fmt.Sprintf("%s before the durable point %d recorded later in the chunk", d.reason, claim-c.id), d.cause)
		}
		why := "cutting its torn tail"
		if err := w.confirm(rc.file(i), res, why); err != nil {
			return err
		}
		if err := w.confirmClaim(rc.file(i), res, d.at, claim, why); err != nil {
			return err
		}
		sc := newChunkScan(c.f, c.id, size, readLimit)
		sc.h = header{version: res.version, salt: res.salt}
		// What is cut: the torn bytes, not the zeros written ahead after
		// them.
		tornEnd, err := sc.nonZeroEnd(d.at)
		if err != nil {
			return fmt.Errorf("wal: reading %s past offset %d: %w", c.path, d.at, err)
		}
		if w.cfg.Recovery == Strict {
			return fmt.Errorf("%w: %s at offset %d of %s (%d bytes to drop)", ErrTornTail, d, d.at, c.path, tornEnd-d.at)
		}
		if err := w.salvage(c, size, d.at); err != nil {
			return err
		}
		w.cut(Cut{File: c.path, Chunk: c.id, Offset: d.at, Bytes: tornEnd - d.at, Reason: "torn write past the durable point: " + d.String()})
		rc.cutAt = d.at
		c.end = c.id + uint64(d.at)
	}
	if res.unwritten > 0 && rc.meta.clean {
		return rc.corrupt(i, res.valid, fmt.Sprintf("%d zero bytes follow the end of a log that was closed cleanly", res.unwritten), nil)
	}
	if res.unwritten > 0 && res.damage == nil {
		if err := w.confirmZeros(rc.file(i), res); err != nil {
			return err
		}
	}
	if res.seal != nil {
		return &MissingChunkError{Dir: w.cfg.Dir, Want: res.seal.next, First: c.id,
			Reason: fmt.Sprintf("%s is sealed and names %s as its successor, which is missing", c.path, ChunkName(res.seal.next))}
	}
	if rc.meta.clean {
		switch {
		case c.salt != rc.meta.salt:
			return rc.corrupt(i, 0, "the chunk is not the one the log was closed with (salt differs)", nil)
		case c.end < rc.meta.end:
			return rc.corrupt(i, int64(c.end-c.id), fmt.Sprintf("the log was closed cleanly at offset %d, but the chunk ends at %d: bytes were removed",
				rc.meta.end-c.id, c.end-c.id), nil)
		case c.end > rc.meta.end:
			return rc.corrupt(i, int64(rc.meta.end-c.id), fmt.Sprintf("%d bytes follow the end of a log that was closed cleanly", c.end-rc.meta.end), nil)
		}
	}
	return nil
}

// install makes the recovered chunks the WAL's: it checks that the log
// starts where its trim records say, schedules the removal of obsolete
// chunks, and either makes the newest chunk's content durable (unless the
// log was closed cleanly, when it already is) or, when recovery cut bytes
// from it, met an interrupted rotation, or found it in format version 1,
// seals it and starts a new chunk (see rotateAtRecovery).
func (rc *recovery[R]) install(last replayed) error {
	w, r := rc.w, rc.r
	open := rc.live[len(rc.live)-1]
	restart := false
	if rc.trim < rc.files[r].id && rc.meta.repair && rc.meta.salt == rc.files[r].id {
		// The log's first chunk looks missing, and a repair recorded in
		// META that the log starts at the first one present: no record
		// left says so (a crash tore the trim it wrote again). The seal
		// that the rotation below writes states it.
		rc.trim, restart = rc.meta.salt, true
	}
	if rc.trim < rc.files[r].id {
		if r > 0 {
			return &GapError{Prev: w.chunkPath(rc.files[r-1].id), Next: w.chunkPath(rc.files[r].id),
				PrevEnd: rc.files[r-1].id + uint64(rc.files[r-1].size), NextStart: rc.files[r].id}
		}
		return &MissingChunkError{Dir: w.cfg.Dir, Want: rc.trim, First: rc.files[r].id}
	}
	rotate := rc.cutAt >= 0 || rc.interrupted || w.repaired || restart || open.version == formatV1
	if !rotate && w.meta != metaClean {
		// Make the recovered content durable before any marker claims it
		// is, and the names of the chunks with it. That is the newest
		// chunk and the one before it: a crash after a rotation wrote the
		// seal but before it was fsynced can leave the seal in the page
		// cache only, vouching for a successor that later writes would
		// fill. Every older chunk was fsynced before its successor took
		// a record.
		sync := rc.live[max(0, len(rc.live)-2):]
		for _, c := range sync {
			if err := c.f.Sync(); err != nil {
				return fmt.Errorf("wal: syncing %s after recovery: %w", c.path, err)
			}
		}
		if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
			return fmt.Errorf("wal: syncing directory after recovery: %w", err)
		}
	}
	// Chunks wholly before the trim point were obsolete before the crash;
	// finish their removal.
	var stale []*chunk
	for _, f := range rc.files[:r] {
		stale = append(stale, &chunk{id: f.id, path: w.chunkPath(f.id)})
	}
	live := rc.live
	for len(live) > 1 && live[0].end <= rc.trim {
		stale = append(stale, live[0])
		live = live[1:]
	}
	if len(stale) > 0 {
		w.removals = append(w.removals, removal{chunks: stale})
		w.kickWorker()
	}
	w.chunks = live
	rc.live = nil
	w.open = open
	w.start = rc.trim
	w.bufStart = open.end
	w.written, w.synced, w.vouched = open.end, open.end, min(last.vouched, open.end)
	w.durable.Store(open.end)
	for _, c := range live {
		c.written.Store(c.end)
	}
	if rotate {
		if err := w.rotateAtRecovery(); err != nil {
			closeChunks(live)
			return err
		}
	}
	return nil
}

// corrupt returns the corruption of live chunk j at file offset at, after telling
// the state machine's DropObserver, if any, about the intact records the
// damage makes unreachable: the rest of that chunk and every later one.
func (rc *recovery[R]) corrupt(j int, at int64, reason string, cause error) error {
	w := rc.w
	c := rc.live[j]
	if err := w.salvage(c, rc.file(j).size, at); err != nil {
		return err
	}
	for _, f := range rc.files[rc.r+j+1:] {
		if err := w.observeWhole(f); err != nil {
			return err
		}
	}
	return &CorruptionError{File: c.path, Chunk: c.id, Offset: at, Reason: reason, Err: cause}
}

// cut records and logs a cut.
func (w *WAL[R]) cut(c Cut) {
	w.report.Cuts = append(w.report.Cuts, c)
	if c.OfMeta() {
		w.cfg.Logger.Warn("wal: recovery replaced the META file", "file", c.File, "reason", c.Reason, "backup", c.Backup)
		return
	}
	w.cfg.Logger.Warn("wal: recovery cut the log", "file", c.File, "offset", c.Offset, "bytes", c.Bytes,
		"reason", c.Reason, "durable", c.Durable, "backup", c.Backup)
}

// removeFile removes a file and makes the removal durable.
func (w *WAL[R]) removeFile(path string) error {
	if err := w.fs.Remove(path); err != nil {
		return fmt.Errorf("wal: removing %s: %w", path, err)
	}
	if err := w.fs.SyncDir(w.cfg.Dir); err != nil {
		return fmt.Errorf("wal: syncing directory after removing %s: %w", path, err)
	}
	return nil
}

type chunkFile struct {
	id   uint64
	size int64
}

// listChunks returns the chunk files in the directory, in offset order.
// Other names are ignored: the LOCK and META files, backups, and anything
// a user left there; the copies that index writes cut short by a crash
// left behind are noted for removeIndexTemps.
func (w *WAL[R]) listChunks() ([]chunkFile, error) {
	names, err := w.fs.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, err
	}
	w.indexTemps = w.indexTemps[:0]
	var files []chunkFile
	for _, n := range names {
		id, ok := ParseChunkName(n)
		if !ok {
			if _, idx := parseIndexName(n); idx && strings.HasSuffix(n, ".tmp") {
				w.indexTemps = append(w.indexTemps, n)
			}
			if _, idx := parseIndexName(n); !idx && n != fs.LockFileName && n != MetaFileName {
				w.cfg.Logger.Debug("wal: ignoring a file that is not a chunk", "dir", w.cfg.Dir, "name", n)
			}
			continue
		}
		fi, err := w.fs.Stat(w.chunkPath(id))
		if err != nil {
			return nil, err
		}
		files = append(files, chunkFile{id: id, size: fi.Size()})
	}
	return files, nil // ReadDir sorts, and zero-padded names sort as ids
}

// removeIndexTemps removes the copies that index writes cut short by a
// crash left behind (NAME.idx.tmp, noted by the last listChunks), once
// recovery has opened the log: an Open or a Repair that refuses the log
// before changing anything (a Repair with nothing to keep, for one) leaves
// every file as it was. Strict mode leaves them. A failure leaves a file no
// Open reads, to be tried again by the next one.
func (w *WAL[R]) removeIndexTemps() {
	if w.cfg.Recovery == Strict {
		return
	}
	for _, n := range w.indexTemps {
		w.fs.Remove(filepath.Join(w.cfg.Dir, n))
	}
	w.indexTemps = nil
}

// startFresh begins an empty log: chunk 0 with a checkpoint, in memory until
// the first flush writes it (and then the META file).
func (w *WAL[R]) startFresh() error {
	salt, err := w.newSalt()
	if err != nil {
		return err
	}
	c := &chunk{id: 0, path: w.chunkPath(0), version: FormatVersion, salt: salt}
	w.chunks = []*chunk{c}
	w.open, w.bufStart = c, 0
	w.buf = appendHeader(nil, FormatVersion, 0, salt)
	cp := w.sm.Checkpoint(nil)
	if _, err := w.appendLocked(kindCheckpoint, &cp); err != nil {
		return fmt.Errorf("wal: encoding the first checkpoint: %w", err)
	}
	w.headOf, w.head = c, len(w.buf)
	w.fresh = true
	return nil
}

func closeChunks(cs []*chunk) {
	for _, c := range cs {
		if c.f != nil {
			c.f.Close()
			c.f = nil
		}
	}
}
