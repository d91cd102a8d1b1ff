package raftlog

// Option is a value that may be absent. Absent sorts below every present
// value, which the rules of the log rely on: a log with no vote, say, accepts
// any vote.
//
// An absent Option marshals to JSON as null and a present one as its value;
// UnmarshalJSON reads them back. It prints as <none> or as the value (byte
// slices and strings quoted), and logs through log/slog as nil or the value.
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
