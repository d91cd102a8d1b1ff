package wal

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStatJSON(t *testing.T) {
	s := Stat{
		Closed: []ChunkStat{{ID: 32, Records: 3, End: 100}},
		Open:   ChunkStat{ID: 100, Records: 1, End: 150},
		Bytes:  118, Durable: 150, Dropped: 7,
		Flush: FlushStat{Steps: 2, Requests: 6, Writes: 3, BytesWritten: 150, ZeroFilled: 4096, Fsyncs: 2,
			FsyncMin: time.Millisecond, FsyncMax: 3 * time.Millisecond, FsyncTotal: 4 * time.Millisecond,
			FsyncHist: [FsyncBuckets]uint64{7: 1, 8: 1}},
	}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"closed": [{"id": 32, "records": 3, "end": 100, "bytes": 68}],
		"open": {"id": 100, "records": 1, "end": 150, "bytes": 50},
		"bytes": 118, "durable": 150, "dropped": 7,
		"flush": {"steps": 2, "requests": 6, "writes": 3, "bytes_written": 150, "zero_filled": 4096, "fsyncs": 2,
			"fsync_min_ns": 1000000, "fsync_max_ns": 3000000, "fsync_total_ns": 4000000, "fsync_mean_ns": 2000000,
			"fsync_hist": [0,0,0,0,0,0,0,1,1,0,0,0,0,0,0,0], "requests_per_fsync": 3}
	}`, string(b))
	var back Stat
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, s, back)

	// No closed chunk: [] on the wire, nil when read back, as Stat returns.
	b, err = json.Marshal(Stat{})
	require.NoError(t, err)
	require.Contains(t, string(b), `"closed":[]`)
	back = Stat{Closed: []ChunkStat{{}}}
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, Stat{}, back)
}

func TestStatString(t *testing.T) {
	s := Stat{Closed: []ChunkStat{{ID: 32, Records: 3, End: 100}, {ID: 100, Records: 1, End: 150}}, Open: ChunkStat{ID: 150, End: 182},
		Flush: FlushStat{Fsyncs: 1, FsyncMin: time.Millisecond, FsyncMax: time.Millisecond, FsyncTotal: time.Millisecond}}
	require.Equal(t, "{Closed:[{ID:32 Records:3 End:100} {ID:100 Records:1 End:150}] Open:{ID:150 Records:0 End:182} Bytes:0 Durable:0 Dropped:0 "+
		"Flush:{Steps:0 Requests:0 Writes:0 BytesWritten:0 ZeroFilled:0 Fsyncs:1 FsyncMin:1ms FsyncMax:1ms FsyncTotal:1ms FsyncHist:[0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0]}}", s.String())
}
