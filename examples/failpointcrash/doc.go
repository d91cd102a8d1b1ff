// Package failpointcrash is the example of raftlog's failpoints in a
// downstream project's CI: its test runs a child process (the test binary
// itself) that appends and syncs entries on the real disk until the
// failpoint wal/afterFsync crashes it, then reopens the log and checks that
// every entry the child saw acknowledged is there, intact.
//
// The failpoints work only in a build with -tags failpoint:
//
//	go test -tags failpoint ./examples/failpointcrash
//
// Without the tag the test skips. docs/testing.md lists the failpoints and
// explains how to use them in your own CI.
package failpointcrash
