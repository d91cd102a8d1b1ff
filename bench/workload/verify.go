package workload

import (
	"errors"
	"fmt"

	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
)

// readAllUpTo is the largest log checked entry by entry after an append
// run; a larger one is checked at verifySamples evenly spaced indexes and its
// last verifyTail entries.
const (
	readAllUpTo   = 20_000
	verifySamples = 10_000
	verifyTail    = 1_000
)

// VerifyError says that a store gave back something other than what was
// written.
type VerifyError struct {
	Store string
	What  string
	Err   error
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("%s: verify %s: %v", e.Store, e.What, e.Err)
}

func (e *VerifyError) Unwrap() error { return e.Err }

var (
	// errCount is wrapped by a VerifyError when a scan yields the wrong
	// entries.
	errCount = errors.New("wrong entries")
	// errDigest is wrapped by a VerifyError when a sequential read's digest
	// differs from the payloads written but a second, fully checked read
	// finds nothing wrong.
	errDigest = errors.New("the digest of the payloads read differs from the payloads written")
)

// sampleIndexes returns the indexes of [1, n] an append run checks.
func sampleIndexes(n uint64) []uint64 {
	if n <= readAllUpTo {
		out := make([]uint64, n)
		for i := range out {
			out[i] = uint64(i) + 1
		}
		return out
	}
	out := make([]uint64, 0, verifySamples+verifyTail)
	for i := uint64(1); i <= n-verifyTail; i += (n - verifyTail) / verifySamples {
		out = append(out, i)
	}
	for i := n - verifyTail + 1; i <= n; i++ {
		out = append(out, i)
	}
	return out
}

// verifyReads reads each index back and checks its payload.
func verifyReads(name string, s store.Store, indexes []uint64, size int) (uint64, error) {
	c := payload.NewChecker(size)
	for _, i := range indexes {
		p, err := s.Read(i)
		if err == nil {
			err = c.Check(i, p)
		}
		if err != nil {
			return 0, &VerifyError{name, fmt.Sprintf("entry %d", i), err}
		}
	}
	return uint64(len(indexes)), nil
}

// verifyScan scans [from, to) and checks that it yields exactly those
// entries, in order, with their payloads.
func verifyScan(name string, sc store.Scanner, from, to uint64, size int) (uint64, error) {
	c := payload.NewChecker(size)
	next := from
	err := sc.Scan(from, to, func(i uint64, p []byte) error {
		if i != next {
			return fmt.Errorf("%w: entry %d where %d was due", errCount, i, next)
		}
		next++
		return c.Check(i, p)
	})
	if err == nil && next != to {
		err = fmt.Errorf("%w: the scan ended at %d, before %d", errCount, next, to)
	}
	if err != nil {
		return 0, &VerifyError{name, fmt.Sprintf("scan [%d, %d)", from, to), err}
	}
	return to - from, nil
}

// verifyAfterAppend checks what an append run wrote and closes the store. A
// replay-only store is closed and replayed; any other is read back.
func verifyAfterAppend(p Params, s store.Store, open store.Opener, r *Result) error {
	if _, replay := s.(store.Replayer); !replay {
		n, err := verifyReads(r.Store, s, sampleIndexes(r.Entries), p.Size)
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		r.Verified = n
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	s, err := open(p.Dir)
	if err != nil {
		return err
	}
	n, err := verifyScan(r.Store, s.(store.Scanner), 1, r.Entries+1, p.Size)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	r.Verified = n
	return err
}
