package workload

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
)

// openTimed opens the store and records the open's time.
func openTimed(p Params, open store.Opener, r *Result) (store.Store, *section, error) {
	sec := begin(nil)
	s, err := open(p.Dir)
	if err != nil {
		return nil, nil, err
	}
	sec.s = s
	r.OpenSeconds = time.Since(sec.start).Seconds()
	return s, sec, nil
}

// closeAfter closes s, keeping the first error.
func closeAfter(s store.Store, err error) error {
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// runReopen times the open of a log of p.N entries (for a replay-only store,
// the open and the replay of every entry), then checks the log: every entry
// of a replayed one, the first, the last and up to reopenChecks random ones
// of another (the random-read row reads p.Reads and times them; a store
// whose random reads load whole segments would make more take hours).
func runReopen(p Params, open store.Opener, r *Result) error {
	s, sec, err := openTimed(p, open, r)
	if err != nil {
		return err
	}
	r.Entries, r.Ops = p.N, 1
	sec.end(r)
	if rp, ok := s.(store.Replayer); ok {
		r.Verified, err = verifyScan(r.Store, s.(store.Scanner), 1, p.N+1, p.Size)
		if err == nil && rp.Replayed() != p.N {
			err = &VerifyError{r.Store, "replay", errCount}
		}
	} else {
		idx := randomIndexes(p)
		r.Verified, err = verifyReads(r.Store, s, append([]uint64{1, p.N}, idx[:min(len(idx), reopenChecks)]...), p.Size)
	}
	return closeAfter(s, err)
}

// reopenChecks bounds the random reads that check a reopened log.
const reopenChecks = 1000

// randomIndexes returns p.Reads indexes drawn uniformly from [1, p.N] with
// p.Seed: the same for every store.
func randomIndexes(p Params) []uint64 {
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed))
	out := make([]uint64, p.Reads)
	for i := range out {
		out[i] = 1 + rng.Uint64N(p.N)
	}
	return out
}

// runSeqRead opens a log of p.N entries (untimed), then times reading every
// entry in order: with the store's own scan where it has one (store.Scanner),
// else one Read per index. The timed loop checks each payload's length and
// index and folds it into a digest; the digest is compared with the
// expected payloads' after the timed section, and a mismatch is located by
// reading again with full checks.
func runSeqRead(p Params, open store.Opener, r *Result) error {
	s, _, err := openTimed(p, open, r)
	if err != nil {
		return err
	}
	if _, ok := s.(store.Replayer); ok {
		r.Unsupported = "replayed at open: its sequential read is the reopen row"
		return s.Close()
	}
	d := payload.NewDigest(p.Size)
	sc, scan := s.(store.Scanner)
	sec := begin(s)
	if scan {
		next := uint64(1)
		err = sc.Scan(1, p.N+1, func(i uint64, b []byte) error {
			if i != next {
				return fmt.Errorf("%w: entry %d where %d was due", errCount, i, next)
			}
			next++
			return d.Add(i, b)
		})
		r.Ops = 1
	} else {
		for i := uint64(1); i <= p.N && err == nil; i++ {
			var b []byte
			if b, err = s.Read(i); err == nil {
				err = d.Add(i, b)
			}
		}
		r.Ops = p.N
	}
	r.Entries, r.Bytes = d.Count(), d.Count()*uint64(p.Size)
	sec.end(r)
	if err != nil {
		return closeAfter(s, &VerifyError{r.Store, "sequential read", err})
	}
	if !d.Matches(indexRange(1, p.N+1)) {
		err = &VerifyError{r.Store, "sequential read", errDigest}
		if scan {
			_, err = verifyScan(r.Store, sc, 1, p.N+1, p.Size)
		} else if _, e := readEach(r.Store, s, p); e != nil {
			err = e
		}
		return closeAfter(s, err)
	}
	r.Verified = d.Count()
	return s.Close()
}

// indexRange yields [from, to).
func indexRange(from, to uint64) func(func(uint64) bool) {
	return func(yield func(uint64) bool) {
		for i := from; i < to && yield(i); i++ {
		}
	}
}

// readEach reads and checks [1, p.N] with one Read per index and a full
// check of each payload.
func readEach(name string, s store.Store, p Params) (uint64, error) {
	c := payload.NewChecker(p.Size)
	for i := uint64(1); i <= p.N; i++ {
		b, err := s.Read(i)
		if err == nil {
			err = c.Check(i, b)
		}
		if err != nil {
			return 0, &VerifyError{name, "sequential read", err}
		}
	}
	return p.N, nil
}

// runRandRead times the open of a log of p.N entries, then p.Reads reads of
// random indexes, each checked in full between the timed calls; Seconds is
// the sum of the calls.
func runRandRead(p Params, open store.Opener, r *Result) error {
	idx := randomIndexes(p)
	s, _, err := openTimed(p, open, r)
	if err != nil {
		return err
	}
	if _, ok := s.(store.Replayer); ok {
		r.Unsupported = "no random read: replayed only, at open"
		return s.Close()
	}
	rec := newRecorder(len(idx))
	c := payload.NewChecker(p.Size)
	var busy time.Duration
	sec := begin(s)
	for _, i := range idx {
		if p.MaxTime > 0 && busy > p.MaxTime {
			r.Capped = true // counted over the reads made
			break
		}
		t := time.Now()
		b, err := s.Read(i)
		d := time.Since(t)
		if err == nil {
			err = c.Check(i, b)
		}
		if err != nil {
			return closeAfter(s, &VerifyError{r.Store, "random read", err})
		}
		rec.add(d)
		busy += d
	}
	n := uint64(len(rec.d))
	r.Entries, r.Ops, r.Verified = n, n, n
	r.Bytes = r.Entries * uint64(p.Size)
	sec.end(r)
	r.Seconds = busy.Seconds()
	r.Latency = rec.summary()
	return s.Close()
}
