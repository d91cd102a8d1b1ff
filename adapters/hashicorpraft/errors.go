package hashicorpraft

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is; the typed errors below match them.
var (
	// ErrMiddleRange: DeleteRange of a range that touches neither end of
	// the log (*RangeError).
	ErrMiddleRange = errors.New("hashicorpraft: only a prefix or a suffix of the log can be deleted")
	// ErrNotUint64: GetUint64 of a key whose value is not 8 bytes
	// (*ValueError).
	ErrNotUint64 = errors.New("hashicorpraft: value is not a uint64")
	// ErrNotEmpty: Migrate into a store that already holds entries or
	// keys.
	ErrNotEmpty = errors.New("hashicorpraft: destination store is not empty")
)

// RangeError: DeleteRange(Min, Max) on a log holding [First, Last], with
// First < Min and Max < Last. Nothing was deleted.
type RangeError struct {
	Min, Max    uint64
	First, Last uint64
}

// Error describes the failure with the values it carries.
func (e *RangeError) Error() string {
	return fmt.Sprintf("hashicorpraft: delete range [%d, %d] lies inside the log [%d, %d]: only a prefix or a suffix can be deleted",
		e.Min, e.Max, e.First, e.Last)
}

// Is makes errors.Is(err, ErrMiddleRange) true.
func (e *RangeError) Is(target error) bool { return target == ErrMiddleRange }

// ValueError: GetUint64 of Key, whose value has Len bytes, not 8.
type ValueError struct {
	Key string
	Len int
}

// Error describes the failure with the values it carries.
func (e *ValueError) Error() string {
	return fmt.Sprintf("hashicorpraft: value of key %q has %d bytes, a uint64 has 8", e.Key, e.Len)
}

// Is makes errors.Is(err, ErrNotUint64) true.
func (e *ValueError) Is(target error) bool { return target == ErrNotUint64 }
