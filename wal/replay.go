package wal

import (
	"errors"
	"fmt"
	"io"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/internal/bugs"
)

// replayed is what reading one chunk file found.
type replayed struct {
	size    int64  // the file's size
	version uint16 // the header's format version (0 if the header is damaged)
	salt    uint64
	valid   int64   // file offset where the intact records end
	damage  *damage // what stopped the scan before the end of the file, if anything
	// unwritten is the length of the zeros that fill the file past its
	// records (version 2, no seal): written ahead by Config.PreallocateBytes,
	// or the unwritten part of a chunk whose creation a crash interrupted.
	unwritten  int64
	checkpoint bool   // the chunk holds an intact checkpoint
	pastHead   bool   // it holds something after its first checkpoint
	trim       uint64 // largest trim stated
	vouched    uint64 // global offset before which synced markers vouch for every byte
	seal       *seal  // the intact seal ending the chunk
	records    int    // caller records replayed, checkpoint included
}

// damage is a record, or a header, that does not check out.
type damage struct {
	at     int64 // file offset
	reason string
	cause  error
	body   bool // the record's frame is intact, its body does not decode
}

func (d *damage) String() string {
	if d.cause != nil {
		return d.reason + ": " + d.cause.Error()
	}
	return d.reason
}

// replayMode says what replay does with the records it reads.
type replayMode int

const (
	replayApply replayMode = iota // apply them to the state machine
	replayPeek                    // read and check them only
	// replayFrames checks every record's frame and reads the WAL's own
	// records (markers, trims, seals), but decodes no caller record: what
	// a second read needs to confirm that a first one saw the same bytes
	// (see confirm).
	replayFrames
)

// replay reads chunk c (size bytes, its file open in c.f) front to back and,
// in replayApply mode, applies its records to the state machine. Damage
// stops it and is returned in the result, not as an error: whether damage
// is a torn write or corruption depends on where the chunk sits, which the
// caller decides. The error is for I/O failures and for a record that
// checks out but that the state machine refuses.
func (w *WAL[R]) replay(c *chunk, size int64, mode replayMode) (replayed, error) {
	res := replayed{size: size}
	sc := newChunkScan(c.f, c.id, size, readLimit)
	herr, err := sc.header()
	if err != nil {
		return res, fmt.Errorf("wal: reading the header of %s: %w", c.path, err)
	}
	if herr != nil {
		if herr.badVersion {
			return res, &VersionError{File: c.path, Version: herr.version}
		}
		res.damage = &damage{at: 0, reason: herr.reason}
		return res, nil
	}
	res.version, res.salt = sc.h.version, sc.h.salt
	c.version, c.salt = sc.h.version, sc.h.salt
	c.end = c.id + uint64(sc.off)
	for {
		kind, body, at, err := sc.next()
		if err == io.EOF {
			break
		}
		if res.seal != nil {
			// Anything after a seal, intact or not: a seal whose write
			// landed while the cut before it did not, or bytes added at
			// rest. The chunk is not complete.
			res.seal = nil
			res.damage = &damage{at: at - sealSize, reason: "the chunk goes on after its seal"}
			break
		}
		if err != nil {
			if !isFramingError(err) {
				return res, fmt.Errorf("wal: reading %s at offset %d: %w", c.path, at, err)
			}
			if e, ok := w.rebuilds[c.id]; ok && at == e.at && !res.checkpoint {
				// A damaged checkpoint that Repair rewrites: it restates the
				// state replayed up to it (see rebuild).
				if mode == replayApply {
					if err := w.rebuildCheckpoint(c, e); err != nil {
						return res, err
					}
					c.records++
				}
				res.checkpoint = true
				res.records++
				sc.off = e.end
				c.end = c.id + uint64(sc.off)
				continue
			}
			var ok bool
			if bugs.On(bugs.AcceptTornRecord) && errors.Is(err, codec.ErrChecksum) {
				kind, body, ok = sc.rawBody()
			}
			if !ok && sc.h.version >= 2 {
				end, zerr := sc.nonZeroEnd(at)
				if zerr != nil {
					return res, fmt.Errorf("wal: reading %s past offset %d: %w", c.path, at, zerr)
				}
				if end == at {
					res.unwritten = size - at
					break
				}
			}
			if !ok {
				res.damage = &damage{at: at, reason: "damaged record", cause: err}
				break
			}
		}
		if d := w.replayRecord(c, &res, kind, body, at, sc.off-at, mode); d != nil {
			if d.at < 0 {
				return res, d.cause // the state machine refused a record
			}
			res.damage = d
			break
		}
		c.end = c.id + uint64(sc.off)
	}
	res.valid = int64(c.end - c.id)
	return res, nil
}

