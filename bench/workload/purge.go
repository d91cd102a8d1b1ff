package workload

import (
	"errors"
	"time"

	"github.com/raftlog/raftlog/bench/payload"
	"github.com/raftlog/raftlog/bench/store"
)

// runPurge opens a log of p.N entries (untimed), times a durable purge of
// its first half and then a durable truncation of its last tenth, and checks
// that the entries between are intact and that an append after the
// truncation reads back.
func runPurge(p Params, open store.Opener, r *Result) error {
	s, _, err := openTimed(p, open, r)
	if err != nil {
		return err
	}
	head, tail := p.N/2, p.N-p.N/10+1 // purge [1, head], truncate [tail, N]
	sec := begin(s)
	t := time.Now()
	err = s.PurgeHead(head)
	r.PurgeSeconds = time.Since(t).Seconds()
	if err == nil {
		t = time.Now()
		err = s.TruncateTail(tail)
		r.TruncateSeconds = time.Since(t).Seconds()
	}
	if errors.Is(err, store.ErrUnsupported) {
		r.Unsupported = err.Error()
		return s.Close()
	}
	if err != nil {
		return closeAfter(s, err)
	}
	r.Ops = 2
	r.Entries = head + (p.N - tail + 1)
	sec.end(r)
	r.Seconds = r.PurgeSeconds + r.TruncateSeconds

	kept := []uint64{head + 1, head + 2, (head + tail) / 2, tail - 1}
	r.Verified, err = verifyReads(r.Store, s, kept, p.Size)
	if err == nil {
		err = s.Append([]store.Entry{{Index: tail, Payload: payload.New(tail, p.Size)}})
	}
	if err == nil {
		_, err = verifyReads(r.Store, s, []uint64{tail}, p.Size)
		r.Verified++
	}
	if err = closeAfter(s, err); err != nil {
		return err
	}
	r.DiskBytes, r.DiskApparent, err = DiskUsage(p.Dir)
	return err
}
