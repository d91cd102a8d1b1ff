package codec

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Codec encodes and decodes values of one type. Implementations must be safe
// for concurrent use and must never panic on bad input.
type Codec[T any] interface {
	// Append appends the encoding of v to dst and returns the extended
	// buffer. It should not allocate when dst has room.
	Append(dst []byte, v T) ([]byte, error)
	// Decode decodes a value from the start of src and reports how many
	// bytes it used. A result must not share memory with src: the caller
	// may reuse src. Malformed input is an error matching ErrInvalid.
	Decode(src []byte) (v T, n int, err error)
}

// Built-in codecs.
var (
	// Bytes encodes a []byte as a uvarint length and the bytes. Decode
	// returns a copy; a nil slice decodes as an empty one.
	Bytes Codec[[]byte] = bytesCodec{}
	// String encodes a string as a uvarint length and its UTF-8 bytes;
	// Decode rejects invalid UTF-8.
	String Codec[string] = stringCodec{}
	// Uint64 encodes a uint64 as 8 bytes, big-endian (so encodings sort
	// as the numbers do).
	Uint64 Codec[uint64] = uint64Codec{}
	// Uvarint encodes a uint64 as an unsigned varint (1 to 10 bytes) and
	// rejects non-minimal or overflowing encodings.
	Uvarint Codec[uint64] = uvarintCodec{}
)

type bytesCodec struct{}

func (bytesCodec) Append(dst []byte, v []byte) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...), nil
}

func (bytesCodec) Decode(src []byte) ([]byte, int, error) {
	b, n, err := lengthPrefixed(src, "bytes")
	if err != nil {
		return nil, 0, err
	}
	v := make([]byte, len(b)) // not append, whose growth rounds up and costs more
	copy(v, b)
	return v, n, nil
}

type stringCodec struct{}

func (stringCodec) Append(dst []byte, v string) ([]byte, error) {
	dst = binary.AppendUvarint(dst, uint64(len(v)))
	return append(dst, v...), nil
}

func (stringCodec) Decode(src []byte) (string, int, error) {
	b, n, err := lengthPrefixed(src, "string")
	if err != nil {
		return "", 0, err
	}
	if !utf8.Valid(b) {
		return "", 0, fmt.Errorf("%w: string is not valid UTF-8", ErrInvalid)
	}
	return string(b), n, nil
}

// lengthPrefixed reads a uvarint length and that many bytes, checking the
// length against what src holds before using it.
func lengthPrefixed(src []byte, what string) ([]byte, int, error) {
	l, n, err := uvarintCodec{}.Decode(src)
	if err != nil {
		return nil, 0, fmt.Errorf("%s length: %w", what, err)
	}
	if l > uint64(len(src)-n) {
		return nil, 0, short(what, n+int(min(l, 1<<62)), len(src))
	}
	end := n + int(l)
	return src[n:end], end, nil
}

type uint64Codec struct{}

func (uint64Codec) Append(dst []byte, v uint64) ([]byte, error) {
	return binary.BigEndian.AppendUint64(dst, v), nil
}

func (uint64Codec) Decode(src []byte) (uint64, int, error) {
	if len(src) < 8 {
		return 0, 0, short("uint64", 8, len(src))
	}
	return binary.BigEndian.Uint64(src), 8, nil
}

type uvarintCodec struct{}

func (uvarintCodec) Append(dst []byte, v uint64) ([]byte, error) {
	return binary.AppendUvarint(dst, v), nil
}

func (uvarintCodec) Decode(src []byte) (uint64, int, error) {
	v, n := binary.Uvarint(src)
	switch {
	case n == 0:
		return 0, 0, short("uvarint", len(src)+1, len(src))
	case n < 0:
		return 0, 0, fmt.Errorf("%w: uvarint overflows 64 bits", ErrInvalid)
	case n > 1 && src[n-1] == 0:
		return 0, 0, fmt.Errorf("%w: uvarint is not minimally encoded", ErrInvalid)
	}
	return v, n, nil
}

// JSON returns a codec that stores any value through encoding/json, framed
// by a uvarint length. It allocates; it is there for convenience, not speed.
func JSON[T any]() Codec[T] { return jsonCodec[T]{} }

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Append(dst []byte, v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, fmt.Errorf("codec: json: %w", err)
	}
	return Bytes.Append(dst, b)
}

func (jsonCodec[T]) Decode(src []byte) (T, int, error) {
	var v T
	b, n, err := lengthPrefixed(src, "json")
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, 0, fmt.Errorf("%w: json: %v", ErrInvalid, err)
	}
	return v, n, nil
}
