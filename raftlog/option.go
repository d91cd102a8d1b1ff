package raftlog

import "fmt"

// Option is a value that may be absent. Absent sorts below every present
// value, as in Rust's Option, which the rules of the log rely on ("none is
// below every some").
type Option[T any] struct {
	v  T
	ok bool
}

// Some returns a present value.
func Some[T any](v T) Option[T] { return Option[T]{v: v, ok: true} }

// None returns an absent value.
func None[T any]() Option[T] { return Option[T]{} }

// Get returns the value and whether it is present.
func (o Option[T]) Get() (T, bool) { return o.v, o.ok }

// IsSome reports whether the value is present.
func (o Option[T]) IsSome() bool { return o.ok }

// Value returns the value, or T's zero value when absent.
func (o Option[T]) Value() T { return o.v }

// String renders "None" or "Some(v)".
func (o Option[T]) String() string {
	if !o.ok {
		return "None"
	}
	return fmt.Sprintf("Some(%v)", o.v)
}

// compareOpt orders options with absent below present.
func compareOpt[T any](a, b Option[T], cmp func(T, T) int) int {
	switch {
	case !a.ok && !b.ok:
		return 0
	case !a.ok:
		return -1
	case !b.ok:
		return 1
	}
	return cmp(a.v, b.v)
}
