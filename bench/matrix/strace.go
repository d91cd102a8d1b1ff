package matrix

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// countSyncs counts the sync calls an strace -f -ttt log records as started
// within [from, to] (Unix microseconds). A line is "[pid] sec.usec
// name(args...", or a "<... name resumed>" continuation, which is not a new
// call.
func countSyncs(path string, from, to int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("matrix: strace log: %w", err)
	}
	defer f.Close()
	var n int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		t, ok := syncCallTime(sc.Text())
		if ok && t >= from && t <= to {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("matrix: strace log %s: %w", path, err)
	}
	return n, nil
}

// syncCallTime returns the start time in Unix microseconds of the sync call
// a line records, and false for any other line.
func syncCallTime(line string) (int64, bool) {
	fields := strings.Fields(line)
	if len(fields) >= 3 {
		if _, err := strconv.Atoi(fields[0]); err == nil && strings.Contains(fields[1], ".") {
			fields = fields[1:] // drop the pid
		}
	}
	if len(fields) < 2 || strings.HasPrefix(fields[1], "<...") {
		return 0, false
	}
	name, _, ok := strings.Cut(fields[1], "(")
	if !ok || !strings.Contains(","+syncCalls+",", ","+name+",") {
		return 0, false
	}
	sec, usec, ok := strings.Cut(fields[0], ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	u, err2 := strconv.ParseInt(usec, 10, 64)
	if !ok || err1 != nil || err2 != nil || len(usec) != 6 {
		return 0, false
	}
	return s*1_000_000 + u, true
}
