package wal

import (
	"fmt"
	"strings"
)

// Recovery changes the disk on the strength of what it read: it cuts a
// torn tail, removes the leftover of an interrupted rotation, removes a
// first chunk whose creation a crash cut short, writes new records over
// the zeros past the last one. A read that returns wrong bytes without an
// I/O error (a bit flipped between the disk and memory, the bytes at rest
// sound) can make a synced batch look torn, a sound seal look missing,
// records look like zeros, or hide the synced marker that proves damage
// is not a torn write; the change would then drop acknowledged records
// with only a Cut in the report, or remove a chunk the log still names. So
// before each such change recovery reads again what it judged, and
// refuses with ErrReadsDiffer, without making the change, unless the
// second read finds what the first did. The second read of a chunk checks
// frames and decodes no payload; a cut or a removal follows a crash
// mid-write, and so is rare, while the zeros written ahead, there after
// most crashes, are read again alone.

// confirm reads chunk file f again and fails with ErrReadsDiffer unless it
// finds what first, an earlier read of the same file, found. what says
// what the first read was about to justify.
func (w *WAL[R]) confirm(f chunkFile, first replayed, what string) error {
	again, err := w.readChunk(f, replayFrames)
	if err != nil {
		return err
	}
	if sameRead(first, again) {
		return nil
	}
	return fmt.Errorf("%w: %s, before %s: the first read found %s, the second %s; the change was not made",
		ErrReadsDiffer, w.chunkPath(f.id), what, first.summary(), again.summary())
}

// confirmZeros reads again the zeros that follow the records of chunk
// file f, read as first, and fails with ErrReadsDiffer unless every byte
// is still zero: new records will be written over them.
func (w *WAL[R]) confirmZeros(f chunkFile, first replayed) error {
	c, sc, err := w.rescan(f, first)
	if err != nil {
		return err
	}
	defer c.f.Close()
	end, err := sc.nonZeroEnd(first.valid)
	if err != nil {
		return fmt.Errorf("wal: reading %s past offset %d: %w", c.path, first.valid, err)
	}
	if end == first.valid {
		return nil
	}
	return fmt.Errorf("%w: %s, before writing over its zeros: the first read found zeros from offset %d to its end, the second bytes that are not zero up to offset %d; the change was not made",
		ErrReadsDiffer, c.path, first.valid, end)
}

// claimPast returns the largest durable point that an intact synced marker
// of chunk file f, read as res, claims from file offset at on: a claim
// past at proves that damage at at is not a torn write.
func (w *WAL[R]) claimPast(f chunkFile, res replayed, at int64) (uint64, error) {
	c, sc, err := w.rescan(f, res)
	if err != nil {
		return 0, err
	}
	defer c.f.Close()
	claim, err := sc.durableClaim(at)
	if err != nil {
		return 0, fmt.Errorf("wal: reading %s past offset %d: %w", c.path, at, err)
	}
	return claim, nil
}

// confirmClaim reads again the synced markers of chunk file f past damage
// at offset at, whose claim, read once, let recovery take the damage for a
// torn write, and fails with ErrReadsDiffer unless they claim the same.
func (w *WAL[R]) confirmClaim(f chunkFile, res replayed, at int64, claim uint64, what string) error {
	again, err := w.claimPast(f, res, at)
	if err != nil || again == claim {
		return err
	}
	return fmt.Errorf("%w: %s, before %s: its synced markers past offset %d claimed the log durable to %d on the first read, to %d on the second; the change was not made",
		ErrReadsDiffer, w.chunkPath(f.id), what, at, claim, again)
}

// confirmTornHead asks tornHead again, with new reads, whether chunk file
// f's damaged head is what a crash leaves while it is written, and fails
// with ErrReadsDiffer unless it still is: the chunk is about to be removed.
func (w *WAL[R]) confirmTornHead(f chunkFile, res replayed, what string) error {
	torn, err := w.tornHead(f, res)
	if err != nil || torn {
		return err
	}
	return fmt.Errorf("%w: %s, before %s: its damaged head looked like a crash's on the first read, not on the second; the change was not made",
		ErrReadsDiffer, w.chunkPath(f.id), what)
}

// rescan opens chunk file f, read before as res, for a new scan; the
// caller closes the chunk's file.
func (w *WAL[R]) rescan(f chunkFile, res replayed) (*chunk, *chunkScan, error) {
	c := &chunk{id: f.id, path: w.chunkPath(f.id)}
	if err := w.openChunkFile(c, false); err != nil {
		return nil, nil, err
	}
	sc := newChunkScan(c.f, c.id, f.size, readLimit)
	sc.h = header{version: res.version, salt: res.salt}
	return c, sc, nil
}

// sameRead reports whether first, a read of a chunk file, and again, a
// read of its frames (replayFrames), found the same: every conclusion
// recovery draws from a read, not the records applied. When first stopped
// at a record whose body does not decode, again, which decodes no body,
// must find that record's frame intact; what follows it, first did not
// read.
func sameRead(first, again replayed) bool {
	a, b := first, again
	sameFile := a.size == b.size && a.version == b.version && a.salt == b.salt
	if a.damage != nil && a.damage.body {
		return sameFile && (b.damage == nil || b.damage.at > a.damage.at)
	}
	sameDamage := (a.damage == nil) == (b.damage == nil) && (a.damage == nil || a.damage.at == b.damage.at)
	sameSeal := (a.seal == nil) == (b.seal == nil) && (a.seal == nil || *a.seal == *b.seal)
	return sameFile && sameDamage && sameSeal && a.valid == b.valid && a.unwritten == b.unwritten &&
		a.checkpoint == b.checkpoint && a.pastHead == b.pastHead && a.trim == b.trim && a.vouched == b.vouched
}

// summary describes a read for ErrReadsDiffer's message.
func (r replayed) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version %d, intact records to offset %d", r.version, r.valid)
	if r.damage != nil {
		fmt.Fprintf(&b, ", then %s at offset %d", r.damage, r.damage.at)
	}
	if r.seal != nil {
		b.WriteString(", sealed")
	}
	if r.unwritten > 0 {
		fmt.Fprintf(&b, ", %d zero bytes", r.unwritten)
	}
	fmt.Fprintf(&b, ", synced markers vouching to %d", r.vouched)
	return b.String()
}
