package raftlog

import (
	"bytes"
	"errors"
	"testing"

	"github.com/raftlog/raftlog/codec"
)

// FuzzRecordDecode feeds arbitrary bytes to the record decoder of the
// default types: it must never panic, must report malformed input as
// codec.ErrInvalid, and whatever it accepts must re-encode to exactly the
// bytes it consumed.
func FuzzRecordDecode(f *testing.F) {
	c := recordCodec[LogID, []byte, Vote, []byte]{t: &DefaultTypes}
	for _, r := range []record[LogID, []byte, Vote, []byte]{
		{op: opVote, vote: &Vote{Term: 3, NodeID: 2, Committed: true}},
		{op: opAppend, id: LogID{1, 2}, payload: []byte("hello")},
		{op: opCommit, id: LogID{1, 2}},
		truncateRecord[LogID, []byte, Vote, []byte](Some(LogID{1, 1})),
		{op: opTruncate},
		{op: opPurge, id: LogID{2, 9}},
		{op: opState, state: &State[LogID, Vote, []byte]{Vote: Some(Vote{Term: 1}), Last: Some(LogID{1, 5}), UserData: Some([]byte("u"))}},
	} {
		b, err := c.Append(nil, r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		r, n, err := c.Decode(src)
		if err != nil {
			if !errors.Is(err, codec.ErrInvalid) {
				t.Fatalf("decode error %v does not match codec.ErrInvalid", err)
			}
			return
		}
		if n > len(src) {
			t.Fatalf("consumed %d of %d bytes", n, len(src))
		}
		b, err := c.Append(nil, r)
		if err != nil {
			t.Fatalf("re-encoding %v: %v", r, err)
		}
		if !bytes.Equal(b, src[:n]) {
			t.Fatalf("decode(%x) = %v re-encodes to %x", src[:n], r, b)
		}
	})
}
