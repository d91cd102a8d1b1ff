//go:build !linux

package wal

import (
	"errors"

	"github.com/raftlog/raftlog/fs"
)

func preallocate(f fs.File, n int64) error {
	return errors.New("preallocation is only implemented on Linux")
}
