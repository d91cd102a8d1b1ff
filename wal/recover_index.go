package wal

// fromIndex applies chunk c's summary from its index file in place of
// replaying it, when Open may: the state machine summarises, Config.ReadAll
// and Repair mode are off, and the file is usable for this very chunk. A
// sealed chunk must end with its intact seal, at the offset the summary
// ends at; the newest chunk qualifies only in a log closed cleanly, ending
// where META says and with the marker a clean Close ends it with. What is
// checked is the chunk's header and seal or marker (two small reads), not
// its records: damage among them is found when an entry
// is read (see Summarizer). It reports whether it applied the summary, with
// what the replay would have found.
func (rc *recovery[R]) fromIndex(c *chunk, f chunkFile, newest bool) (replayed, bool, error) {
	w := rc.w
	res := replayed{size: f.size}
	if w.sum == nil || w.cfg.ReadAll || w.cfg.Recovery == Repair {
		return res, false, nil
	}
	if newest && (!rc.meta.clean || rc.meta.last != f.id || rc.meta.end != f.id+uint64(f.size)) {
		return res, false, nil
	}
	var hb [ChunkHeaderSize]byte
	if n, _ := c.f.ReadAt(hb[:], 0); n < ChunkHeaderSize {
		return res, false, nil // the replay says what is wrong
	}
	h, herr := parseHeader(hb[:], f.id)
	if herr != nil || h.version < FormatVersion {
		return res, false, nil
	}
	sc := newChunkScan(c.f, c.id, f.size, readLimit)
	sc.h = h
	end := f.id + uint64(f.size)
	var sl *seal
	if !newest {
		s, ok := sc.tailSeal()
		if !ok {
			return res, false, nil
		}
		sl, end = &s, end-sealSize
	} else if sc.h.salt != rc.meta.salt || !sc.endsWithClosingMarker() {
		// The closing marker is the evidence a later recovery needs: once
		// the first write marks META open, a crash makes the next Open
		// replay this chunk, and only an intact marker at its old end
		// turns damage before it into an error instead of a shorter log.
		return res, false, nil
	}
	x, ok := w.readIndex(f.id, sc.h.salt, end, &rc.indexBuf)
	if !ok {
		return res, false, nil
	}
	if err := w.sum.ApplySummary(x.summary, f.id); err != nil {
		w.cfg.Logger.Debug("wal: the summary of an index file does not apply; reading the chunk", "file", c.path, "err", err)
		return res, false, nil
	}
	c.version, c.salt, c.records = sc.h.version, sc.h.salt, int(x.records)
	c.end = f.id + uint64(f.size)
	res.version, res.salt, res.seal = sc.h.version, sc.h.salt, sl
	res.valid, res.checkpoint, res.pastHead = f.size, true, true
	res.trim, res.records = x.start, int(x.records)
	if newest {
		res.vouched = end // a clean Close's last marker vouches for every byte
	}
	return res, true, nil
}