// replayRecord handles one intact record found at file offset at; it
// returns damage when the record's content does not check out, or a damage
// with at < 0 carrying the state machine's refusal.
func (w *WAL[R]) replayRecord(c *chunk, res *replayed, kind codec.Kind, body []byte, at, size int64, mode replayMode) *damage {
	global := c.id + uint64(at)
	if res.checkpoint && kind != kindSeal {
		res.pastHead = true
	}
	switch kind {
	case kindSynced:
		v, err := markerValue(body, global)
		if err != nil {
			return &damage{at: at, reason: "bad synced marker", cause: err}
		}
		if v == global { // a closing marker: it vouches for itself too
			v += markerSize
		}
		res.vouched = max(res.vouched, v)
	case kindTrim:
		v, err := markerValue(body, global)
		if err != nil {
			return &damage{at: at, reason: "bad trim record", cause: err}
		}
		res.trim = max(res.trim, v)
	case kindSeal:
		s, err := parseSeal(body, global)
		if err != nil {
			return &damage{at: at, reason: "bad seal", cause: err}
		}
		res.seal = &s
	case kindRecord, kindCheckpoint:
		if !res.checkpoint && kind != kindCheckpoint {
			return &damage{at: at, reason: "the chunk's first record is not a checkpoint"}
		}
		res.checkpoint = true
		if mode == replayFrames {
			res.records++
			return nil
		}
		if mode == replayApply && kind == kindRecord && w.raw != nil {
			pos := Position{Chunk: c.id, Offset: global, Size: uint32(size)}
			done, err := w.raw.ApplyRaw(body, pos)
			if err != nil {
				return &damage{at: at, reason: "record body does not decode", cause: err, body: true}
			}
			if done {
				res.records++
				c.records++
				return nil
			}
		}
		rec, n, err := w.codec.Decode(body)
		if err == nil && n != len(body) {
			err = fmt.Errorf("codec used %d of %d bytes", n, len(body))
		}
		if err != nil {
			return &damage{at: at, reason: "record body does not decode", cause: err, body: true}
		}
		res.records++
		if mode == replayApply {
			pos := Position{Chunk: c.id, Offset: global, Size: uint32(size)}
			if err := w.sm.Apply(rec, pos); err != nil {
				return &damage{at: -1, cause: &ApplyError{File: c.path, Offset: at, Err: err}}
			}
			c.records++
		} else if d, ok := w.sm.(DropObserver[R]); ok && w.observing {
			d.Dropped(rec, Position{Chunk: c.id, Offset: global, Size: uint32(size)})
		}
	default:
		return &damage{at: at, reason: fmt.Sprintf("unknown record kind %d", kind)}
	}
	return nil
}

// salvage feeds the intact caller records that follow damage at file offset
// from in chunk c to the state machine's DropObserver, if it has one: they
// are what a cut there drops. It resynchronises at each intact synced
// marker (the start of a write batch) and reads on from there, so it finds
// most records that a torn write or a damaged region left behind, without
// ever mistaking stray bytes for a record. The error is a failed read: the
// caller must then not cut, since it could not say what the cut drops.
func (w *WAL[R]) salvage(c *chunk, size, from int64) error {
	if _, ok := w.sm.(DropObserver[R]); !ok || c.f == nil {
		return nil
	}
	sc := newChunkScan(c.f, c.id, size, readLimit)
	herr, err := sc.header()
	if err != nil {
		return fmt.Errorf("wal: reading the header of %s: %w", c.path, err)
	}
	if herr != nil {
		return nil // no record of it checks out without its header
	}
	w.observing = true
	defer func() { w.observing = false }()
	res := replayed{checkpoint: true}
	for at := max(from, ChunkHeaderSize); at < size; {
		m, err := sc.nextMarker(at)
		if err != nil {
			return fmt.Errorf("wal: reading %s past offset %d: %w", c.path, at, err)
		}
		if m < 0 {
			return nil
		}
		sc.off = m
		for {
			kind, body, rat, err := sc.next()
			if err != nil && !errors.Is(err, io.EOF) && !isFramingError(err) {
				return fmt.Errorf("wal: reading %s at offset %d: %w", c.path, rat, err)
			}
			if err != nil {
				at = rat + 1
				break
			}
			if w.replayRecord(c, &res, kind, body, rat, sc.off-rat, replayPeek) != nil {
				at = rat + 1
				break
			}
		}
	}
	return nil
}

func isFramingError(err error) bool {
	return errors.Is(err, codec.ErrIncomplete) || errors.Is(err, codec.ErrChecksum) || errors.Is(err, codec.ErrTooLarge)
}
