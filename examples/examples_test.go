// Package examples_test builds every example program and runs it, checking
// what it prints, so that the examples cannot rot.
package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// build compiles ./name into a temporary directory and returns the binary.
func build(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, "./"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build ./%s: %v\n%s", name, err, out)
	}
	return bin
}

// run runs bin with args and returns its standard output; a failure, or
// anything on standard error, fails the test.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), args, err, out, stderr.String())
	}
	return string(out)
}

func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile("(?m)" + p).MatchString(out) {
			t.Errorf("output has no line matching %s:\n%s", p, out)
		}
	}
}

func TestQuickstart(t *testing.T) {
	bin := build(t, "quickstart")

	// Without -dir: a temporary directory, removed at the end.
	out := run(t, bin)
	wantLines(t, out,
		`^session 2: a child appended 50 entries, synced the first 25, then crashed`,
		`^every acknowledged entry survived \(up to 125; `,
		`^removed .* \(pass -dir DIR to keep the log\)$`)
	m := regexp.MustCompile(`(?m)^log directory: (.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("quickstart does not say where the log is:\n%s", out)
	}
	if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the temporary log %s is still there (%v)", m[1], err)
	}

	// With -dir: the log stays, and quickstart says where; a second run
	// continues it.
	dir := filepath.Join(t.TempDir(), "log")
	out = run(t, bin, "-dir", dir)
	wantLines(t, out, `^the log is kept in `+regexp.QuoteMeta(dir)+`; inspect it with$`)
	if chunks, _ := filepath.Glob(filepath.Join(dir, "*.wal")); len(chunks) == 0 {
		t.Fatalf("no chunk file kept in %s", dir)
	}
	out = run(t, bin, "-dir", dir)
	wantLines(t, out, `^session 1: appended \[151, 250\]`, `^every acknowledged entry survived \(up to 275; `)
}

func TestCustomCodec(t *testing.T) {
	out := run(t, build(t, "customcodec"))
	want := `a vote for another candidate in the same term: raftlog: the vote t3:node-c cannot replace the saved vote t3:node-b(won)
reopened: {Vote:t3:node-b(won) Last:t3.3 Committed:t3.3 Purged:<none> UserData:"applied through t3.3"}
t3.1 set x="1"
t3.2 set y="2"
t3.3 del x=""
`
	if out != want {
		t.Errorf("customcodec printed:\n%s\nwant:\n%s", out, want)
	}
}

func TestFollower(t *testing.T) {
	out := run(t, build(t, "follower"))
	wantLines(t, out,
		`^before: last \{Term:1 Index:5\}, committed \{Term:1 Index:3\}$`,
		`^appending them as they are: refused \(true\): `,
		`^first conflict: our \{Term:1 Index:4\}, the leader's \{Term:2 Index:4\}$`,
		`^truncated from index 4 on$`,
		`^after: last \{Term:2 Index:6\}, committed \{Term:2 Index:6\}$`)
	after := out[strings.Index(out, "after:"):]
	if want := "  {Term:1 Index:3} c\n  {Term:2 Index:4} D\n  {Term:2 Index:5} E\n  {Term:2 Index:6} F\n"; !strings.HasSuffix(after, want) {
		t.Errorf("the follower's log after the conflict:\n%s\nwant it to end with:\n%s", after, want)
	}
}

func TestAsyncFlush(t *testing.T) {
	out := run(t, build(t, "asyncflush"), "-batches", "50", "-batch", "4")
	wantLines(t, out,
		`^appended 200 entries in 50 batches in .*, without waiting for the disk$`,
		`^all durable after .*: 200 entries acknowledged, 0 callbacks out of order$`)
	m := regexp.MustCompile(`(?m)^50 flush requests served by (\d+) fsyncs: group-commit factor ([0-9.]+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no group-commit line:\n%s", out)
	}
	fsyncs, _ := strconv.Atoi(m[1])
	if fsyncs < 1 || fsyncs > 50+2 {
		t.Errorf("%d fsyncs for 50 flush requests, want between 1 and 52 (one per request at most, plus chunk creation)", fsyncs)
	}
}
