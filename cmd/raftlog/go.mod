module github.com/raftlog/raftlog/cmd/raftlog

go 1.25.0

require (
	github.com/raftlog/raftlog v0.0.0-00010101000000-000000000000
	github.com/schollz/progressbar/v3 v3.19.1
	golang.org/x/sys v0.47.0
	golang.org/x/term v0.44.0
)

require (
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/pingcap/errors v0.11.4 // indirect
	github.com/pingcap/failpoint v0.0.0-20240528011301-b51a646c7c86 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
)

replace github.com/raftlog/raftlog => ../..
