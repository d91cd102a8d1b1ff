package matrix

import (
	"math"
	"slices"
)

// Summary is the median of a metric over the repetitions and its spread.
type Summary struct {
	Median, Min, Max float64
	N                int
}

// summarize returns the median (the mean of the middle two for an even
// count) and the range of xs; N is 0 for no values.
func summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	m := s[n/2]
	if n%2 == 0 {
		m = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{Median: m, Min: s[0], Max: s[n-1], N: n}
}

// Spread is half the range relative to the median: 0.05 means the
// repetitions lie within ±5% of it. It is 0 for fewer than two values.
func (s Summary) Spread() float64 {
	if s.N < 2 || s.Median == 0 {
		return 0
	}
	return (s.Max - s.Min) / 2 / math.Abs(s.Median)
}
