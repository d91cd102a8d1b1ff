package raftlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

func TestOptionJSON(t *testing.T) {
	for _, c := range []struct {
		in   Option[LogID]
		json string
	}{
		{None[LogID](), `null`},
		{Some(LogID{Term: 3, Index: 9}), `{"term":3,"index":9}`},
		{Some(LogID{}), `{"term":0,"index":0}`},
	} {
		b, err := json.Marshal(c.in)
		require.NoError(t, err)
		require.Equal(t, c.json, string(b), "Marshal(%v)", c.in)
		var back Option[LogID]
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, c.in, back, "Unmarshal(%s)", b)
	}

	// null over a present value makes it absent; a field left out keeps
	// the zero value, absent.
	o := Some(uint64(5))
	require.NoError(t, json.Unmarshal([]byte(" null "), &o))
	require.False(t, o.IsSome())
	var s State[LogID, Vote, []byte]
	require.NoError(t, json.Unmarshal([]byte(`{"last":{"term":1,"index":2},"user_data":"aGk="}`), &s))
	require.Equal(t, State[LogID, Vote, []byte]{Last: Some(LogID{Term: 1, Index: 2}), UserData: Some([]byte("hi"))}, s)

	// A value T cannot hold is an error and changes nothing.
	o = Some(uint64(5))
	err := json.Unmarshal([]byte(`"five"`), &o)
	var typeErr *json.UnmarshalTypeError
	require.ErrorAs(t, err, &typeErr)
	require.Equal(t, Some(uint64(5)), o)
}

func TestVoteJSON(t *testing.T) {
	b, err := json.Marshal(Vote{Term: 4, NodeID: 2})
	require.NoError(t, err)
	require.Equal(t, `{"term":4,"node_id":2,"committed":false}`, string(b))
}

// TestStatJSONRoundTrip: a live log's Stat marshals with every key named
// and reads back equal.
func TestStatJSONRoundTrip(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), seedCfg5)
	buildSampleData(t, l)
	st := l.Stat()
	b, err := json.Marshal(st)
	require.NoError(t, err)
	for _, key := range []string{`"wal":{"closed":[{"id":237,"records":5,"end":482,"bytes":245}`, `"flush":{"steps":`,
		`"fsync_hist":[`, `"requests_per_fsync":`, `"first":2,"end":8,`, `"evictable":{"term":2,"index":7}`} {
		require.Contains(t, string(b), key)
	}
	var back Stat[LogID]
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, st, back)
}

// TestStatLogValue: a Stat logged through slog's JSON handler carries the
// JSON form's keys, nested.
func TestStatLogValue(t *testing.T) {
	l := seedOpen(t, fs.NewMem(), seedCfg5)
	buildSampleData(t, l)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("stat", "stat", l.Stat())
	var got struct {
		Stat struct {
			WAL struct {
				Closed []struct{ ID uint64 } `json:"closed"`
				Flush  struct {
					Fsyncs uint64 `json:"fsyncs"`
				} `json:"flush"`
			} `json:"wal"`
			First     uint64 `json:"first"`
			Evictable LogID  `json:"evictable"`
		} `json:"stat"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got), "%s", buf.Bytes())
	require.Len(t, got.Stat.WAL.Closed, 2)
	require.Equal(t, uint64(237), got.Stat.WAL.Closed[0].ID)
	require.NotZero(t, got.Stat.WAL.Flush.Fsyncs)
	require.Equal(t, uint64(2), got.Stat.First)
	require.Equal(t, LogID{Term: 2, Index: 7}, got.Stat.Evictable)
}
