package codec

import "fmt"

// Field is one field of a struct codec built by Struct.
type Field[T any] interface {
	appendField(dst []byte, v T) ([]byte, error)
	decodeField(src []byte, v *T) (int, error)
}

// F describes a field of T: its codec, how to read it and how to set it:
//
//	codec.F(codec.Uint64,
//		func(id LogID) uint64 { return id.Term },
//		func(id *LogID, t uint64) { id.Term = t })
//
// The getter takes T by value so that encoding does not make T escape to the
// heap: a struct codec appends without allocating.
func F[T, V any](c Codec[V], get func(T) V, set func(*T, V)) Field[T] {
	return fieldOf[T, V]{c: c, get: get, set: set}
}

type fieldOf[T, V any] struct {
	c   Codec[V]
	get func(T) V
	set func(*T, V)
}

func (f fieldOf[T, V]) appendField(dst []byte, v T) ([]byte, error) {
	return f.c.Append(dst, f.get(v))
}

func (f fieldOf[T, V]) decodeField(src []byte, v *T) (int, error) {
	x, n, err := f.c.Decode(src)
	if err != nil {
		return 0, err
	}
	f.set(v, x)
	return n, nil
}

// Struct returns a codec for T that encodes the given fields one after the
// other, in order. The encoding has no field tags: adding, removing or
// reordering fields changes the format.
func Struct[T any](fields ...Field[T]) Codec[T] { return structCodec[T](fields) }

type structCodec[T any] []Field[T]

func (s structCodec[T]) Append(dst []byte, v T) ([]byte, error) {
	var err error
	for _, f := range s {
		if dst, err = f.appendField(dst, v); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

func (s structCodec[T]) Decode(src []byte) (T, int, error) {
	var v T
	off := 0
	for i, f := range s {
		n, err := f.decodeField(src[off:], &v)
		if err != nil {
			return v, 0, fmt.Errorf("field %d: %w", i, err)
		}
		off += n
	}
	return v, off, nil
}
