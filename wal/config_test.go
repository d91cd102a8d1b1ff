package wal

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/stretchr/testify/require"
)

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		field string
		cfg   Config
	}{
		{"Dir", Config{}},
		{"ChunkMaxRecords", Config{Dir: "/wal", ChunkMaxRecords: -1}},
		{"ChunkMaxRecords", Config{Dir: "/wal", ChunkMaxRecords: 1}},
		{"ChunkMaxBytes", Config{Dir: "/wal", ChunkMaxBytes: MaxChunkBytes + 1}},
		{"ChunkMaxBytes", Config{Dir: "/wal", ChunkMaxBytes: -1}},
		{"MaxRecordBytes", Config{Dir: "/wal", MaxRecordBytes: -1}},
		{"MaxRecordBytes", Config{Dir: "/wal", MaxRecordBytes: MaxChunkBytes}},
		{"Recovery", Config{Dir: "/wal", Recovery: RecoveryMode(7)}},
	} {
		t.Run(fmt.Sprintf("%s=%+v", tc.field, tc.cfg), func(t *testing.T) {
			m := fs.NewMem()
			require.NoError(t, m.MkdirAll("/wal", 0o755))
			tc.cfg.FS = m
			ops := m.Ops()
			w, err := Open(tc.cfg, codec.String, &testSM{})
			require.Nil(t, w)
			require.ErrorIs(t, err, ErrConfig)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "want *ConfigError, got %T %v", err, err)
			require.Equal(t, tc.field, ce.Field)
			require.Contains(t, err.Error(), tc.field)
			require.Equal(t, ops, m.Ops(), "an invalid config must touch nothing")
		})
	}
	// The limits themselves are valid.
	for _, cfg := range []Config{{ChunkMaxRecords: 2}, {ChunkMaxBytes: MaxChunkBytes}, {ChunkMaxBytes: 1}} {
		l := openTest(t, fs.NewMem(), cfg)
		l.append("x", "y", "z")
		l.close()
		require.NoError(t, l.reopen())
		require.Equal(t, []string{"x", "y", "z"}, l.sm.recs)
		l.close()
	}
}

// TestRecordTooLarge: a record over MaxRecordBytes is refused, nothing is
// buffered, and the log goes on as if it had never been offered.
func TestRecordTooLarge(t *testing.T) {
	const limit = 16
	ok := strings.Repeat("o", limit-1) // body: 1-byte length + 15 = 16
	big := strings.Repeat("B", limit)  // body: 17
	for _, where := range []string{"fresh", "mid-batch", "batch-start", "at-rotation"} {
		t.Run(where, func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{MaxRecordBytes: limit, ChunkMaxRecords: 3, ManualWorker: true})
			switch where {
			case "mid-batch":
				l.append("a")
			case "batch-start":
				l.append("a")
				l.sync()
			case "at-rotation":
				l.append("a", "b") // the chunk is full: the next Append rotates
			}
			end, st, ops := l.w.End(), l.w.Stat(), m.Ops()
			_, err := l.w.AppendBatch([]string{"x", big}, nil)
			require.ErrorIs(t, err, ErrRecordTooLarge)
			require.Equal(t, end, l.w.End(), "a refused batch must buffer nothing")
			require.Equal(t, st.Open, l.w.Stat().Open, "a refused batch must not change the open chunk")
			require.Equal(t, st.Closed, l.w.Stat().Closed, "a refused batch must not rotate")

			_, err = l.w.Append(big)
			require.ErrorIs(t, err, ErrRecordTooLarge)
			require.Equal(t, end, l.w.End(), "a refused record must buffer nothing (End before %d)", end)
			require.Equal(t, st.Open, l.w.Stat().Open, "a refused record must not change the open chunk")
			require.Equal(t, st.Closed, l.w.Stat().Closed, "a refused record must not rotate")
			require.Equal(t, ops, m.Ops())
			require.NoError(t, l.w.Err(), "a refused record does not poison the log")

			pos := l.append(ok, "after")
			requireLoads(t, l.w, pos, []string{ok, "after"}, "after the refusal")
			want := append([]string(nil), l.sm.recs...)
			l.close()
			require.NoError(t, l.reopen())
			require.Equal(t, want, l.sm.recs)
			l.close()
		})
	}
}

// TestReopenWithSmallerMaxRecordBytes: a log reopened with a MaxRecordBytes
// below the size of records it already holds must not take those records
// for a torn tail and drop them: they were acknowledged. Open may refuse
// (naming the limit) but must not truncate.
func TestReopenWithSmallerMaxRecordBytes(t *testing.T) {
	for _, closed := range []bool{false, true} {
		t.Run(fmt.Sprintf("closed=%v", closed), func(t *testing.T) {
			m := fs.NewMem()
			l := openTest(t, m, Config{ManualWorker: true})
			l.append("small")
			l.sync()
			l.append(strings.Repeat("L", 100), "after")
			l.sync() // acknowledged
			want := append([]string(nil), l.sm.recs...)
			img := clone(m)         // a crash right after the Sync
			end := int64(l.w.End()) // the records' end in chunk 0
			l.close()
			if closed {
				img = m
			}
			path := l.path(0)
			before := readFile(t, img, path)[:end]
			c := l.on(t, img)
			c.cfg.MaxRecordBytes = 64
			err := c.reopen()
			replay := fmt.Sprintf("reopen with MaxRecordBytes 64 of a log holding a record with a 101-byte body (closed %v)", closed)
			if err == nil {
				got := append([]string(nil), c.sm.recs...)
				dropped := c.w.Stat().Dropped
				c.close()
				require.Equal(t, want, got, "acknowledged records dropped (%d bytes): %s", dropped, replay)
			}
			after := readFile(t, img, path)
			require.Equal(t, before, after[:min(end, int64(len(after)))], "the chunk's records must not be cut: %s", replay)
			// With the old limit everything is still there.
			c = l.on(t, img)
			require.NoError(t, c.reopen(), replay)
			require.Equal(t, want, c.sm.recs, replay)
			c.close()
		})
	}
}
