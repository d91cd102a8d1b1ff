package codec_test

import (
	"errors"
	"fmt"

	"github.com/raftlog/raftlog/codec"
)

// LogID names an entry of a log.
type LogID struct {
	Term  uint64
	Index uint64
	Group string
}

func ExampleStruct() {
	logIDCodec := codec.Struct(
		codec.F(codec.Uint64,
			func(id LogID) uint64 { return id.Term },
			func(id *LogID, t uint64) { id.Term = t }),
		codec.F(codec.Uvarint,
			func(id LogID) uint64 { return id.Index },
			func(id *LogID, i uint64) { id.Index = i }),
		codec.F(codec.String,
			func(id LogID) string { return id.Group },
			func(id *LogID, g string) { id.Group = g }),
	)

	buf, err := logIDCodec.Append(nil, LogID{Term: 3, Index: 300, Group: "g1"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", buf)

	id, n, err := logIDCodec.Decode(buf)
	fmt.Printf("%+v %d %v\n", id, n, err)

	_, _, err = logIDCodec.Decode(buf[:9])
	fmt.Println(err)
	fmt.Println(errors.Is(err, codec.ErrInvalid))
	// Output:
	// 00 00 00 00 00 00 00 03 ac 02 02 67 31
	// {Term:3 Index:300 Group:g1} 13 <nil>
	// field 1: codec: invalid encoding: uvarint needs 2 bytes, have 1: unexpected EOF
	// true
}

func ExampleDecodeRecord() {
	var log []byte
	log = codec.AppendRecord(log, 1, []byte("first"))
	log = codec.AppendRecord(log, 2, []byte("second"))
	log = log[:len(log)-3] // a torn write at the tail

	for len(log) > 0 {
		kind, body, n, err := codec.DecodeRecord(log, 0)
		if errors.Is(err, codec.ErrIncomplete) {
			fmt.Println("torn tail:", err)
			break
		}
		if err != nil {
			fmt.Println("corrupt:", err)
			break
		}
		fmt.Printf("kind %d: %s (%d bytes framed)\n", kind, body, n)
		log = log[n:]
	}
	// Output:
	// kind 1: first (14 bytes framed)
	// torn tail: codec: incomplete record: need 15 bytes, have 12
}
