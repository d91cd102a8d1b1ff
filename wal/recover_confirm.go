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
// sound) can make a synced batch look torn, a sound seal look missing, or
// records look like zeros, and the change would drop acknowledged records
// with only a Cut in the report, or remove a chunk the log still names. So
// before each such change recovery reads the chunk files it judged again,
// and refuses with ErrReadsDiffer, without making the change, unless the
// second read finds what the first did. The changes follow a crash, and
// so does the second read, which checks frames and decodes no payload.

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
