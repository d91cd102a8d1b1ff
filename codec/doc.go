// Package codec frames records with checksums and defines Codec, the
// interface a user implements to store their own types in raftlog.
//
// A framed record is
//
//	| length uint32 | kind uint8 | body [length]byte | crc uint32 |
//
// with integers little-endian and crc the CRC-32C (Castagnoli) of the length,
// kind and body bytes; hash/crc32 computes it with the CPU's CRC instruction
// where there is one. Decoding tells apart, with typed errors, a record cut
// short ([ErrIncomplete]), a checksum mismatch ([ErrChecksum]) and a length
// over the limit ([ErrTooLarge]), and checks the length before it trusts it,
// so a corrupt length never causes a large allocation.
//
// Codec[T] encodes by appending to a caller's buffer, so that encoding into a
// reused buffer does not allocate, and decodes from a byte slice, reporting
// how many bytes it used. Built-in codecs cover []byte, string, uint64
// (fixed-width and varint) and any type through encoding/json; [Struct]
// composes codecs for the fields of a struct.
package codec
