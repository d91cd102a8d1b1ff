package wal

// RemoveBefore schedules the removal of every closed chunk that ends at or
// before offset, the caller having made all their records obsolete. It
// appends a trim record stating the new start of the log; the files are
// removed (and the directory synced) by the flush worker only after a
// synced flush has made that record durable, so a crash can never leave the
// log without them and without the record that obsoleted them. The chunks
// leave Stat and Load at once. It returns the ids of the chunks scheduled.
func (w *WAL[R]) RemoveBefore(offset uint64) ([]uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return nil, err
	}
	w.chunksMu.RLock()
	n := 0
	for n < len(w.chunks)-1 && w.chunks[n].end <= offset {
		n++
	}
	gone := append([]*chunk(nil), w.chunks[:n]...)
	w.chunksMu.RUnlock()
	if n == 0 {
		return nil, nil
	}
	boundary := w.chunks[n].id
	if w.marker < 0 {
		w.marker = len(w.buf)
		at := w.bufStart + uint64(len(w.buf))
		w.buf = appendMarker(w.buf, kindSynced, 0, at, w.open.seed(at))
	}
	at := w.bufStart + uint64(len(w.buf))
	w.buf = appendMarker(w.buf, kindTrim, boundary, at, w.open.seed(at))
	w.open.end = w.bufStart + uint64(len(w.buf))
	w.start = boundary
	w.removals = append(w.removals, removal{chunks: gone, after: w.open.end})

	w.chunksMu.Lock()
	w.chunks = append(w.chunks[:0:0], w.chunks[n:]...)
	w.chunksMu.Unlock()
	ids := make([]uint64, len(gone))
	for i, c := range gone {
		ids[i] = c.id
	}
	return ids, nil
}
