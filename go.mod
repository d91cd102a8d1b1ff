module github.com/raftlog/raftlog

go 1.25.0

require (
	github.com/pingcap/failpoint v0.0.0-20240528011301-b51a646c7c86
	github.com/spf13/afero v1.15.0
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.47.0
)

require (
	github.com/pingcap/errors v0.11.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.28.0 // indirect
)
