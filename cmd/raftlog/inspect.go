package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/raftlog/raftlog/codec"
	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
	"github.com/raftlog/raftlog/wal"
)

func dirArg(args []string) (string, error) {
	if len(args) != 1 {
		return "", errors.New("want one directory")
	}
	return args[0], nil
}

func dump(args []string) error {
	dir, err := dirArg(args)
	if err != nil {
		return err
	}
	return raftlog.DumpDir(fs.OS(), dir, raftlog.DefaultTypes, os.Stdout)
}

// stat counts records by kind in each chunk, without decoding them as
// raftlog records (a log of other types still gets a summary).
func stat(args []string) error {
	dir, err := dirArg(args)
	if err != nil {
		return err
	}
	type chunkSum struct {
		id      uint64
		counts  map[wal.Kind]int
		end     int64
		damaged error
	}
	var sums []*chunkSum
	raw := codec.Codec[[]byte](rawCodec{})
	err = wal.Scan(fs.OS(), dir, raw, func(f wal.Found[[]byte]) error {
		if len(sums) == 0 || sums[len(sums)-1].id != f.Chunk {
			sums = append(sums, &chunkSum{id: f.Chunk, counts: map[wal.Kind]int{}, end: wal.ChunkHeaderSize})
		}
		s := sums[len(sums)-1]
		if f.Err != nil {
			s.damaged = f.Err
			return nil
		}
		s.counts[f.Kind]++
		s.end = f.Offset + int64(f.Size)
		return nil
	})
	if err != nil {
		return err
	}
	var total int64
	for _, s := range sums {
		fmt.Printf("%s  bytes %d  records %d  checkpoints %d  synced markers %d  trims %d\n",
			wal.ChunkName(s.id), s.end, s.counts[wal.KindRecord], s.counts[wal.KindCheckpoint], s.counts[wal.KindSynced], s.counts[wal.KindTrim])
		if s.damaged != nil {
			fmt.Printf("  damaged: %v\n", s.damaged)
		}
		total += s.end
	}
	fmt.Printf("%d chunks, %d bytes\n", len(sums), total)
	return nil
}

// rawCodec keeps record bodies as bytes.
type rawCodec struct{}

func (rawCodec) Append(dst []byte, v []byte) ([]byte, error) { return append(dst, v...), nil }
func (rawCodec) Decode(src []byte) ([]byte, int, error) {
	return append([]byte(nil), src...), len(src), nil
}
