package codec

import (
	"errors"
	"fmt"
	"io"
)

// Sentinels for errors.Is. The typed errors below match them.
var (
	// ErrIncomplete: the input ends before the record does. At the tail of
	// a log this is a torn write.
	ErrIncomplete = errors.New("codec: incomplete record")
	// ErrChecksum: the record's checksum does not match its bytes.
	ErrChecksum = errors.New("codec: checksum mismatch")
	// ErrTooLarge: the record's length is over the limit.
	ErrTooLarge = errors.New("codec: record too large")
	// ErrInvalid: a value's encoding is malformed (a Codec's Decode).
	ErrInvalid = errors.New("codec: invalid encoding")
)

// IncompleteError reports a record cut short: Need bytes were required, Have
// were available. It matches ErrIncomplete and io.ErrUnexpectedEOF.
type IncompleteError struct{ Need, Have int }

// Error describes the failure with the values it carries.
func (e *IncompleteError) Error() string {
	return fmt.Sprintf("codec: incomplete record: need %d bytes, have %d", e.Need, e.Have)
}

// Is reports whether target is ErrIncomplete or io.ErrUnexpectedEOF.
func (e *IncompleteError) Is(target error) bool {
	return target == ErrIncomplete || target == io.ErrUnexpectedEOF
}

// ChecksumError reports a checksum mismatch. It matches ErrChecksum.
type ChecksumError struct{ Stored, Computed uint32 }

// Error describes the failure with the values it carries.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("codec: checksum mismatch: stored %08x, computed %08x", e.Stored, e.Computed)
}

// Is reports whether target is ErrChecksum.
func (e *ChecksumError) Is(target error) bool { return target == ErrChecksum }

// TooLargeError reports a record length over the limit. It matches
// ErrTooLarge.
type TooLargeError struct {
	Length uint64
	Max    int
}

// Error describes the failure with the values it carries.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("codec: record length %d over the limit %d", e.Length, e.Max)
}

// Is reports whether target is ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// short is the error a Codec's Decode returns when src ends too early.
func short(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, have %d: %w", ErrInvalid, what, need, have, io.ErrUnexpectedEOF)
}
