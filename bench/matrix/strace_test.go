package matrix

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCountSyncsCountsCallsStartedInTheWindow(t *testing.T) {
	log := `12590 1796014624.217284 fdatasync(5)    = 0
12590 1796014624.218468 fsync(5 <unfinished ...>
12591 1796014624.218500 <... fsync resumed>) = 0
12592 1796014624.218866 sync_file_range(7, 0, 4096, SYNC_FILE_RANGE_WRITE) = 0
1796014624.300000 fdatasync(9) = 0
12590 1796014625.000001 fdatasync(5)    = 0
12587 1796014625.589181 +++ exited with 0 +++
12590 1796014624.218000 write(5, "x", 1) = 1
`
	path := filepath.Join(t.TempDir(), "trace")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to int64
		want     int64
	}{
		{1796014624_217284, 1796014625_000000, 4}, // both ends inclusive; the resumed line is not a call
		{1796014624_217285, 1796014625_000001, 4},
		{0, 1 << 62, 5},
		{1796014626_000000, 1796014627_000000, 0},
	} {
		got, err := countSyncs(path, c.from, c.to)
		if err != nil || got != c.want {
			t.Errorf("window [%d, %d]: %d, %v; want %d", c.from, c.to, got, err, c.want)
		}
	}
}

func TestCountSyncsReportsAMissingLog(t *testing.T) {
	if _, err := countSyncs(filepath.Join(t.TempDir(), "none"), 0, 1); err == nil {
		t.Error("a missing strace log counted as no calls")
	}
}

func TestStartReportsAChildThatCannotStart(t *testing.T) {
	r := &Runner{BinDir: t.TempDir()}
	run := r.Start(Stores[0], Rows[0].params(Scales["smoke"], t.TempDir(), 0), false)
	if run.Err == "" || run.Fsyncs != -1 {
		t.Errorf("a missing child binary gave %+v, want an error", run)
	}
}
