package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/raftlog"
)

// checkCodecs checks the caller's codecs directly on every value an
// operation carries, before the operation runs. The log itself checks most
// of a codec's contract only on the bytes it wrote (its checksums keep
// damaged bytes from ever reaching a codec), so these properties are checked
// here, on the values Gen made, with its seed's randomness:
//
//   - encoding works and is deterministic: two encodings are equal, and
//     Append appends to the buffer it is given, leaving its bytes alone;
//   - decoding round-trips: the encoding, followed by more bytes, decodes
//     to a value equal to the original (Gen.Equal) using exactly the
//     encoding's bytes, and the value does not share memory with them;
//   - a truncated encoding is refused: every proper prefix of the encoding
//     (all of them for short encodings, otherwise the empty one, the first
//     byte, all but the last and three at random; one value in four) is an
//     error;
//   - damaged bytes never panic: a bit flipped, a byte replaced, random
//     bytes (one value in four); an error or another value is fine.
func (r *runner[L, P, V, U]) checkCodecs(op OpOf[L, P, V, U]) {
	rng := rand.New(rand.NewPCG(r.seed^0xc0dec, uint64(r.step)))
	ts := r.ts
	ids := func(o raftlog.Option[L], what string) {
		if v, ok := o.Get(); ok {
			checkCodec(r, rng, "LogID", ts.t.LogID, v, what)
		}
	}
	switch op.Kind {
	case OpVote:
		checkCodec(r, rng, "Vote", ts.t.Vote, op.Vote, "vote")
	case OpAppend:
		for _, e := range op.Entries {
			checkCodec(r, rng, "LogID", ts.t.LogID, e.ID, "entry id")
			checkCodec(r, rng, "Payload", ts.t.Payload, e.Payload, fmt.Sprintf("payload of %v", e.ID))
		}
	case OpCommit, OpPurge:
		checkCodec(r, rng, "LogID", ts.t.LogID, op.ID, "id")
	case OpUserData:
		if !op.NoUser {
			checkCodec(r, rng, "UserData", ts.t.UserData, op.User, "user data")
		}
	case OpState:
		if v, ok := op.State.Vote.Get(); ok {
			checkCodec(r, rng, "Vote", ts.t.Vote, v, "state's vote")
		}
		ids(op.State.Last, "state's last id")
		ids(op.State.Committed, "state's commit")
		ids(op.State.Purged, "state's purge point")
		if u, ok := op.State.UserData.Get(); ok {
			checkCodec(r, rng, "UserData", ts.t.UserData, u, "state's user data")
		}
	}
}

// checkCodec checks codec c (the caller's codec for name) on v, what the
// operation carries.
func checkCodec[T, L, P, V, U any](r *runner[L, P, V, U], rng *rand.Rand, name string, c codec.Codec[T], v T, what string) {
	if r.v != nil {
		return
	}
	r.res.CodecChecks++
	fail := func(format string, args ...any) {
		r.fail("codec: the %s codec, on the %s %+v: %s", name, what, v, fmt.Sprintf(format, args...))
	}
	var enc, enc2 []byte
	var err, err2 error
	if p := catch(func() { enc, err = c.Append(nil, v) }); p != nil {
		fail("Append panics: %v", p)
		return
	}
	if err != nil {
		fail("cannot encode a value Gen made: %v", err)
		return
	}
	prefix := []byte("\xaa\x55prefix")
	if p := catch(func() { enc2, err2 = c.Append(slices.Clone(prefix), v) }); p != nil || err2 != nil {
		fail("encoding it a second time fails: panic %v, error %v", p, err2)
		return
	}
	if !bytes.HasPrefix(enc2, prefix) {
		fail("Append does not append: given a buffer holding %x, it returned %x", prefix, enc2)
		return
	}
	if !bytes.Equal(enc2[len(prefix):], enc) {
		fail("is not deterministic: two encodings differ: %x and %x", enc, enc2[len(prefix):])
		return
	}

	// The encoding followed by more bytes, in a buffer of its own that is
	// scribbled over once decoded.
	tail := make([]byte, 1+rng.IntN(8))
	for i := range tail {
		tail[i] = byte(rng.Uint32())
	}
	buf := append(slices.Clone(enc), tail...)
	var got T
	var n int
	if p := catch(func() { got, n, err = c.Decode(buf) }); p != nil {
		fail("Decode panics on its encoding %x followed by %d more bytes: %v", enc, len(tail), p)
		return
	}
	switch {
	case err != nil:
		fail("does not decode its encoding %x (followed by %d more bytes): %v", enc, len(tail), err)
		return
	case n != len(enc):
		fail("Decode of its %d-byte encoding %x followed by %d more bytes says it used %d bytes", len(enc), enc, len(tail), n)
		return
	}
	for i := range buf {
		buf[i] ^= 0xff
	}
	if !r.ts.g.Equal(any(got), any(v)) {
		fail("does not round-trip: it encodes to %x, which decodes to %+v (compared after the decoder's input was overwritten, so sharing memory with it counts)", enc, got)
		return
	}

	if rng.IntN(4) != 0 {
		return
	}
	cuts := []int{}
	if len(enc) <= 8 {
		for k := range len(enc) {
			cuts = append(cuts, k)
		}
	} else {
		cuts = append(cuts, 0, 1, len(enc)-1, rng.IntN(len(enc)), rng.IntN(len(enc)), rng.IntN(len(enc)))
	}
	for _, k := range cuts {
		in := slices.Clip(slices.Clone(enc[:k]))
		if p := catch(func() { got, n, err = c.Decode(in) }); p != nil {
			fail("Decode panics on the first %d of the %d bytes of its encoding %x: %v", k, len(enc), enc, p)
			return
		}
		if err == nil {
			fail("accepts a truncated encoding: the first %d of the %d bytes of its encoding %x decode, using %d bytes, as %+v", k, len(enc), enc, n, got)
			return
		}
	}
	for range 3 {
		bad := slices.Clone(enc)
		switch rng.IntN(3) {
		case 0:
			if len(bad) > 0 {
				bad[rng.IntN(len(bad))] ^= 1 << rng.IntN(8)
			}
		case 1:
			if len(bad) > 0 {
				bad[rng.IntN(len(bad))] = byte(rng.Uint32())
			}
		case 2:
			bad = make([]byte, rng.IntN(len(enc)+9))
			for i := range bad {
				bad[i] = byte(rng.Uint32())
			}
		}
		bad = slices.Clip(bad)
		if p := catch(func() { c.Decode(bad) }); p != nil {
			fail("Decode panics on damaged bytes %x (its encoding is %x): %v", bad, enc, p)
			return
		}
	}
}

// catch runs f and returns what it panicked with, or nil.
func catch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}
